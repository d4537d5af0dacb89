//! One locale's index: what each page contributes (`PageRecord`, a pure function of its
//! title and body) and the files they are assembled into, under `<locale>/_search/`:
//!
//! - `index.json` (fixed name, small): the number of pages, the file of their lengths, the
//!   first term of every term chunk with its file, and the first page id of every page
//!   chunk with its file;
//! - `terms.<hash>.json`: terms in sorted order (UTF-16 code units, the order JavaScript
//!   compares strings in), cut into chunks, each term with its postings: page ids and
//!   where and how often the term occurs there;
//! - `pages.<hash>.json`: consecutive pages' URL (relative to the locale root), title and
//!   the start of their text, for the result list and its excerpts;
//! - `lengths.<hash>.json`: every page's length in words, one character each (a log
//!   scale), which BM25's length normalization needs.
//!
//! Chunk names carry a hash of their bytes, so servers may cache them for ever, and the
//! pages' HTML never names them (a content edit changes no page but the edited one). The
//! script reads `index.json`, then only the term chunks its words fall in, the lengths
//! and the page chunks of the results it shows.
//!
//! Every file depends only on what it holds, so that an edit changes few files and a
//! build can `patch` the previous index instead of assembling it again: postings hold
//! no site-wide numbers (BM25 is computed by the reader, which has the lengths), and
//! chunks end where their own content says — a term chunk after a term whose hash is a
//! multiple of the locale's cut (`term_cut`, a power of two made from the number of terms
//! and postings, so chunks stay around `TERM_CHUNK_BYTES`) or once it passes
//! `TERM_CHUNK_MAX_BYTES`, a page chunk after a page whose URL's hash is a multiple of
//! `PAGE_CUT` or at `PAGE_CHUNK_MAX` pages. Where one chunk ends never depends on the
//! chunks before it, so an edit that adds a word changes the chunk the word falls in
//! (and, when that chunk now ends elsewhere, the next ones up to the first that ends
//! where it did).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher as _;
use std::sync::Arc;

use rayon::prelude::*;

use super::query::utf16_cmp;
use super::text;
use super::tokenize::{MAX_WORD_BYTES, Tokenizer, WordStream};
use crate::output::{Bytes, FileSink};

/// What a term chunk is about, on average: big enough that a query needs one or two,
/// small enough that those load fast.
pub const TERM_CHUNK_BYTES: usize = 32 * 1024;
/// A term chunk ends after the entry that takes it past this size, whatever its terms: a
/// query reads a chunk whole.
pub const TERM_CHUNK_MAX_BYTES: usize = 2 * TERM_CHUNK_BYTES;
const _: () = assert!(TERM_CHUNK_MAX_BYTES == 2 * TERM_CHUNK_BYTES, "Chunker::terms makes the limit so");
/// A page chunk ends, on average, every this many pages (a power of two): a result list
/// of ten needs up to ten chunks, each about this many excerpts long…
pub const PAGE_CUT: u64 = 8;
/// …and at most this many.
pub const PAGE_CHUNK_MAX: usize = 12;
/// Entries made in parallel at a time.
const ENTRY_BATCH: usize = 4096;
/// How much of a page's text the page chunk keeps for excerpts.
pub const EXCERPT_BYTES: usize = 2048;
/// The index format, in `index.json`; a build patches only an index of its own format.
pub const FORMAT: u32 = 2;

/// Where a word occurs on a page, as the low two bits of a posting's code.
pub const IN_BODY: u32 = 0;
pub const IN_HEADING: u32 = 1;
pub const IN_TITLE: u32 = 2;

/// Each step of the length scale is this much longer than the one before.
pub const LENGTH_STEP: f64 = 1.2;
/// The characters of the length file, one per step: `LENGTH_DIGITS[q]` is step `q`.
pub const LENGTH_DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What one page contributes to its locale's index. Compact on purpose: a build holds one
/// locale's records at once.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageRecord {
    /// The page's distinct words one after the other, in no particular order (but always
    /// the same for the same page)…
    words: String,
    /// …each this many bytes long (words are at most `MAX_WORD_BYTES`): read in turn, no
    /// search for where a word ends…
    #[serde(with = "serde_bytes")]
    lengths: Vec<u8>,
    /// …and, in the same order, `count << 2 | where` (`IN_TITLE`, `IN_HEADING`, `IN_BODY`).
    stats: Vec<u32>,
    /// Words in the text (for BM25's length normalization).
    length: u32,
    pub title: String,
    /// The start of the page's text, cut at a character boundary.
    pub excerpt: String,
}

impl PageRecord {
    /// The record of a page titled `title` whose rendered body is `html`, made in one
    /// pass over the HTML: its text goes straight to the word counts, and only its start
    /// is kept, for the excerpt.
    pub fn new(tokenizer: &Tokenizer, title: &str, html: &str) -> PageRecord {
        let mut maker = RecordMaker {
            tokenizer,
            counts: WordCounts::default(),
            body: WordStream::default(),
            headings: WordStream::default(),
            length: 0,
            start: String::new(),
            // The excerpt is the text after the title (when the text opens with it and a
            // space), with room to find where its last character starts.
            start_limit: title.len() + 1 + EXCERPT_BYTES + 8,
            spaced: String::new(),
        };
        tokenizer.words(title, |w| maker.counts.add(w, IN_TITLE, true));
        text::walk(html, &mut maker);
        text::TextSink::split(&mut maker, true);
        let RecordMaker { counts, length, mut start, start_limit, .. } = maker;
        if start.len() < start_limit {
            // The whole text: no space at its end.
            start.truncate(start.trim_end().len());
        }
        counts.into_record(length, title, &start)
    }

    /// The bytes its text and numbers take on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.words.len()
            + self.lengths.len()
            + self.stats.len() * size_of::<u32>()
            + self.title.len()
            + self.excerpt.len()
    }

    /// `(word, count, where)` for each distinct word.
    #[cfg(test)]
    fn words(&self) -> impl Iterator<Item = (&str, u32, u32)> {
        self.word_list().zip(&self.stats).map(|(word, stat)| (word, stat >> 2, stat & 3))
    }
}

impl PageRecord {
    /// `(word, posting code)` for each distinct word: the code is `count << 2 | where`,
    /// what the word's posting holds for this page.
    pub fn postings(&self) -> impl Iterator<Item = (&str, u32)> {
        self.word_list().zip(self.stats.iter().copied())
    }

    /// The distinct words, in order. (A damaged record read from the cache ends its list
    /// where a length runs past its words.)
    fn word_list(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.lengths.iter().map_while(move |&len| {
            let end = start + usize::from(len);
            let word = self.words.get(start..end)?;
            start = end;
            Some(word)
        })
    }

