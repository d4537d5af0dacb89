//! One locale's index: what each page contributes (`PageRecord`, a pure function of its
//! title and body) and the files they are assembled into, under `<locale>/_search/`:
//!
//! - `index.json` (fixed name, small): the number of pages, the first term of every term
//!   chunk with its file, and the first page id of every page chunk with its file;
//! - `terms.<hash>.json`: terms in sorted order (UTF-16 code units, the order JavaScript
//!   compares strings in), cut into chunks of about `TERM_CHUNK_BYTES`, each term with its
//!   postings;
//! - `pages.<hash>.json`: consecutive pages' URL (relative to the locale root), title and
//!   the start of their text, for the result list and its excerpts.
//!
//! Chunk names carry a hash of their bytes, so servers may cache them for ever, and the
//! pages' HTML never names them (a content edit changes no page but the edited one). The
//! script reads `index.json`, then only the term chunks its words fall in and the page
//! chunks of the results it shows.

use std::hash::BuildHasher as _;

use rayon::prelude::*;

use super::text;
use super::tokenize::Tokenizer;
use crate::output::{Bytes, FileSink};

/// Term chunks are cut once they pass this size: big enough that a query needs one or two,
/// small enough that those load fast.
pub const TERM_CHUNK_BYTES: usize = 64 * 1024;
/// Page chunks are smaller: a result list of ten needs up to ten of them.
pub const PAGE_CHUNK_BYTES: usize = 24 * 1024;
/// Entries made in parallel at a time.
const ENTRY_BATCH: usize = 4096;
/// How much of a page's text the page chunk keeps for excerpts.
pub const EXCERPT_BYTES: usize = 2048;

/// Where a word occurs on a page, as the low two bits of a posting's code.
pub const IN_BODY: u32 = 0;
pub const IN_HEADING: u32 = 1;
pub const IN_TITLE: u32 = 2;

/// BM25's parameters, the usual ones.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// What one page contributes to its locale's index. Compact on purpose: a build holds one
/// locale's records at once.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageRecord {
    /// The page's distinct words, each followed by `\n` (a word never holds one).
    words: String,
    /// Per word, in the same order: `count << 2 | where` (`IN_TITLE`, `IN_HEADING`, `IN_BODY`).
    stats: Vec<u32>,
    /// Words in the text (for BM25's length normalization).
    length: u32,
    pub title: String,
    /// The start of the page's text, cut at a character boundary.
    pub excerpt: String,
}

impl PageRecord {
    /// The record of a page titled `title` whose rendered body is `html`.
    pub fn new(tokenizer: &Tokenizer, title: &str, html: &str) -> PageRecord {
        let body = text::extract(html);
        let mut record = PageRecord { title: title.to_string(), ..PageRecord::default() };
        // Per distinct word: (count, where).
        let mut counts: hashbrown::HashMap<String, (u32, u32), foldhash::fast::RandomState> =
            hashbrown::HashMap::with_capacity_and_hasher(512, Default::default());
        let mut add = |word: &str, place: u32, counted: bool| {
            let entry = counts.entry_ref(word).or_insert((0, IN_BODY));
            entry.0 += u32::from(counted);
            entry.1 = entry.1.max(place);
        };
        tokenizer.words(title, |w| add(w, IN_TITLE, true));
        tokenizer.words(&body.headings, |w| add(w, IN_HEADING, false));
        let mut length = 0u32;
        tokenizer.words(&body.text, |w| {
            length += 1;
            add(w, IN_BODY, true);
        });
        let mut words: Vec<(&String, &(u32, u32))> = counts.iter().collect();
        words.sort_unstable_by(|a, b| a.0.cmp(b.0));
        record.words.reserve(words.iter().map(|(word, _)| word.len() + 1).sum());
        record.stats.reserve_exact(words.len());
        for (word, &(count, place)) in words {
            record.words.push_str(word);
            record.words.push('\n');
            record.stats.push(count.clamp(1, u32::MAX >> 2) << 2 | place);
        }
        record.length = length;
        // The text usually opens with the title (the page's `<h1>`), which the result shows
        // already.
        let text = body.text.strip_prefix(title).map_or(body.text.as_str(), str::trim_start);
        record.excerpt = cut(text, EXCERPT_BYTES).to_string();
        record
    }

