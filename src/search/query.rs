//! A query against a locale's index files, ranked exactly as `theme/static/search.js`
//! ranks it (keep the two in step): every word of the query must occur on the page (the
//! last word may be the start of a word, so results come as one types); pages with every
//! word in their title come first, then pages with every word in a title or heading, then
//! the rest; within each tier by BM25 score; ties by page order. Like the script, it reads
//! `index.json`, then only the term chunks the words fall in and the page chunks of the
//! hits, and the pages' lengths for BM25. Tests and tools use it; the build does not.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, Result, anyhow};

use super::index::{IndexEntry, LENGTH_DIGITS, step_length};
use super::tokenize::Tokenizer;

/// How many index terms the last, unfinished word may stand for.
pub const MAX_EXPANSIONS: usize = 64;
/// How many term chunks a prefix may read.
pub const MAX_PREFIX_CHUNKS: usize = 3;

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Relative to the locale root (`about/containers-vs-vm/`).
    pub url: String,
    pub title: String,
    /// 2: every word in the title; 1: every word in the title or a heading; 0: otherwise.
    pub tier: u32,
    pub score: f64,
}

/// BM25's parameters, the usual ones.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Runs `query` against the index whose files `read` returns by name (`index.json`,
/// `terms.….json`, …), and returns every matching page, best first; `files_read` lists
/// the files it needed.
pub fn search(
    tokenizer: &Tokenizer,
    query: &str,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<(Vec<Hit>, Vec<String>)> {
    let mut files_read = vec!["index.json".to_string()];
    let entry: IndexEntry = parse(read, "index.json")?;
    let mut words = tokenizer.collect(query);
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    if words.is_empty() {
        return Ok((Vec::new(), files_read));
    }
    let lengths = Lengths::parse(&parse::<String>(read, &entry.lengths)?);
    files_read.push(entry.lengths.clone());
    let mut chunks: HashMap<String, Vec<(String, Vec<u32>)>> = HashMap::new();
    // Per query word: page id → (score, best place).
    let mut per_word: Vec<BTreeMap<u32, (f64, u32)>> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let prefix = i + 1 == words.len() && is_prefix_word(word);
        let mut found: BTreeMap<u32, (f64, u32)> = BTreeMap::new();
        let mut expansions = 0;
        for file in chunk_files(&entry.term_chunks, word, prefix) {
            if !chunks.contains_key(&file) {
                let terms: Vec<(String, Vec<u32>)> = parse(read, &file)?;
                files_read.push(file.clone());
                chunks.insert(file.clone(), terms);
            }
            for (term, postings) in &chunks[&file] {
                let exact = term == word;
                if !(exact || prefix && term.starts_with(word.as_str())) || expansions >= MAX_EXPANSIONS {
                    continue;
                }
                expansions += 1;
                add_postings(&mut found, postings, entry.pages, &lengths, if exact { 1.0 } else { 0.7 });
            }
        }
        per_word.push(found);
    }
    let mut hits: Vec<(u32, u32, f64)> = per_word[0]
        .keys()
        .filter_map(|&page| {
            let mut tier = u32::MAX;
            let mut score = 0.0;
            for found in &per_word {
                let (s, place) = found.get(&page)?;
                tier = tier.min(*place);
                score += s;
            }
            Some((page, tier, score))
        })
        .collect();
    hits.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.partial_cmp(&a.2).unwrap_or(Ordering::Equal)).then(a.0.cmp(&b.0)));
    let mut pages: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
    let mut results = Vec::new();
    for (page, tier, score) in hits {
        let at = entry.page_chunks.partition_point(|(first, _)| *first <= page).saturating_sub(1);
        let (first, file) = entry.page_chunks.get(at).ok_or_else(|| anyhow!("no page chunk for page {page}"))?;
        if !pages.contains_key(file) {
            pages.insert(file.clone(), parse(read, file)?);
            files_read.push(file.clone());
        }
        let (url, title, _) = page
            .checked_sub(*first)
            .and_then(|at| pages[file].get(at as usize))
            .ok_or_else(|| anyhow!("{file}: page {page} missing"))?;
        results.push(Hit { url: url.clone(), title: title.clone(), tier, score });
    }
    Ok((results, files_read))
}

/// Whether the last query word also matches longer words: not for one ASCII letter,
/// which would match a good part of the index.
fn is_prefix_word(word: &str) -> bool {
    !word.is_ascii() || word.len() >= 2
}

/// The term chunks that may hold `word` (and, for a prefix, the words it starts).
fn chunk_files(chunks: &[(String, String)], word: &str, prefix: bool) -> Vec<String> {
    let at = chunks.partition_point(|(first, _)| utf16_cmp(first, word) != Ordering::Greater).saturating_sub(1);
    let mut files: Vec<String> = chunks.get(at).map(|(_, file)| file.clone()).into_iter().collect();
    if prefix {
        let more = chunks[at.min(chunks.len())..].iter().skip(1).take_while(|(first, _)| first.starts_with(word));
        files.extend(more.take(MAX_PREFIX_CHUNKS - 1).map(|(_, file)| file.clone()));
    }
    files
}

/// The pages' lengths as the index has them (steps of a log scale), and their average.
struct Lengths {
    steps: Vec<f64>,
    average: f64,
}