    /// Words in the page's text.
    pub fn length(&self) -> u32 {
        self.length
    }
}

/// A record in the making, fed a body's text by `text::walk`.
struct RecordMaker<'t> {
    tokenizer: &'t Tokenizer,
    counts: WordCounts,
    /// The words of all the text, and of the headings only.
    body: WordStream,
    headings: WordStream,
    /// Words in the text.
    length: u32,
    /// The start of the text, whitespace collapsed, up to about `start_limit` bytes: all
    /// the excerpt needs.
    start: String,
    start_limit: usize,
    /// A run with its whitespace outside ASCII made spaces.
    spaced: String,
}

impl text::TextSink for RecordMaker<'_> {
    fn text(&mut self, run: &str, in_heading: bool) {
        // The text is cut at whitespace of any kind; the tokenizer cuts only at ASCII's.
        let run = if text::has_wide_whitespace(run) {
            self.spaced.clear();
            self.spaced.extend(run.chars().map(|c| if c.is_whitespace() { ' ' } else { c }));
            self.spaced.as_str()
        } else {
            run
        };
        let RecordMaker { tokenizer, counts, body, headings, length, start, start_limit, .. } = self;
        body.push(tokenizer, run, &mut |w| {
            *length += 1;
            counts.add(w, IN_BODY, true);
        });
        if in_heading {
            headings.push(tokenizer, run, &mut |w| counts.add(w, IN_HEADING, false));
        }
        // Only as much of the text as the excerpt needs: a run may be a long code block.
        // Collapsing whitespace only shortens text, so each part is at most what is
        // missing.
        let mut rest = run;
        while !rest.is_empty() && start.len() < *start_limit {
            let mut part = (*start_limit - start.len()).min(rest.len());
            while !rest.is_char_boundary(part) {
                part += 1;
            }
            text::push_collapsed(start, &rest[..part]);
            rest = &rest[part..];
        }
    }

    fn split(&mut self, in_heading: bool) {
        let RecordMaker { tokenizer, counts, body, headings, length, start, .. } = self;
        body.split(tokenizer, &mut |w| {
            *length += 1;
            counts.add(w, IN_BODY, true);
        });
        if in_heading {
            headings.split(tokenizer, &mut |w| counts.add(w, IN_HEADING, false));
        }
        text::push_space(start);
    }

    fn heading_end(&mut self) {
        let RecordMaker { tokenizer, counts, headings, .. } = self;
        headings.split(tokenizer, &mut |w| counts.add(w, IN_HEADING, false));
    }
}

/// A page's distinct words and their stats, as `PageRecord` holds them. The words go
/// into `words` as they are first met; the table finds a word's entry (its place in
/// `words`, its index in `stats`) with no string of its own. Most words are short: an
/// entry holds the first eight bytes of its word, which tell most words apart without
/// a look at `words`.
struct WordCounts {
    words: String,
    lengths: Vec<u8>,
    stats: Vec<u32>,
    table: hashbrown::HashTable<WordEntry>,
    hasher: foldhash::fast::FixedState,
}

// `WordCounts::add` keeps a word's length in a byte.
const _: () = assert!(MAX_WORD_BYTES <= u8::MAX as usize);

#[derive(Clone, Copy)]
struct WordEntry {
    head: u64,
    start: u32,
    len: u32,
    index: u32,
}

impl Default for WordCounts {
    fn default() -> WordCounts {
        WordCounts {
            words: String::new(),
            lengths: Vec::new(),
            stats: Vec::new(),
            table: hashbrown::HashTable::with_capacity(512),
            hasher: foldhash::fast::FixedState::with_seed(0),
        }
    }
}

/// Eight bytes that, with its length, tell `word` apart from any other word of that
/// length when it is at most eight bytes long: its first eight, or for a shorter word
/// its bytes read in two overlapping loads (no loop over them).
fn word_head(word: &[u8]) -> u64 {
    let len = word.len();
    if let Some(head) = word.first_chunk::<8>() {
        u64::from_le_bytes(*head)
    } else if len >= 4 {
        let low = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        let high = u32::from_le_bytes([word[len - 4], word[len - 3], word[len - 2], word[len - 1]]);
        u64::from(low) | u64::from(high) << 32
    } else if len > 0 {
        u64::from(word[0]) | u64::from(word[len / 2]) << 8 | u64::from(word[len - 1]) << 16
    } else {
        0
    }
}

fn word_hash(hasher: &foldhash::fast::FixedState, word: &[u8]) -> u64 {
    use std::hash::Hasher as _;
    let mut state = hasher.build_hasher();
    state.write(word);
    state.finish()
}

impl WordCounts {
    /// The record of a page titled `title` with these words, `length` words in its text,
    /// and `text` (whitespace collapsed, trimmed) as the start of that text.
    fn into_record(self, length: u32, title: &str, text: &str) -> PageRecord {
        let WordCounts { words, lengths, mut stats, .. } = self;
        // A word met only in headings (never counted) still counts once.
        for stat in &mut stats {
            if *stat >> 2 == 0 {
                *stat |= 1 << 2;
            }
        }
        // The text usually opens with the title (the page's `<h1>`), which the result shows
        // already.
        let text = text.strip_prefix(title).map_or(text, str::trim_start);
        let excerpt = cut(text, EXCERPT_BYTES).to_string();
        PageRecord { words, lengths, stats, length, title: title.to_string(), excerpt }
    }

    /// Counts `word` (when `counted`) met at `place` (`IN_TITLE`, `IN_HEADING`, `IN_BODY`).
    fn add(&mut self, word: &str, place: u32, counted: bool) {
        let WordCounts { words, lengths, stats, table, hasher } = self;
        let bytes = word.as_bytes();
        let (hash, head, len) = (word_hash(hasher, bytes), word_head(bytes), bytes.len() as u32);
        let same = |entry: &WordEntry| {
            entry.head == head
                && entry.len == len
                && (len <= 8 || words.as_bytes()[entry.start as usize + 8..(entry.start + len) as usize] == bytes[8..])
        };
        let rehash = |entry: &WordEntry| {
            word_hash(hasher, &words.as_bytes()[entry.start as usize..(entry.start + entry.len) as usize])
        };
        // One probe finds the word or the slot it goes in.
        let index = match table.entry(hash, same, rehash) {
            hashbrown::hash_table::Entry::Occupied(entry) => entry.get().index as usize,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let index = stats.len();
                slot.insert(WordEntry { head, start: words.len() as u32, len, index: index as u32 });
                words.push_str(word);
                lengths.push(len as u8);
                stats.push(IN_BODY);
                index
            }
        };
        // `count << 2 | where`, the count saturating below the top two bits.
        let (count, at) = (stats[index] >> 2, stats[index] & 3);
        let count = if counted { (count + 1).min(u32::MAX >> 2) } else { count };
        stats[index] = count << 2 | at.max(place);
    }
}