    /// The bytes its text and numbers take on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.words.len() + self.stats.len() * size_of::<u32>() + self.title.len() + self.excerpt.len()
    }

    /// `(word, count, where)` for each distinct word.
    fn words(&self) -> impl Iterator<Item = (&str, u32, u32)> {
        self.words.split_terminator('\n').zip(&self.stats).map(|(word, stat)| (word, stat >> 2, stat & 3))
    }
}

/// A page of the index: its URL relative to the locale root, and its record.
pub struct Document {
    pub url: String,
    pub record: std::sync::Arc<PageRecord>,
}

/// The files of one locale's index: (file name inside `_search/`, bytes).
pub fn assemble(documents: Vec<Document>) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut collect = |name: String, bytes: Bytes| {
        files.push((name, bytes.to_vec()));
        Ok(())
    };
    // Collecting into memory cannot fail.
    let _ = assemble_into(documents, &mut collect);
    files
}

/// Makes one locale's index, handing each file to `sink` as soon as it is made: chunks
/// are not kept once handed over, so the index is never all in memory.
pub fn assemble_into(documents: Vec<Document>, sink: &mut FileSink<'_>) -> anyhow::Result<()> {
    let total_length: u64 = documents.iter().map(|d| u64::from(d.record.length)).sum();
    let average = (total_length as f64 / documents.len().max(1) as f64).max(1.0);
    // Postings as flat `[page id, code, page id, code, …]`, page ids ascending. Terms are
    // split among the workers by hash: each walks every page in order and keeps its own
    // terms, so no worker's postings need merging with another's.
    let parts = rayon::current_num_threads().max(1);
    let hasher = foldhash::fast::FixedState::with_seed(0);
    // The high half of the hash picks the part: the tables index by the low bits.
    let part_of = |hash: u64| (hash >> 32) as usize % parts;
    let postings: Vec<Vec<(&str, Vec<u32>)>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut table: hashbrown::HashTable<(&str, Vec<u32>)> = hashbrown::HashTable::new();
            for (id, document) in documents.iter().enumerate() {
                let length_norm = 1.0 - B + B * f64::from(document.record.length) / average;
                for (word, count, place) in document.record.words() {
                    let hash = hasher.hash_one(word);
                    if part_of(hash) != part {
                        continue;
                    }
                    let (_, list) = table
                        .entry(hash, |(term, _)| *term == word, |(term, _)| hasher.hash_one(term))
                        .or_insert_with(|| (word, Vec::new()))
                        .into_mut();
                    list.push(id as u32);
                    list.push(code(count, length_norm, place));
                }
            }
            table.into_iter().collect()
        })
        .collect();
    let mut terms: Vec<(&str, Vec<u32>)> = postings.into_iter().flatten().collect();
    terms.par_sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));

    // Entries are made in parallel a batch at a time and cut into chunks as they come,
    // which go to the sink as they are finished: each term's postings are dropped once
    // written out, and neither a list of every entry nor every chunk is ever held (on a
    // large site, each would be hundreds of megabytes).
    let mut term_chunks = Chunker::new(TERM_CHUNK_BYTES);
    let mut term_index = Vec::new();
    let mut terms = terms.into_iter();
    loop {
        let batch: Vec<(&str, Vec<u32>)> = terms.by_ref().take(ENTRY_BATCH).collect();
        let last = batch.is_empty();
        let entries: Vec<(&str, String)> =
            batch.into_par_iter().map(|(term, list)| (term, term_entry(term, &list))).collect();
        for (term, entry) in entries {
            term_chunks.push(term.to_string(), &entry);
        }
        let finished = if last { term_chunks.finish() } else { term_chunks.take_finished() };
        for (first, name, body) in named(finished, "terms") {
            term_index.push((first, name.clone()));
            sink(name, body.into())?;
        }
        if last {
            break;
        }
    }
    let mut page_chunks = Chunker::new(PAGE_CHUNK_BYTES);
    let mut page_index = Vec::new();
    let mut batches = documents.chunks(ENTRY_BATCH).enumerate().peekable();
    while let Some((batch_at, batch)) = batches.next() {
        let entries: Vec<String> = batch.par_iter().map(page_entry).collect();
        for (at, entry) in entries.iter().enumerate() {
            page_chunks.push(batch_at * ENTRY_BATCH + at, entry);
        }
        let finished = if batches.peek().is_none() { page_chunks.finish() } else { page_chunks.take_finished() };
        for (first, name, body) in named(finished, "pages") {
            page_index.push((first, name.clone()));
            sink(name, body.into())?;
        }
    }
    let entry = serde_json::json!({
        "version": 1,
        "pages": documents.len(),
        "term_chunks": term_index,
        "page_chunks": page_index,
    });
    sink("index.json".to_string(), entry.to_string().into_bytes().into())
}