impl Lengths {
    fn parse(digits: &str) -> Lengths {
        let steps: Vec<f64> = digits
            .bytes()
            .map(|digit| LENGTH_DIGITS.iter().position(|&d| d == digit).map_or(0.0, |step| step_length(step as u8)))
            .collect();
        let average = (steps.iter().sum::<f64>() / steps.len().max(1) as f64).max(1.0);
        Lengths { steps, average }
    }

    /// BM25's length normalization for `page`.
    fn norm(&self, page: u32) -> f64 {
        let length = self.steps.get(page as usize).copied().unwrap_or(self.average);
        1.0 - B + B * length / self.average
    }
}

/// Adds a term's postings (`[delta id, code, …]`) to the per-page scores of a query word,
/// keeping each page's best match among the terms the word stands for.
fn add_postings(found: &mut BTreeMap<u32, (f64, u32)>, postings: &[u32], pages: u32, lengths: &Lengths, weight: f64) {
    let n = (postings.len() / 2) as f64;
    let idf = (1.0 + (f64::from(pages) - n + 0.5) / (n + 0.5)).ln();
    let mut page = 0u32;
    for pair in postings.chunks_exact(2) {
        // Saturating: a damaged file must not overflow (it only ranks oddly).
        page = page.saturating_add(pair[0]);
        let count = f64::from(pair[1] >> 2);
        let score = count * (K1 + 1.0) / (count + K1 * lengths.norm(page)) * idf * weight;
        let place = pair[1] & 3;
        let entry = found.entry(page).or_insert((0.0, 0));
        entry.0 = entry.0.max(score);
        entry.1 = entry.1.max(place);
    }
}

/// JavaScript's string order (UTF-16 code units), which the index is sorted in.
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn parse<T: serde::de::DeserializeOwned>(read: &dyn Fn(&str) -> Option<Vec<u8>>, file: &str) -> Result<T> {
    let bytes = read(file).ok_or_else(|| anyhow!("{file}: missing"))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{file}: not a search index file"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::index::{Document, PageRecord, assemble};

    fn site(pages: &[(&str, &str, &str)]) -> HashMap<String, Vec<u8>> {
        let tokenizer = Tokenizer::new();
        let documents = pages
            .iter()
            .map(|(url, title, html)| Document::new(*url, PageRecord::new(&tokenizer, title, html).into()))
            .collect();
        assemble(documents).into_iter().collect()
    }

    fn urls(files: &HashMap<String, Vec<u8>>, query: &str) -> Vec<String> {
        let (hits, _) = search(&Tokenizer::new(), query, &|name| files.get(name).cloned()).expect("a search");
        hits.into_iter().map(|h| h.url).collect()
    }

    #[test]
    fn a_title_hit_ranks_before_body_hits() {
        let files = site(&[
            ("body/", "Networking", "<p>Virtual machines and virtual machines and virtual machines.</p>"),
            ("heading/", "Overview", "<h2>Virtual machine basics</h2><p>Text.</p>"),
            ("title/", "Containers vs. virtual machines", "<p>Compare them.</p>"),
            ("none/", "Other", "<p>Nothing here.</p>"),
        ]);
        assert_eq!(urls(&files, "virtual machine"), ["title/", "heading/", "body/"]);
    }

    #[test]
    fn every_word_must_match_and_the_last_may_be_unfinished() {
        let files = site(&[("a/", "A", "<p>virtual network</p>"), ("b/", "B", "<p>virtual machine</p>")]);
        assert_eq!(urls(&files, "virtual mach"), ["b/"]);
        assert_eq!(urls(&files, "virt"), ["a/", "b/"]);
        assert!(urls(&files, "virt machine").is_empty(), "only the last word is a prefix");
        assert!(urls(&files, "v").is_empty(), "one ASCII letter matches only itself");
        assert!(urls(&files, "  ").is_empty());
    }

    #[test]
    fn chinese_words_are_found_inside_sentences() {
        let files = site(&[
            ("zh/", "容器与虚拟机", "<p>了解容器和虚拟机之间的差异。</p>"),
            ("other/", "网络", "<p>配置网络。</p>"),
        ]);
        assert_eq!(urls(&files, "容器"), ["zh/"]);
        assert_eq!(urls(&files, "网络"), ["other/"]);
    }

    #[test]
    fn a_prefix_reads_only_the_chunks_it_falls_in() {
        let html: String = (0..30_000).map(|i| format!("<p>w{i:05}</p>")).collect();
        let files = site(&[("a/", "A", &html), ("b/", "B", "<p>zebra</p>")]);
        let (hits, read) = search(&Tokenizer::new(), "zebra", &|name| files.get(name).cloned()).expect("a search");
        assert_eq!(hits.len(), 1);
        let chunks = files.keys().filter(|n| n.starts_with("terms.")).count();
        assert!(chunks > 3, "{chunks}");
        assert_eq!(read.iter().filter(|n| n.starts_with("terms.")).count(), 1, "{read:?}");
    }

    #[test]
    fn utf16_order_differs_from_byte_order_beyond_the_bmp() {
        // U+FF01 sorts before U+1F600 in code points, after it in UTF-16 code units.
        assert_eq!(utf16_cmp("\u{ff01}", "\u{1f600}"), Ordering::Greater);
    }
}