/// A page of the index: its URL relative to the locale root, and where its record is.
pub struct Document {
    pub url: String,
    pub record: RecordSource,
}

/// Gives a page's record when the index needs it: held in memory, or read from where a
/// build keeps records (its body store), so that an index is made without every record
/// of the site in memory at once.
pub type RecordSource = Box<dyn Fn() -> anyhow::Result<Arc<PageRecord>> + Send + Sync>;

impl Document {
    /// A page whose record is at hand.
    pub fn new(url: impl Into<String>, record: Arc<PageRecord>) -> Document {
        Document { url: url.into(), record: Box::new(move || Ok(Arc::clone(&record))) }
    }
}

/// `index.json`: what a reader needs to find the other files.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct IndexEntry {
    pub version: u32,
    pub pages: u32,
    /// Distinct terms and postings, which fix where term chunks are cut.
    pub terms: u64,
    pub postings: u64,
    /// The file of the pages' lengths.
    pub lengths: String,
    /// Every term chunk, in term order.
    pub term_chunks: Vec<TermChunkRef>,
    /// Every page chunk, in page order.
    pub page_chunks: Vec<PageChunkRef>,
}

/// `[first term, file]` of a term chunk.
pub type TermChunkRef = (String, String);
/// `[first page id, file]` of a page chunk.
pub type PageChunkRef = (u32, String);

/// The step of the length scale for a page of `words` words: 0 for none, else 1 plus the
/// nearest whole number of `LENGTH_STEP`s, at most 63. Coarse on purpose: BM25 needs
/// lengths only roughly, and an edit rarely moves a page to another step.
pub fn length_step(words: u32) -> u8 {
    if words == 0 {
        return 0;
    }
    let steps = (f64::from(words).ln() / LENGTH_STEP.ln()).round();
    (1.0 + steps).min(63.0) as u8
}

/// The length a step of the scale stands for.
pub fn step_length(step: u8) -> f64 {
    if step == 0 { 0.0 } else { LENGTH_STEP.powi(i32::from(step) - 1) }
}

/// How often, in terms, a term chunk ends (a power of two): so that chunks hold about
/// `TERM_CHUNK_BYTES`, from what an entry takes on average (a term about 16 bytes, a
/// posting about 4.5). It changes only when the site's vocabulary grows or shrinks by
/// about half, and a build whose cut changed assembles the index anew.
pub fn term_cut(terms: u64, postings: u64) -> u64 {
    cut_for(terms, postings, TERM_CHUNK_BYTES)
}

/// `term_cut` for chunks of about `chunk_bytes` (tests make small ones).
fn cut_for(terms: u64, postings: u64, chunk_bytes: usize) -> u64 {
    let estimated = (16 * terms + postings * 9 / 2).max(1) as f64;
    let per_chunk = chunk_bytes as f64 * terms as f64 / estimated;
    1 << (per_chunk.max(1.0).log2().round() as u32).min(24)
}