/// A posting's code: where the word occurs in its low two bits, and above them BM25's
/// term-frequency factor (with the page length folded in) in fiftieths. The script
/// multiplies it by the term's inverse document frequency, which it knows from the length
/// of the postings list, so it never needs page lengths.
fn code(count: u32, length_norm: f64, place: u32) -> u32 {
    let count = f64::from(count);
    let factor = count * (K1 + 1.0) / (count + K1 * length_norm);
    let scaled = (factor * 50.0).round().clamp(1.0, 1000.0) as u32;
    scaled << 2 | place
}

/// `["term",[id,code,…]]` with page ids delta-encoded (smaller numbers, fewer bytes).
fn term_entry(term: &str, list: &[u32]) -> String {
    let mut entry = String::with_capacity(term.len() + 8 + list.len() * 4);
    entry.push('[');
    entry.push_str(&serde_json::to_string(term).unwrap_or_default());
    entry.push_str(",[");
    let mut numbers = itoa::Buffer::new();
    let mut previous = 0;
    for (i, pair) in list.chunks_exact(2).enumerate() {
        if i > 0 {
            entry.push(',');
        }
        entry.push_str(numbers.format(pair[0] - previous));
        entry.push(',');
        entry.push_str(numbers.format(pair[1]));
        previous = pair[0];
    }
    entry.push_str("]]");
    entry
}

/// `["url","title","text"]`.
fn page_entry(document: &Document) -> String {
    serde_json::to_string(&(&document.url, &document.record.title, &document.record.excerpt)).unwrap_or_default()
}

/// Groups entries into JSON arrays of about `target` bytes; each chunk comes with the key
/// of its first entry.
struct Chunker<K> {
    target: usize,
    current: Option<(K, Vec<u8>)>,
    done: Vec<(K, Vec<u8>)>,
}

impl<K> Chunker<K> {
    fn new(target: usize) -> Chunker<K> {
        Chunker { target, current: None, done: Vec::new() }
    }

    fn push(&mut self, key: K, entry: &str) {
        let (_, body) = self.current.get_or_insert_with(|| (key, b"[".to_vec()));
        if body.len() > 1 {
            body.push(b',');
        }
        body.extend_from_slice(entry.as_bytes());
        if body.len() >= self.target {
            let (first, mut body) = self.current.take().expect("a chunk in progress");
            body.push(b']');
            self.done.push((first, body));
        }
    }

    /// The chunks finished so far, handed over.
    fn take_finished(&mut self) -> Vec<(K, Vec<u8>)> {
        std::mem::take(&mut self.done)
    }

    fn finish(&mut self) -> Vec<(K, Vec<u8>)> {
        if let Some((first, mut body)) = self.current.take() {
            body.push(b']');
            self.done.push((first, body));
        }
        std::mem::take(&mut self.done)
    }
}

/// Each chunk with its file name (hashing them is work enough to share out).
fn named<K: Send>(chunks: Vec<(K, Vec<u8>)>, kind: &str) -> Vec<(K, String, Vec<u8>)> {
    chunks.into_par_iter().map(|(first, body)| (first, hashed_name(kind, &body), body)).collect()
}

/// `terms.0123456789.json`: named by their content, so they can be cached for ever.
fn hashed_name(kind: &str, body: &[u8]) -> String {
    let hash = blake3::hash(body).to_hex();
    format!("{kind}.{}.json", &hash[..10])
}