/// A hash of `text` that never changes between builds or polydoc versions of one format.
fn cut_hash(text: &str) -> u64 {
    u64::from_le_bytes(blake3::hash(text.as_bytes()).as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Whether a term chunk ends after `term`.
fn ends_term_chunk(term: &str, cut: u64) -> bool {
    cut_hash(term).is_multiple_of(cut)
}

/// Whether a page chunk ends after the page at `url`.
fn ends_page_chunk(url: &str) -> bool {
    cut_hash(url).is_multiple_of(PAGE_CUT)
}

/// The files of one locale's index: (file name inside `_search/`, bytes).
pub fn assemble(documents: Vec<Document>) -> Vec<(String, Vec<u8>)> {
    let files = std::sync::Mutex::new(Vec::new());
    let collect = |name: String, bytes: Bytes| {
        files.lock().expect("files lock").push((name, bytes.to_vec()));
        Ok(())
    };
    // Collecting into memory cannot fail.
    let _ = assemble_into(documents, &collect);
    let mut files = files.into_inner().expect("files lock");
    files.sort();
    files
}

/// Makes one locale's index, handing each file to `sink` as soon as it is made: chunks
/// are not kept once handed over, so the index is never all in memory.
pub fn assemble_into(documents: Vec<Document>, sink: &FileSink<'_>) -> anyhow::Result<()> {
    assemble_with(documents, sink, TERM_CHUNK_BYTES)
}

fn assemble_with(documents: Vec<Document>, sink: &FileSink<'_>, chunk_bytes: usize) -> anyhow::Result<()> {
    // Records are read a batch at a time and dropped once their postings, page entry and
    // length are taken: a large site's records would be hundreds of megabytes at once.
    // Postings are flat `[page id, code, page id, code, …]`, page ids ascending. A batch
    // is cut into runs of consecutive pages, each inverted on its own (every posting
    // looked at once), and the runs' lists are appended in page order: per run, one
    // look-up per distinct term.
    let hasher = foldhash::fast::FixedState::with_seed(0);
    let mut table: hashbrown::HashTable<(Box<str>, Vec<u32>)> = hashbrown::HashTable::new();
    let mut page_chunks = Chunker::pages();
    let mut page_index = Vec::new();
    let mut steps: Vec<u8> = Vec::with_capacity(documents.len());
    let mut batches = documents.chunks(ENTRY_BATCH).enumerate().peekable();
    while let Some((batch_at, batch)) = batches.next() {
        let first_id = batch_at * ENTRY_BATCH;
        let records: Vec<Arc<PageRecord>> =
            batch.par_iter().map(|document| (document.record)()).collect::<anyhow::Result<_>>()?;
        let run_len = records.len().div_ceil(4 * rayon::current_num_threads()).max(1);
        let runs: Vec<Vec<(&str, u64, Vec<u32>)>> = records
            .par_chunks(run_len)
            .enumerate()
            .map(|(run, records)| {
                let mut terms: hashbrown::HashTable<(&str, u64, Vec<u32>)> = hashbrown::HashTable::new();
                for (offset, record) in records.iter().enumerate() {
                    let id = (first_id + run * run_len + offset) as u32;
                    for (word, code) in record.postings() {
                        let hash = hasher.hash_one(word);
                        let (_, _, list) = terms
                            .entry(hash, |(term, _, _)| *term == word, |(_, hash, _)| *hash)
                            .or_insert_with(|| (word, hash, Vec::new()))
                            .into_mut();
                        list.push(id);
                        list.push(code);
                    }
                }
                terms.into_iter().collect()
            })
            .collect();
        for (word, hash, postings) in runs.into_iter().flatten() {
            let (_, list) = table
                .entry(hash, |(term, _)| **term == *word, |(term, _)| hasher.hash_one(&**term))
                .or_insert_with(|| (word.into(), Vec::new()))
                .into_mut();
            list.extend_from_slice(&postings);
        }
        let entries: Vec<(String, bool)> = batch
            .par_iter()
            .zip(&records)
            .map(|(document, record)| (page_entry(&document.url, record), ends_page_chunk(&document.url)))
            .collect();
        for (at, (entry, ends)) in entries.iter().enumerate() {
            page_chunks.push((first_id + at) as u32, entry, *ends);
        }
        steps.extend(records.iter().map(|record| length_step(record.length)));
        let finished = if batches.peek().is_none() { page_chunks.finish() } else { page_chunks.take_finished() };
        page_index.extend(hand_over(named(finished, "pages"), sink)?);
    }
    let mut terms: Vec<(Box<str>, Vec<u32>)> = table.into_iter().collect();
    terms.par_sort_unstable_by(|a, b| utf16_cmp(&a.0, &b.0));
    let term_count = terms.len() as u64;
    let posting_count: u64 = terms.iter().map(|(_, list)| list.len() as u64 / 2).sum();
    let cut = cut_for(term_count, posting_count, chunk_bytes);

    // Entries are made in parallel a batch at a time and cut into chunks as they come,
    // which go to the sink as they are finished: each term's postings are dropped once
    // written out, and neither a list of every entry nor every chunk is ever held (on a
    // large site, each would be hundreds of megabytes).
    let mut term_chunks = Chunker::terms(chunk_bytes);
    let mut term_index = Vec::new();
    let mut terms = terms.into_iter();
    loop {
        let batch: Vec<(Box<str>, Vec<u32>)> = terms.by_ref().take(ENTRY_BATCH).collect();
        let last = batch.is_empty();
        let entries: Vec<(Box<str>, String, bool)> = batch
            .into_par_iter()
            .map(|(term, list)| {
                let entry = term_entry(&term, &list);
                let ends = ends_term_chunk(&term, cut);
                (term, entry, ends)
            })
            .collect();
        for (term, entry, ends) in entries {
            term_chunks.push(term.into_string(), &entry, ends);
        }
        let finished = if last { term_chunks.finish() } else { term_chunks.take_finished() };
        term_index.extend(hand_over(named(finished, "terms"), sink)?);
        if last {
            break;
        }
    }
    let (lengths_name, lengths) = lengths_file(&steps);
    sink(lengths_name.clone(), lengths.into())?;
    let entry = IndexEntry {
        version: FORMAT,
        pages: documents.len() as u32,
        terms: term_count,
        postings: posting_count,
        lengths: lengths_name,
        term_chunks: term_index,
        page_chunks: page_index,
    };
    sink("index.json".to_string(), index_json(&entry).into())
}

/// What changed on one page since the index was made: its id (its place among the
/// locale's indexed pages, which is the same), its URL, its record then and now.
pub struct Change {
    pub id: u32,
    pub url: String,
    pub before: Arc<PageRecord>,
    pub after: Arc<PageRecord>,
}

/// An index patched: every file of the new index, and those of them to write (the
/// others are the previous index's files, unchanged).
#[derive(Debug, Default)]
pub struct Patched {
    pub files: Vec<String>,
    pub written: Vec<File>,
}

/// The index of `pages` pages that `assemble` would make from the records of the
/// previous index's pages with `changes` applied — made from the previous index's files
/// (`previous` reads them by name) and the changes alone, so its cost follows the
/// changes, not the site. `None` when the previous index cannot be patched into that:
/// another format or number of pages, a file missing or not as this code writes it, or
/// a change of vocabulary that moves the term chunks' cut (`term_cut`); the caller then
/// assembles the index anew. Same bytes as `assemble`, as the tests check.
pub fn patch(previous: &Previous<'_>, pages: u32, changes: &[Change]) -> Option<Patched> {
    patch_with(previous, pages, changes, TERM_CHUNK_BYTES)
}

/// Reads a file of the previous index by name.
type Previous<'a> = dyn Fn(&str) -> Option<Vec<u8>> + 'a;

/// A file of the index: its name inside `_search/` and its bytes.
type File = (String, Vec<u8>);

fn patch_with(previous: &Previous<'_>, pages: u32, changes: &[Change], chunk_bytes: usize) -> Option<Patched> {
    let entry: IndexEntry = serde_json::from_slice(&previous("index.json")?).ok()?;
    if entry.version != FORMAT || entry.pages != pages || changes.iter().any(|c| c.id >= pages) {
        return None;
    }
    let (deltas, postings) = term_deltas(changes, entry.postings)?;
    let (term_chunks, terms, mut written) = patch_terms(previous, &entry, &deltas, postings, chunk_bytes)?;
    let (page_chunks, pages_written) = patch_pages(previous, &entry, changes)?;
    written.extend(pages_written);
    let lengths = patch_lengths(previous, &entry, changes)?;
    let new_entry =
        IndexEntry { version: FORMAT, pages, terms, postings, lengths: lengths.0.clone(), term_chunks, page_chunks };
    written.push(lengths);
    written.push(("index.json".to_string(), index_json(&new_entry)));
    // Names are hashes of the bytes: a file made again as it was is the previous one.
    let before = entry_names(&entry);
    written.retain(|(name, _)| name == "index.json" || !before.contains(name.as_str()));
    let mut files: Vec<String> = entry_names(&new_entry).into_iter().map(str::to_string).collect();
    files.push("index.json".to_string());
    files.sort();
    Some(Patched { files, written })
}

/// Per term (in the index's order), the postings the changed pages give it, take from it
/// or change in it; and the index's number of postings after them.
fn term_deltas(changes: &[Change], postings: u64) -> Option<(BTreeMap<Utf16Key<'_>, Vec<PostingChange>>, u64)> {
    let mut deltas: BTreeMap<Utf16Key<'_>, Vec<PostingChange>> = BTreeMap::new();
    let mut postings = postings;
    for change in changes {
        let before: std::collections::HashMap<&str, u32> = change.before.postings().collect();
        let after: std::collections::HashMap<&str, u32> = change.after.postings().collect();
        for (&word, &code) in &after {
            if before.get(word) != Some(&code) {
                deltas.entry(Utf16Key(word)).or_default().push((change.id, Some(code)));
            }
        }
        for &word in before.keys().filter(|word| !after.contains_key(*word)) {
            deltas.entry(Utf16Key(word)).or_default().push((change.id, None));
        }
        postings = (postings + after.len() as u64).checked_sub(before.len() as u64)?;
    }
    Some((deltas, postings))
}

/// The term chunks with `deltas` applied: the new list of chunks, the number of terms, and
/// the chunk files made. Each changed chunk is cut again; when its last chunk no longer
/// ends where it did, the next chunk's terms follow, until a chunk ends where an old one
/// did. `None` when a file is missing or the cut moved (`term_cut`).
fn patch_terms(
    previous: &Previous<'_>,
    entry: &IndexEntry,
    deltas: &BTreeMap<Utf16Key<'_>, Vec<PostingChange>>,
    postings: u64,
    chunk_bytes: usize,
) -> Option<(Vec<TermChunkRef>, u64, Vec<File>)> {
    let chunk_of = |term: &str| {
        entry.term_chunks.partition_point(|(first, _)| utf16_cmp(first, term) != Ordering::Greater).saturating_sub(1)
    };
    let mut by_chunk: BTreeMap<usize, Vec<(&str, &[PostingChange])>> = BTreeMap::new();
    for (term, changes) in deltas {
        by_chunk.entry(chunk_of(term.0)).or_default().push((term.0, changes));
    }
    let read_chunk = |at: usize| read_term_chunk(previous, &entry.term_chunks.get(at)?.1);
    let mut terms = entry.terms;
    let mut changed: BTreeMap<usize, TermChunk> = BTreeMap::new();
    for (&at, term_changes) in &by_chunk {
        let mut chunk = read_chunk(at)?;
        for &(term, changes) in term_changes {
            match chunk.binary_search_by(|(known, _)| utf16_cmp(known, term)) {
                Ok(found) => {
                    apply_postings(&mut chunk[found].1, changes)?;
                    if chunk[found].1.is_empty() {
                        chunk.remove(found);
                        terms -= 1;
                    }
                }
                Err(insert_at) => {
                    let mut list = Vec::new();
                    apply_postings(&mut list, changes)?;
                    if list.is_empty() {
                        return None; // A posting removed from a term that has none.
                    }
                    chunk.insert(insert_at, (term.to_string(), list));
                    terms += 1;
                }
            }
        }
        changed.insert(at, chunk);
    }
    let cut = cut_for(terms, postings, chunk_bytes);
    if cut != cut_for(entry.terms, entry.postings, chunk_bytes) {
        return None;
    }
    let (mut index, mut written) = (Vec::with_capacity(entry.term_chunks.len() + 4), Vec::new());
    let mut at = 0;
    while at < entry.term_chunks.len() {
        let Some(mut region) = changed.remove(&at) else {
            index.push(entry.term_chunks[at].clone());
            at += 1;
            continue;
        };
        let mut chunker = Chunker::terms(chunk_bytes);
        loop {
            for (term, list) in &region {
                chunker.push(term.clone(), &term_entry(term, list), ends_term_chunk(term, cut));
            }
            at += 1;
            if !chunker.is_open() || at == entry.term_chunks.len() {
                break;
            }
            region = match changed.remove(&at) {
                Some(chunk) => chunk,
                None => read_chunk(at)?,
            };
        }
        for (first, name, body) in named(chunker.finish(), "terms") {
            index.push((first, name.clone()));
            written.push((name, body));
        }
    }
    Some((index, terms, written))
}

/// A term chunk's entries: each term with its postings as `[page id, code, …]`.
type TermChunk = Vec<(String, Vec<u32>)>;

/// A term chunk of the previous index, its page ids made absolute.
fn read_term_chunk(previous: &Previous<'_>, name: &str) -> Option<TermChunk> {
    let mut terms: TermChunk = serde_json::from_slice(&previous(name)?).ok()?;
    for (_, list) in &mut terms {
        let mut id = 0u32;
        for pair in list.chunks_exact_mut(2) {
            id = id.checked_add(pair[0])?;
            pair[0] = id;
        }
    }
    Some(terms)
}

/// The page chunks with the changed pages' entries replaced (a page's URL fixes where its
/// chunk ends, and the URLs are the same): the new list of chunks and the files made.
fn patch_pages(
    previous: &Previous<'_>,
    entry: &IndexEntry,
    changes: &[Change],
) -> Option<(Vec<PageChunkRef>, Vec<File>)> {
    let mut by_chunk: BTreeMap<usize, Vec<&Change>> = BTreeMap::new();
    for change in changes {
        let at = entry.page_chunks.partition_point(|(first, _)| *first <= change.id).checked_sub(1)?;
        by_chunk.entry(at).or_default().push(change);
    }
    let (mut index, mut written) = (entry.page_chunks.clone(), Vec::new());
    for (at, changes) in by_chunk {
        let (first, name) = &entry.page_chunks[at];
        let mut pages: Vec<(String, String, String)> = serde_json::from_slice(&previous(name)?).ok()?;
        for change in changes {
            let page = pages.get_mut((change.id - first) as usize)?;
            if page.0 != change.url {
                return None;
            }
            *page = (change.url.clone(), change.after.title.clone(), change.after.excerpt.clone());
        }
        let mut chunker = Chunker::pages();
        for (offset, (url, title, excerpt)) in pages.iter().enumerate() {
            chunker.push(first + offset as u32, &page_entry_parts(url, title, excerpt), false);
        }
        let [(_, new_name, body)]: [(u32, String, Vec<u8>); 1] = named(chunker.finish(), "pages").try_into().ok()?;
        index[at].1 = new_name.clone();
        written.push((new_name, body));
    }
    Some((index, written))
}

/// The length file with the changed pages' steps.
fn patch_lengths(previous: &Previous<'_>, entry: &IndexEntry, changes: &[Change]) -> Option<File> {
    let lengths: String = serde_json::from_slice(&previous(&entry.lengths)?).ok()?;
    let mut steps: Vec<u8> = lengths.bytes().map(length_digit_step).collect::<Option<_>>()?;
    if steps.len() != entry.pages as usize {
        return None;
    }
    for change in changes {
        steps[change.id as usize] = length_step(change.after.length);
    }
    Some(lengths_file(&steps))
}

/// The names of every file an index entry lists, itself excepted.
fn entry_names(entry: &IndexEntry) -> HashSet<&str> {
    let terms = entry.term_chunks.iter().map(|(_, name)| name.as_str());
    let pages = entry.page_chunks.iter().map(|(_, name)| name.as_str());
    terms.chain(pages).chain([entry.lengths.as_str()]).collect()
}

/// A term ordered as JavaScript orders strings (UTF-16 code units).
#[derive(PartialEq, Eq)]
struct Utf16Key<'a>(&'a str);

impl Ord for Utf16Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        utf16_cmp(self.0, other.0)
    }
}

impl PartialOrd for Utf16Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A term's posting on one page as it is now: (page id, its code, or none when the term
/// left the page).
type PostingChange = (u32, Option<u32>);

/// Applies changes to a flat `[id, code, …]` list in id order; `None` when a change
/// removes a posting the list does not have.
fn apply_postings(list: &mut Vec<u32>, changes: &[PostingChange]) -> Option<()> {
    for &(id, code) in changes {
        let pairs = list.len() / 2;
        let (mut at, mut end) = (0, pairs);
        while at < end {
            let middle = (at + end) / 2;
            if list[middle * 2] < id {
                at = middle + 1;
            } else {
                end = middle;
            }
        }
        let present = at < pairs && list[at * 2] == id;
        match (present, code) {
            (true, Some(code)) => list[at * 2 + 1] = code,
            (true, None) => {
                list.drain(at * 2..at * 2 + 2);
            }
            (false, Some(code)) => {
                list.splice(at * 2..at * 2, [id, code]);
            }
            (false, None) => return None,
        }
    }
    Some(())
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
fn page_entry(url: &str, record: &PageRecord) -> String {
    page_entry_parts(url, &record.title, &record.excerpt)
}

fn page_entry_parts(url: &str, title: &str, excerpt: &str) -> String {
    serde_json::to_string(&(url, title, excerpt)).unwrap_or_default()
}

/// The step a character of the length file stands for.
fn length_digit_step(digit: u8) -> Option<u8> {
    LENGTH_DIGITS.iter().position(|&d| d == digit).map(|step| step as u8)
}

/// The length file: a JSON string with one `LENGTH_DIGITS` character per page.
fn lengths_file(steps: &[u8]) -> (String, Vec<u8>) {
    let mut body = Vec::with_capacity(steps.len() + 2);
    body.push(b'"');
    body.extend(steps.iter().map(|&step| LENGTH_DIGITS[usize::from(step.min(63))]));
    body.push(b'"');
    (hashed_name("lengths", &body), body)
}

fn index_json(entry: &IndexEntry) -> Vec<u8> {
    serde_json::to_vec(entry).unwrap_or_default()
}

/// Groups entries into JSON arrays, ending one after each entry that says so, or once it
/// reaches its size or entry limit; each chunk comes with the key of its first entry.
struct Chunker<K> {
    max_bytes: usize,
    max_entries: usize,
    current: Option<(K, Vec<u8>, usize)>,
    done: Vec<(K, Vec<u8>)>,
}

impl<K> Chunker<K> {
    /// Term chunks of about `chunk_bytes` (`TERM_CHUNK_BYTES`; tests make small ones).
    fn terms(chunk_bytes: usize) -> Chunker<K> {
        Chunker { max_bytes: 2 * chunk_bytes, max_entries: usize::MAX, current: None, done: Vec::new() }
    }

    fn pages() -> Chunker<K> {
        Chunker { max_bytes: usize::MAX, max_entries: PAGE_CHUNK_MAX, current: None, done: Vec::new() }
    }

    fn push(&mut self, key: K, entry: &str, ends: bool) {
        let (_, body, entries) = self.current.get_or_insert_with(|| (key, b"[".to_vec(), 0));
        if *entries > 0 {
            body.push(b',');
        }
        body.extend_from_slice(entry.as_bytes());
        *entries += 1;
        if ends || body.len() >= self.max_bytes || *entries >= self.max_entries {
            let (first, mut body, _) = self.current.take().expect("a chunk in progress");
            body.push(b']');
            self.done.push((first, body));
        }
    }

    /// Whether a chunk has begun and not ended.
    fn is_open(&self) -> bool {
        self.current.is_some()
    }

    /// The chunks finished so far, handed over.
    fn take_finished(&mut self) -> Vec<(K, Vec<u8>)> {
        std::mem::take(&mut self.done)
    }

    fn finish(&mut self) -> Vec<(K, Vec<u8>)> {
        if let Some((first, mut body, _)) = self.current.take() {
            body.push(b']');
            self.done.push((first, body));
        }
        std::mem::take(&mut self.done)
    }
}

/// Hands named chunks to `sink`, side by side (writing files is most of an index's
/// time), and gives back each chunk's key and name, in order.
fn hand_over<K: Send>(chunks: Vec<(K, String, Vec<u8>)>, sink: &FileSink<'_>) -> anyhow::Result<Vec<(K, String)>> {
    chunks
        .into_par_iter()
        .map(|(first, name, body)| {
            sink(name.clone(), body.into())?;
            Ok((first, name))
        })
        .collect()
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
        Document::new(url, PageRecord::new(&Tokenizer::new(), title, html).into())
    }

    #[test]
    fn a_record_knows_where_each_word_occurs() {
        let record = PageRecord::new(
            &Tokenizer::new(),
            "Containers",
            "<h1>Containers</h1><h2>Isolation</h2><p>Containers share a kernel. Kernel!</p>",
        );
        let mut words: Vec<(&str, u32, u32)> = record.words().collect();
        words.sort();
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

    /// The record as the page's whole text gives it: `text::extract`'s text and headings
    /// cut by `Tokenizer::words`. `PageRecord::new` makes it in one pass, without the text
    /// (the counts become a record the same way in both).
    fn record_from_text(tokenizer: &Tokenizer, title: &str, html: &str) -> PageRecord {
        let body = text::extract(html);
        let mut counts = WordCounts::default();
        tokenizer.words(title, |w| counts.add(w, IN_TITLE, true));
        tokenizer.words(&body.headings, |w| counts.add(w, IN_HEADING, false));
        let mut length = 0;
        tokenizer.words(&body.text, |w| {
            length += 1;
            counts.add(w, IN_BODY, true);
        });
        counts.into_record(length, title, &body.text)
    }

    /// Its words and their stats in a fixed order: the record's order is the order the
    /// words are met in, which differs between the two ways of making it.
    fn sorted(record: &PageRecord) -> (Vec<(&str, u32, u32)>, u32, &str) {
        let mut words: Vec<_> = record.words().collect();
        words.sort_unstable();
        (words, record.length, record.excerpt.as_str())
    }

    #[test]
    fn a_record_made_in_one_pass_is_the_record_of_the_whole_text() {
        // Pieces of bodies as `markdown::render` writes them and raw HTML may: blocks and
        // inline tags, headings, highlighted code, entities, skipped elements, whitespace
        // of every kind, Chinese text, words split by inline tags.
        let pieces = [
            "<p>",
            "</p>",
            "<h2 id=\"a\">",
            "</h2>",
            "<h1>",
            "</h1>",
            "<em>",
            "</em>",
            "<code>",
            "</code>",
            "<span class=\"hl-k\">",
            "</span>",
            "<span title=\"a>b\">",
            "<br>",
            "<li>",
            "</li>",
            "<td>",
            "<pre class=\"hl\"><code>",
            "</code></pre>",
            "<script>x<p>y</p></script>",
            "<!-- c -->",
            "<div role=\"tablist\" hidden><button>Tab</button></div>",
            "&amp;",
            "&lt;",
            "&#x5BB9;",
            "&bogus;",
            "& ",
            "&",
            "<",
            " ",
            "  ",
            "\n",
            "\t",
            "\u{a0}",
            "\u{3000}",
            "Containers",
            "share",
            "KERNEL",
            "Hyper-V",
            "v1.2",
            "容器",
            "虚拟机的比较",
            "，",
            "。",
            "Ärger",
            "x",
            "Title",
            "Title ",
        ];
        let tokenizer = Tokenizer::new();
        let mut next = crate::search::test_numbers(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..5_000 {
            let html: String = (0..1 + next(40)).map(|_| pieces[next(pieces.len())]).collect();
            for title in ["Title", "容器", ""] {
                let (one_pass, reference) =
                    (PageRecord::new(&tokenizer, title, &html), record_from_text(&tokenizer, title, &html));
                assert_eq!(sorted(&one_pass), sorted(&reference), "{title:?}: {html:?}");
            }
        }
        // Long text: the excerpt comes from the start the record keeps.
        let long: String =
            (0..3_000).map(|i| ["<p>Title ", "容器，", "<em>a</em>b ", "\n\n", "&amp; "][i % 5]).collect();
        for title in ["Title", ""] {
            let (one_pass, reference) =
                (PageRecord::new(&tokenizer, title, &long), record_from_text(&tokenizer, title, &long));
            assert_eq!(sorted(&one_pass), sorted(&reference));
        }
    }

    #[test]
    fn a_short_words_head_and_length_tell_it_apart() {
        // Every word of up to 8 bytes over a small alphabet: no two of one length share a head.
        let alphabet = [b'a', b'b', 0xE5, b'0'];
        for len in 0..=8u32 {
            let mut heads = HashSet::new();
            for n in 0..4usize.pow(len) {
                let word: Vec<u8> = (0..len).map(|i| alphabet[n / 4usize.pow(i) % 4]).collect();
                assert!(heads.insert(word_head(&word)), "{word:?}");
            }
        }
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
        // Every chunk is named by its bytes, exists, starts with the term the entry says
        // and ends where its last term's hash says (but the last chunk).
        let cut = term_cut(entry["terms"].as_u64().unwrap(), entry["postings"].as_u64().unwrap());
        assert!(cut > 1 && cut.is_power_of_two(), "{cut}");
        for (at, chunk) in chunks.iter().enumerate() {
            let name = chunk[1].as_str().expect("a name");
            let (_, body) = files.iter().find(|(n, _)| n == name).expect("the chunk file");
            assert_eq!(*name, hashed_name("terms", body));
            let terms: Value = serde_json::from_slice(body).expect("JSON");
            let terms = terms.as_array().expect("terms");
            assert_eq!(terms[0][0], chunk[0]);
            let ends: Vec<bool> = terms.iter().map(|t| ends_term_chunk(t[0].as_str().unwrap(), cut)).collect();
            assert!(!ends[..ends.len() - 1].contains(&true), "{name} runs past a chunk end");
            let full = body.len() >= TERM_CHUNK_MAX_BYTES;
            assert!(ends[ends.len() - 1] || full || at == chunks.len() - 1, "{name} ends early");
            // Before its last entry (and the `,` and `]` around it), it was not full yet.
            let last = terms.last().map_or(0, |t| t.to_string().len());
            assert!(body.len() - last - 2 < TERM_CHUNK_MAX_BYTES, "{name} ran on");
        }
        let sizes: Vec<usize> =
            chunks.iter().map(|c| files.iter().find(|(n, _)| n == c[1].as_str().unwrap()).unwrap().1.len()).collect();
        let average = sizes.iter().sum::<usize>() / sizes.len();
        assert!(average > TERM_CHUNK_BYTES / 4 && average < TERM_CHUNK_BYTES * 4, "{sizes:?}");
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
        // How often and where: twice (title and text) in the title; in a heading (once,
        // at least); once in the text.
        assert_eq!(codes, [2 << 2 | IN_TITLE as u64, 1 << 2 | IN_HEADING as u64, 1 << 2 | IN_BODY as u64]);
    }

    #[test]
    fn lengths_are_one_step_of_a_log_scale_per_page() {
        let files = assemble(vec![
            document("a/", "A", ""),
            document("b/", "B", "<p>one</p>"),
            document("c/", "C", &"<p>word</p>".repeat(1000)),
        ]);
        let entry: IndexEntry =
            serde_json::from_slice(&files.iter().find(|(n, _)| n == "index.json").unwrap().1).unwrap();
        let (_, lengths) = files.iter().find(|(n, _)| *n == entry.lengths).expect("the lengths file");
        let steps: String = serde_json::from_slice(lengths).unwrap();
        assert_eq!(steps.len(), 3);
        let decoded: Vec<f64> = steps.bytes().map(|d| step_length(length_digit_step(d).unwrap())).collect();
        assert_eq!(decoded[0], 0.0);
        assert_eq!(decoded[1], 1.0);
        assert!((decoded[2] / 1000.0 - 1.0).abs() < LENGTH_STEP - 1.0, "{decoded:?}");
        assert_eq!(length_step(u32::MAX), 63);
    }

    /// A deterministic pseudo-random site: `pages` pages of words drawn from a vocabulary
    /// of `words`, some of them in titles and headings.
    struct Site {
        state: u64,
        words: usize,
    }

    impl Site {
        fn next(&mut self) -> u64 {
            // xorshift64*: enough for test data.
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn word(&mut self) -> String {
            // Skewed: a few words are on most pages, most words on few.
            let r = self.next() % self.words as u64;
            let rank = r * r / self.words as u64;
            let word = format!("w{rank}");
            if rank % 7 == 3 { format!("词{rank}") } else { word }
        }

        fn page(&mut self, id: usize) -> (String, String, String) {
            let title = format!("{} {}", self.word(), self.word());
            let length = 5 + self.next() % 300;
            let mut html = format!("<h2>{}</h2><p>", self.word());
            for _ in 0..length {
                html.push_str(&self.word());
                html.push(' ');
            }
            html.push_str("</p>");
            (format!("p{id}/"), title, html)
        }
    }

    fn documents(pages: &[(String, String, String)]) -> Vec<Document> {
        pages.iter().map(|(url, title, html)| document(url, title, html)).collect()
    }

    /// Term chunks of about this many bytes, so that small sites have many and edits
    /// often add or remove a chunk's last term.
    const SMALL_CHUNKS: usize = 600;

    fn assemble_small(documents: Vec<Document>) -> Vec<(String, Vec<u8>)> {
        let files = std::sync::Mutex::new(Vec::new());
        assemble_with(
            documents,
            &|name, bytes| {
                files.lock().unwrap().push((name, bytes.to_vec()));
                Ok(())
            },
            SMALL_CHUNKS,
        )
        .expect("in memory");
        let mut files = files.into_inner().unwrap();
        files.sort();
        files
    }

    /// The files of `before` patched with the pages of `after` that differ.
    fn patched(
        before: &[(String, String, String)],
        after: &[(String, String, String)],
    ) -> Option<Vec<(String, Vec<u8>)>> {
        let previous: BTreeMap<String, Vec<u8>> = assemble_small(documents(before)).into_iter().collect();
        let tokenizer = Tokenizer::new();
        let changes: Vec<Change> = before
            .iter()
            .zip(after)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(id, (a, b))| Change {
                id: id as u32,
                url: b.0.clone(),
                before: PageRecord::new(&tokenizer, &a.1, &a.2).into(),
                after: PageRecord::new(&tokenizer, &b.1, &b.2).into(),
            })
            .collect();
        let patch = patch_with(&|name| previous.get(name).cloned(), after.len() as u32, &changes, SMALL_CHUNKS)?;
        let written: BTreeMap<String, Vec<u8>> = patch.written.into_iter().collect();
        let files = patch.files.iter().map(|name| {
            let bytes = written
                .get(name)
                .or_else(|| previous.get(name))
                .unwrap_or_else(|| panic!("{name} is neither written nor kept"));
            (name.clone(), bytes.clone())
        });
        let mut files: Vec<(String, Vec<u8>)> = files.collect();
        assert_eq!(files.len(), patch.files.len());
        files.sort();
        Some(files)
    }

    #[test]
    fn a_patched_index_is_the_index_assembled_anew() {
        let mut site = Site { state: 0x9e37_79b9_7f4a_7c15, words: 3000 };
        let before: Vec<(String, String, String)> = (0..400).map(|id| site.page(id)).collect();
        let chunks = assemble_small(documents(&before)).iter().filter(|(name, _)| name.starts_with("terms.")).count();
        assert!(chunks > 100, "{chunks} term chunks: too few for edits to move their ends");
        let mut patched_some = 0;
        for round in 0..40 {
            let mut after = before.clone();
            // One to three pages edited: text appended, a page rewritten, a title changed,
            // text cut short (words vanish from the site), a page emptied.
            for _ in 0..1 + round % 3 {
                let id = (site.next() % before.len() as u64) as usize;
                match site.next() % 5 {
                    0 => after[id].2.push_str(&format!("<p>{} {}</p>", site.word(), site.word())),
                    1 => {
                        after[id] = {
                            let (_, t, h) = site.page(id);
                            (after[id].0.clone(), t, h)
                        }
                    }
                    2 => after[id].1 = site.word(),
                    3 => {
                        let html = &mut after[id].2;
                        let keep = (0..=html.len() / 3).rev().find(|&at| html.is_char_boundary(at)).unwrap_or(0);
                        html.truncate(keep);
                    }
                    _ => after[id].2.clear(),
                }
            }
            let fresh = assemble_small(documents(&after));
            if let Some(files) = patched(&before, &after) {
                patched_some += 1;
                let names = |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
                assert_eq!(names(&files), names(&fresh), "round {round}: other files");
                for ((name, a), (_, b)) in files.iter().zip(&fresh) {
                    assert!(
                        a == b,
                        "round {round}: {name} differs:\n{}\n{}",
                        String::from_utf8_lossy(a),
                        String::from_utf8_lossy(b)
                    );
                }
            }
        }
        assert!(patched_some >= 35, "only {patched_some} of 40 edits were patched");
    }

    #[test]
    fn a_patch_writes_only_what_the_edit_changed() {
        let mut site = Site { state: 7, words: 5000 };
        let before: Vec<(String, String, String)> = (0..600).map(|id| site.page(id)).collect();
        let mut after = before.clone();
        after[17].2.push_str("<p>zyzzyva</p>");
        let previous: BTreeMap<String, Vec<u8>> = assemble(documents(&before)).into_iter().collect();
        let tokenizer = Tokenizer::new();
        let change = Change {
            id: 17,
            url: after[17].0.clone(),
            before: PageRecord::new(&tokenizer, &before[17].1, &before[17].2).into(),
            after: PageRecord::new(&tokenizer, &after[17].1, &after[17].2).into(),
        };
        let patch = patch(&|name| previous.get(name).cloned(), 600, &[change]).expect("a patch");
        let mut written: Vec<&str> = patch.written.iter().map(|(n, _)| n.as_str()).collect();
        written.sort();
        // The new word's chunk, the page's chunk (its excerpt), its length (perhaps), the entry.
        assert!(written.len() <= 4, "{written:?}");
        assert!(written.contains(&"index.json") && written.iter().any(|n| n.starts_with("terms.")), "{written:?}");
        assert!(previous.len() > 40, "{}", previous.len());
    }

    #[test]
    fn what_cannot_be_patched_is_refused() {
        let mut site = Site { state: 11, words: 500 };
        let before: Vec<(String, String, String)> = (0..50).map(|id| site.page(id)).collect();
        let previous: BTreeMap<String, Vec<u8>> = assemble(documents(&before)).into_iter().collect();
        let read = |name: &str| previous.get(name).cloned();
        assert!(patch(&read, 51, &[]).is_none(), "another number of pages");
        assert!(patch(&|_| None, 50, &[]).is_none(), "no previous index");
        let tokenizer = Tokenizer::new();
        let other = Change {
            id: 3,
            url: "elsewhere/".to_string(),
            before: PageRecord::new(&tokenizer, &before[3].1, &before[3].2).into(),
            after: PageRecord::new(&tokenizer, "T", "<p>x</p>").into(),
        };
        assert!(patch(&read, 50, &[other]).is_none(), "a page that moved");
        // Nothing changed: the same files.
        let same = patch(&read, 50, &[]).expect("an empty patch");
        assert_eq!(same.files.len(), previous.len());
    }

    #[test]
    fn page_chunks_hold_url_title_and_text() {
        let files = assemble(vec![document("about/x/", "X & Y", "<p>Body <b>text</b></p>")]);
        let (_, body) = files.iter().find(|(n, _)| n.starts_with("pages.")).expect("a page chunk");
        let pages: Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(pages, serde_json::json!([["about/x/", "X & Y", "Body text"]]));
    }
}