/// The longest start of `text` of at most `max` bytes that ends on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn document(url: &str, title: &str, html: &str) -> Document {
        Document { url: url.to_string(), record: PageRecord::new(&Tokenizer::new(), title, html).into() }
    }

    #[test]
    fn a_record_knows_where_each_word_occurs() {
        let record = PageRecord::new(
            &Tokenizer::new(),
            "Containers",
            "<h1>Containers</h1><h2>Isolation</h2><p>Containers share a kernel. Kernel!</p>",
        );
        let words: Vec<(&str, u32, u32)> = record.words().collect();
        assert_eq!(
            words,
            [
                ("a", 1, IN_BODY),
                ("containers", 3, IN_TITLE),
                ("isolation", 1, IN_HEADING),
                ("kernel", 2, IN_BODY),
                ("share", 1, IN_BODY)
            ]
        );
        assert_eq!(record.length, 7);
        assert_eq!(record.excerpt, "Isolation Containers share a kernel. Kernel!", "the title is shown already");
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        let record = PageRecord::new(&Tokenizer::new(), "t", &"<p>容器".repeat(2000));
        assert!(record.excerpt.len() <= EXCERPT_BYTES && record.excerpt.len() > EXCERPT_BYTES - 4);
    }

    #[test]
    fn the_entry_file_lists_sorted_chunk_boundaries() {
        // Enough distinct words for several term chunks.
        let html: String = (0..40_000).map(|i| format!("<p>w{i:05}</p>")).collect();
        let files = assemble(vec![document("a/", "A", &html), document("", "Home", "<p>w00001 welcome</p>")]);
        let (_, entry) = files.iter().find(|(name, _)| name == "index.json").expect("index.json");
        let entry: Value = serde_json::from_slice(entry).expect("JSON");
        assert_eq!(entry["pages"], 2);
        let chunks = entry["term_chunks"].as_array().expect("term chunks");
        assert!(chunks.len() > 2, "{chunks:?}");
        let firsts: Vec<&str> = chunks.iter().map(|c| c[0].as_str().expect("a term")).collect();
        assert!(firsts.windows(2).all(|w| w[0] < w[1]), "{firsts:?}");
        // Every chunk is named by its bytes, exists, and starts with the term the entry says.
        for chunk in chunks {
            let name = chunk[1].as_str().expect("a name");
            let (_, body) = files.iter().find(|(n, _)| n == name).expect("the chunk file");
            assert_eq!(*name, hashed_name("terms", body));
            assert!(body.len() < TERM_CHUNK_BYTES + 100, "{name}: {}", body.len());
            let terms: Value = serde_json::from_slice(body).expect("JSON");
            assert_eq!(terms[0][0], chunk[0]);
        }
    }

    #[test]
    fn postings_are_delta_encoded_with_where_the_word_occurs() {
        let files = assemble(vec![
            document("a/", "Kernel", "<p>kernel</p>"),
            document("b/", "B", "<p>nothing</p>"),
            document("c/", "C", "<h2>Kernel</h2>"),
            document("d/", "D", "<p>the kernel</p>"),
        ]);
        let (_, body) = files.iter().find(|(n, _)| n.starts_with("terms.")).expect("a term chunk");
        let terms: Value = serde_json::from_slice(body).expect("JSON");
        let kernel = terms.as_array().expect("terms").iter().find(|t| t[0] == "kernel").expect("kernel");
        let list: Vec<u64> = kernel[1].as_array().expect("postings").iter().map(|n| n.as_u64().expect("n")).collect();
        let ids: Vec<u64> = list.iter().step_by(2).copied().collect();
        let codes: Vec<u64> = list.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(ids, [0, 2, 1], "deltas of 0, 2, 3");
        assert_eq!(codes.iter().map(|c| c & 3).collect::<Vec<_>>(), [2, 1, 0]);
        assert!(codes.iter().all(|c| c >> 2 > 0));
    }

    #[test]
    fn page_chunks_hold_url_title_and_text() {
        let files = assemble(vec![document("about/x/", "X & Y", "<p>Body <b>text</b></p>")]);
        let (_, body) = files.iter().find(|(n, _)| n.starts_with("pages.")).expect("a page chunk");
        let pages: Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(pages, serde_json::json!([["about/x/", "X & Y", "Body text"]]));
    }
}
