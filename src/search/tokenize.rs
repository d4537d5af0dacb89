//! Words of a text, as the search index and the search box both see them. Text is cut
//! at ASCII spaces and punctuation first; a piece of plain ASCII letters and digits is one
//! word (the common case, and cheap), and only pieces with other characters go to ICU4X's
//! word segmenter, whose dictionaries cut Chinese and Japanese (written without spaces)
//! into words. Words are lowercased. `theme/static/search.js` does the same at query
//! time with the browser's `Intl.Segmenter` — the same rules and dictionary family — so a
//! query's words are the index's words.
//!
//! The dictionary is most of the cost, and docs repeat themselves, so a `Tokenizer`
//! remembers how it cut what it has seen: not whole pieces (those run between Latin words
//! and seldom come again) but their units, the clauses between Chinese punctuation, which
//! the segmenter provably cuts alone as it cuts them in the piece (see `units`). The memo
//! is bounded and shared by the threads that index pages; the words are the same with or
//! without it.

use std::hash::BuildHasher as _;
use std::sync::{Mutex, PoisonError};

use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{WordSegmenter, WordSegmenterBorrowed};

/// Words longer than this are not indexed (base64 blobs, hashes): nobody types them.
pub const MAX_WORD_BYTES: usize = 48;

/// What a tokenizer's memo holds at most by default (text, word boundaries and their
/// bookkeeping). The units of the 10,000-page benchmark corpus take 2 MB.
pub const MEMO_BYTES: usize = 16 << 20;

/// Units longer than this are cut but not remembered: long runs without punctuation
/// rarely come again, and their boundaries fit in `u16`s.
const MAX_REMEMBERED_BYTES: usize = 1024;

/// The memo's shards: each has its own lock, so the threads that index pages in parallel
/// seldom wait for one another.
const SHARDS: usize = 64;

/// What a remembered unit costs besides its text and boundaries: two allocations, the
/// table's slot and its spare room (an estimate, on the high side).
const ENTRY_OVERHEAD: usize = 64;

/// Cuts text into lowercase words. Made once per build and shared by reference with the
/// threads that index pages: the segmenter borrows compiled-in data, and the memo
/// remembers how non-ASCII text already seen was cut, because documentation repeats
/// itself (boilerplate sentences, UI strings, translated headings).
pub struct Tokenizer {
    segmenter: WordSegmenterBorrowed<'static>,
    /// `None` when made with no memory for it.
    memo: Option<Memo>,
}

/// How the memo was used so far (for measurements and tests). Only units up to
/// `MAX_REMEMBERED_BYTES` are looked up.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemoStats {
    /// Units found in the memo, and their bytes.
    pub hits: u64,
    pub hit_bytes: u64,
    /// Units cut by the segmenter, and their bytes.
    pub misses: u64,
    pub miss_bytes: u64,
    /// Units held, and the bytes they count against the budget.
    pub entries: usize,
    pub bytes: usize,
}

impl Default for Tokenizer {
    fn default() -> Tokenizer {
        Tokenizer::new()
    }
}

impl Tokenizer {
    /// A tokenizer with a memo of `MEMO_BYTES`.
    pub fn new() -> Tokenizer {
        Tokenizer::with_memo_bytes(MEMO_BYTES)
    }

    /// A tokenizer whose memo holds at most about `budget` bytes; once full, it is still
    /// read but no longer grows. With `0`, there is no memo: every piece goes to the
    /// segmenter whole (the reference the memo's words are tested against).
    pub fn with_memo_bytes(budget: usize) -> Tokenizer {
        // The dictionary segmenter (not the LSTM one): CJK needs the dictionary anyway, and
        // it is what browsers' `Intl.Segmenter` uses too.
        let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
        Tokenizer { segmenter, memo: (budget > 0).then(|| Memo::new(budget)) }
    }

    /// Calls `word` with each word of `text`, lowercased, in order.
    pub fn words(&self, text: &str, mut word: impl FnMut(&str)) {
        let mut scratch = Scratch::default();
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some((start, end, kinds)) = next_piece(bytes, &mut at) {
            self.piece(&text[start..end], kinds, &mut scratch, &mut word);
        }
    }

    /// Calls `word` with each word of `piece` (a run between ASCII separators; `kinds`
    /// the union of its bytes' classes).
    fn piece(&self, piece: &str, kinds: u8, scratch: &mut Scratch, word: &mut impl FnMut(&str)) {
        let Scratch { lower, spans } = scratch;
        if kinds & OTHER == 0 {
            if piece.len() > MAX_WORD_BYTES {
                return;
            }
            if kinds & UPPER != 0 {
                lower.clear();
                lower.push_str(piece);
                lower.make_ascii_lowercase();
                word(lower);
            } else {
                word(piece);
            }
            return;
        }
        spans.clear();
        match &self.memo {
            None => self.segment(piece, 0, spans),
            Some(memo) => units(piece, |offset, unit| {
                if unit.len() > MAX_REMEMBERED_BYTES {
                    self.segment(unit, offset, spans);
                } else {
                    memo.spans(unit, offset, spans, |unit, offset, spans| self.segment(unit, offset, spans));
                }
            }),
        }
        for &(start, end) in spans.iter() {
            let segment = &piece[start..end];
            if is_caseless_text(segment) {
                word(segment);
            } else {
                lower.clear();
                lower.extend(segment.chars().flat_map(char::to_lowercase));
                word(lower);
            }
        }
    }

    /// The words of `text`, for tests and queries.
    pub fn collect(&self, text: &str) -> Vec<String> {
        let mut words = Vec::new();
        self.words(text, |w| words.push(w.to_string()));
        words
    }

    /// How the memo was used so far (all zero without one).
    pub fn memo_stats(&self) -> MemoStats {
        self.memo.as_ref().map(Memo::stats).unwrap_or_default()
    }

    /// Pushes the byte ranges of the words the segmenter finds in `text` (word-like
    /// segments, not too long), shifted by `offset`.
    fn segment(&self, text: &str, offset: usize, spans: &mut Vec<(usize, usize)>) {
        let mut segment_start = 0;
        for (end, kind) in self.segmenter.segment_str(text).iter_with_word_type() {
            if kind.is_word_like() && end - segment_start <= MAX_WORD_BYTES {
                spans.push((offset + segment_start, offset + end));
            }
            segment_start = end;
        }
    }
}

/// What a piece is cut with: a lowercased word, the current piece's words as byte
/// ranges. Kept from piece to piece so that neither is allocated again.
#[derive(Default)]
struct Scratch {
    lower: String,
    spans: Vec<(usize, usize)>,
}

/// The class of each byte, for finding pieces in one look-up per byte: text is cut at
/// ASCII bytes that are neither letters nor digits (`SEPARATOR`); a piece's classes
/// together tell whether it is plain ASCII and whether it needs lowercasing.
const SEPARATOR: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;
/// A byte of a character outside ASCII.
const OTHER: u8 = 4;
static CLASSES: [u8; 256] = {
    let mut classes = [OTHER; 256];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        classes[byte] = if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_alphanumeric() {
            LOWER
        } else {
            SEPARATOR
        };
        byte += 1;
    }
    classes
};

/// The next piece of `bytes` from `*at` on: its start, end and classes; `*at` moves past
/// it. Both ends are character boundaries (separators are ASCII).
fn next_piece(bytes: &[u8], at: &mut usize) -> Option<(usize, usize, u8)> {
    while *at < bytes.len() && CLASSES[usize::from(bytes[*at])] == SEPARATOR {
        *at += 1;
    }
    if *at == bytes.len() {
        return None;
    }
    let start = *at;
    let (end, kinds) = piece_end(bytes, start);
    *at = end;
    Some((start, end, kinds))
}

/// Where the piece that `bytes[start..]` begins with (possibly empty) ends, and its classes.
fn piece_end(bytes: &[u8], start: usize) -> (usize, u8) {
    let mut kinds = 0;
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        let class = CLASSES[usize::from(byte)];
        if class == SEPARATOR {
            break;
        }
        kinds |= class;
        at += 1;
    }
    (at, kinds)
}

/// The words of a text that comes in runs (a page body's text between its tags), the
/// same as `Tokenizer::words` finds in the runs joined: a piece may go on from one run
/// into the next (`容<em>器</em>` is one piece), so the piece a run ends with is held
/// until the next run or `split` ends it.
#[derive(Default)]
pub struct WordStream {
    carry: String,
    carry_kinds: u8,
    scratch: Scratch,
}

impl WordStream {
    /// Calls `word` with each word the text so far ends, `run` added.
    pub fn push(&mut self, tokenizer: &Tokenizer, run: &str, word: &mut impl FnMut(&str)) {
        let bytes = run.as_bytes();
        let mut at = 0;
        if !self.carry.is_empty() {
            let (end, kinds) = piece_end(bytes, 0);
            self.carry.push_str(&run[..end]);
            self.carry_kinds |= kinds;
            if end == bytes.len() {
                return;
            }
            self.split(tokenizer, word);
            at = end;
        }
        while let Some((start, end, kinds)) = next_piece(bytes, &mut at) {
            if end == bytes.len() {
                self.carry.push_str(&run[start..]);
                self.carry_kinds = kinds;
                return;
            }
            tokenizer.piece(&run[start..end], kinds, &mut self.scratch, word);
        }
    }

    /// Ends the text so far, as a separator would: calls `word` with the words of the
    /// piece held.
    pub fn split(&mut self, tokenizer: &Tokenizer, word: &mut impl FnMut(&str)) {
        if !self.carry.is_empty() {
            tokenizer.piece(&self.carry, self.carry_kinds, &mut self.scratch, word);
            self.carry.clear();
            self.carry_kinds = 0;
        }
    }
}

/// Calls `unit` with the offset and text of each unit of `piece`: the runs between
/// Chinese punctuation marks (`SPLITS`) that have an ideograph or an end of the piece on
/// either side, the marks left out. The segmenter cuts a piece exactly as it cuts its
/// units one by one, so units are what the memo remembers: sentences and clauses repeat
/// far more often than whole pieces (which run between Latin words).
///
/// Why that is exact, in ICU4X's word segmenter (checked against its data by
/// `tests::segmenter_data_keeps_units_apart`): ideographs are its "complex" class, cut by
/// the dictionary one run of them at a time, looking at nothing outside the run; there
/// is always a break between such a run and a punctuation mark after it, and before a
/// run that follows one; no multi-character rule looks past an ideograph; and the mark
/// alone is a segment that is not a word. So nothing on one side of such a mark changes
/// how the other side is cut.
fn units(piece: &str, mut unit: impl FnMut(usize, &str)) {
    let bytes = piece.as_bytes();
    let (mut start, mut from) = (0, 0);
    // Every mark is three bytes long and starts with one of these, which no ideograph
    // does: the search skips runs of ideographs many bytes at a time.
    while let Some(found) = memchr::memchr3(0xE2, 0xE3, 0xEF, &bytes[from..]) {
        let at = from + found;
        from = at + 1;
        // A lead byte, so a character starts there.
        let Some(mark) = piece[at..].chars().next().filter(|c| SPLITS.contains(c)) else { continue };
        let end = at + mark.len_utf8();
        if piece[..at].chars().next_back().is_none_or(is_ideograph)
            && piece[end..].chars().next().is_none_or(is_ideograph)
        {
            if start < at {
                unit(start, &piece[start..at]);
            }
            start = end;
            from = end;
        }
    }
    if start < piece.len() {
        unit(start, &piece[start..]);
    }
}

/// Punctuation that units are split at: the marks found between Chinese clauses.
const SPLITS: [char; 18] =
    ['，', '。', '、', '：', '；', '！', '？', '（', '）', '“', '”', '《', '》', '「', '」', '【', '】', '—'];

/// CJK Unified Ideographs and Extension A: characters the segmenter's dictionary cuts.
fn is_ideograph(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Characters that lowercasing leaves as they are, known without a table lookup: ASCII
/// lowercase letters and digits, and the CJK blocks (U+3000-U+9FFF: punctuation, kana,
/// ideographs), which have no case. (The tokenizer reads it from the bytes:
/// `is_caseless_text`.)
#[cfg(test)]
fn is_caseless(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || ('\u{3000}'..='\u{9FFF}').contains(&c)
}

/// Whether every character of `text` `is_caseless`, read from its bytes: U+3000-U+9FFF
/// are exactly the characters whose UTF-8 starts with 0xE3-0xE9.
fn is_caseless_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at += match byte {
            b'a'..=b'z' | b'0'..=b'9' => 1,
            0xE3..=0xE9 => 3,
            _ => return false,
        };
    }
    true
}

/// Units already cut, with their words' byte ranges, shared by the indexing threads:
/// sharded by the unit's hash, each shard behind its own lock and holding at most its
/// part of the budget.
struct Memo {
    shards: Box<[Shard]>,
    shard_budget: usize,
    hasher: foldhash::fast::FixedState,
}

/// One shard, alone on its cache lines (the locks of neighbouring shards are taken by
/// different threads).
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<Remembered>);

/// A shard's units.
#[derive(Default)]
struct Remembered {
    table: hashbrown::HashTable<Unit>,
    stats: MemoStats,
}

/// A unit and the byte ranges (start, end) of its words.
struct Unit {
    text: Box<str>,
    words: Box<[[u16; 2]]>,
}

impl Memo {
    fn new(budget: usize) -> Memo {
        Memo {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            shard_budget: budget / SHARDS,
            hasher: foldhash::fast::FixedState::default(),
        }
    }

    /// Pushes the words of `unit` (at most `MAX_REMEMBERED_BYTES` long) shifted by
    /// `offset`: remembered ones, or those `segment` pushes, remembered while the budget
    /// lasts.
    fn spans(
        &self,
        unit: &str,
        offset: usize,
        spans: &mut Vec<(usize, usize)>,
        segment: impl FnOnce(&str, usize, &mut Vec<(usize, usize)>),
    ) {
        let hash = self.hasher.hash_one(unit);
        // hashbrown places entries by the hash's low bits and tells them apart by its top
        // seven: the shard takes bits from neither.
        let shard = &self.shards[(hash >> 32) as usize % SHARDS].0;
        let room = {
            let mut remembered = shard.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(known) = remembered.table.find(hash, |known| *known.text == *unit) {
                let words = known.words.iter();
                spans.extend(words.map(|&[start, end]| (offset + usize::from(start), offset + usize::from(end))));
                remembered.stats.hits += 1;
                remembered.stats.hit_bytes += unit.len() as u64;
                return;
            }
            remembered.stats.misses += 1;
            remembered.stats.miss_bytes += unit.len() as u64;
            remembered.stats.bytes + unit.len() + ENTRY_OVERHEAD <= self.shard_budget
        };
        let first = spans.len();
        segment(unit, offset, spans);
        if !room {
            return;
        }
        let words: Box<[[u16; 2]]> =
            spans[first..].iter().map(|&(start, end)| [(start - offset) as u16, (end - offset) as u16]).collect();
        let cost = unit.len() + size_of_val(&*words) + ENTRY_OVERHEAD;
        let mut remembered = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let Remembered { table, stats } = &mut *remembered;
        if stats.bytes + cost > self.shard_budget {
            return;
        }
        // Another thread may have cut the same unit meanwhile.
        if let hashbrown::hash_table::Entry::Vacant(vacant) =
            table.entry(hash, |known| *known.text == *unit, |known| self.hasher.hash_one(&*known.text))
        {
            vacant.insert(Unit { text: unit.into(), words });
            stats.entries += 1;
            stats.bytes += cost;
        }
    }

    fn stats(&self) -> MemoStats {
        let mut total = MemoStats::default();
        for shard in &self.shards {
            let stats = shard.0.lock().unwrap_or_else(PoisonError::into_inner).stats;
            total.hits += stats.hits;
            total.hit_bytes += stats.hit_bytes;
            total.misses += stats.misses;
            total.miss_bytes += stats.miss_bytes;
            total.entries += stats.entries;
            total.bytes += stats.bytes;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Tokenizer::new().collect(text)
    }

    /// The reference: no memo, every piece cut whole.
    fn plain() -> Tokenizer {
        Tokenizer::with_memo_bytes(0)
    }

    /// Mixed Chinese and English as translated docs read it (spaces around Latin words,
    /// full-width punctuation, clauses that come back), with the cases `units` must
    /// leave whole: punctuation next to Latin letters, full-width digits and letters,
    /// kana, combining marks, emoji, other scripts.
    const PARAGRAPHS: &[&str] = &[
        "Windows 容器提供两种不同的运行时隔离模式：进程隔离和 Hyper-V 隔离。在进程隔离模式下，容器与主机共享内核（这与 Linux 容器的工作方式相同），而在 Hyper-V 隔离模式下，每个容器都在高度优化的虚拟机中运行。",
        "若要了解详细信息，请参阅“容器基础映像”和《Windows Server 2019 发行说明》。注意：容器主机和容器映像的版本必须匹配；否则，容器将无法启动！",
        "若要了解详细信息，请参阅“网络隔离和安全性”。若要了解详细信息，请参阅[容器主机部署](deploy-containers.md)。",
        "运行 `docker pull mcr.microsoft.com/windows/servercore:ltsc2022` 以拉取映像，大小约为 5.7 GB，下载需要 10～15 分钟。然后，运行 docker images 确认映像已下载。",
        "步骤1：安装 Docker。步骤2：启用 Hyper-V 功能（需要重启）。步骤3：验证安装，结果应显示“正在运行”。",
        "价格为１，０００元，支持ＡＰＩ版本２．０，以及 v1.2、v1.3 和 v2.0。",
        "コンテナーとは、アプリケーションを実行するための軽量な環境です。Windows コンテナーは、プロセス分離をサポートしています。",
        "容器\u{301}，镜像；容器，\u{301}镜像；葛\u{E0100}，城；部署成功🎉，下一步；👩\u{200D}💻，开发人员；🇨🇳，中国。",
        "컨테이너，容器；ภาษาไทย，中文；约翰·史密斯，CAFÉ，Ärger。",
        "，开头的标点；结尾的标点。。；只有标点：，、；“”（）【】——。",
        "容器与虚拟机的比较：容器是一种轻量级的隔离环境，虚拟机是一种完整的隔离环境。容器与虚拟机的比较：容器启动更快，虚拟机隔离更强。",
        "有关支持的值的完整列表，请参阅 az vm list 的参考文档。该操作是幂等的，因此如果第一次尝试超时，可以安全地再次运行它。",
    ];

    #[test]
    fn ascii_is_cut_at_spaces_and_punctuation_and_lowercased() {
        assert_eq!(
            words("Hyper-V isolation, v1.2 (Windows Server 2019)!"),
            ["hyper", "v", "isolation", "v1", "2", "windows", "server", "2019"]
        );
        assert!(words("  ...  ").is_empty());
        assert!(words("").is_empty());
    }

    /// A text cut into runs anywhere gives the words of the whole.
    #[test]
    fn a_stream_of_runs_gives_the_words_of_the_whole_text() {
        let tokenizer = Tokenizer::new();
        for text in PARAGRAPHS.iter().copied().chain(["Hyper-V isolation, v1.2 (Windows Server 2019)!", "a", ""]) {
            let expected = tokenizer.collect(text);
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&at| text.is_char_boundary(at)).collect();
            for step in [1, 2, 3, 7] {
                let mut stream = WordStream::default();
                let mut found = Vec::new();
                let mut word = |w: &str| found.push(w.to_string());
                // Cut every `step` characters, the last run up to the end.
                let mut cuts: Vec<usize> = boundaries.iter().copied().step_by(step).collect();
                cuts.push(text.len());
                for pair in cuts.windows(2) {
                    stream.push(&tokenizer, &text[pair[0]..pair[1]], &mut word);
                }
                stream.split(&tokenizer, &mut word);
                assert_eq!(found, expected, "{text:?} in runs of {step}");
            }
        }
        // `split` ends a piece as a separator would.
        let mut stream = WordStream::default();
        let mut found = Vec::new();
        let mut word = |w: &str| found.push(w.to_string());
        for run in ["Con", "tainers", "", "Host"] {
            stream.push(&tokenizer, run, &mut word);
            if run.is_empty() {
                stream.split(&tokenizer, &mut word);
            }
        }
        stream.split(&tokenizer, &mut word);
        assert_eq!(found, ["containers", "host"]);
    }

    #[test]
    fn chinese_is_segmented_into_words() {
        let found = words("容器与虚拟机的比较：容器是一种轻量级的隔离环境。");
        assert!(found.iter().any(|w| w == "容器"), "{found:?}");
        assert!(found.iter().any(|w| w == "虚拟机" || w == "虚拟"), "{found:?}");
        // Punctuation is not a word.
        assert!(!found.iter().any(|w| w == "：" || w == "。"), "{found:?}");
    }

    #[test]
    fn mixed_scripts_are_separate_words() {
        let found = words("Windows容器和Docker");
        assert_eq!(found.first().map(String::as_str), Some("windows"), "{found:?}");
        assert!(found.iter().any(|w| w == "容器"), "{found:?}");
        assert_eq!(found.last().map(String::as_str), Some("docker"), "{found:?}");
    }

    #[test]
    fn non_ascii_letters_are_lowercased_with_unicode_rules() {
        assert_eq!(words("CAFÉ Ärger"), ["café", "ärger"]);
    }

    #[test]
    fn caseless_characters_are_their_own_lowercase() {
        let caseless = ('\0'..=char::MAX).filter(|&c| is_caseless(c));
        for c in caseless {
            assert!(c.to_lowercase().eq([c]), "{c:?} has a lowercase form");
        }
    }

    #[test]
    fn caseless_text_is_text_of_caseless_characters() {
        for c in '\0'..=char::MAX {
            let text = format!("{c}a9{c}");
            assert_eq!(is_caseless_text(&text), is_caseless(c), "{c:?}");
        }
    }

    #[test]
    fn overlong_words_are_left_out() {
        let blob = "a".repeat(MAX_WORD_BYTES + 1);
        assert_eq!(words(&format!("key {blob} value")), ["key", "value"]);
    }

    #[test]
    fn memo_gives_the_words_of_whole_pieces() {
        let (plain, memo) = (plain(), Tokenizer::new());
        // Cut first, then remembered.
        for _ in 0..2 {
            for text in PARAGRAPHS {
                assert_eq!(memo.collect(text), plain.collect(text), "{text}");
            }
        }
        assert!(memo.memo_stats().hits > 0);
    }

    #[test]
    fn units_leave_out_only_punctuation_between_ideographs() {
        let cut = |piece: &str| {
            let mut found = Vec::new();
            units(piece, |offset, unit| found.push((offset, unit.to_string())));
            found
        };
        let owned =
            |units: &[(usize, &str)]| units.iter().map(|&(at, unit)| (at, unit.to_string())).collect::<Vec<_>>();
        assert_eq!(cut("容器，镜像。"), owned(&[(0, "容器"), (9, "镜像")]));
        assert_eq!(cut("“容器”"), owned(&[(3, "容器")]));
        assert_eq!(cut("。"), owned(&[]));
        // Not between ideographs: left in the unit.
        for whole in
            ["Ａ，容器", "容器，１", "容器，\u{301}镜像", "容器\u{301}，镜像", "容器，，镜像", "コンテナー、Windows"]
        {
            assert_eq!(cut(whole), owned(&[(0, whole)]));
        }
    }

    #[test]
    fn memo_gives_the_words_of_whole_pieces_for_any_mix_of_characters() {
        // A character (or short run) of every word-break class the rules know, and the
        // split points.
        let characters = "中国的㐀々〇あアｱーＡ１aZ7 -.'\"_·:\u{301}\u{200D}\u{FE0F}\u{E0100}\u{AD}\u{200B}🎉👩🇨🇳한éÄ\u{3000}～…．﹐";
        let palette: Vec<String> =
            characters.chars().map(String::from).chain(["容器", "虚拟机", "ภา"].map(String::from)).collect();
        let splits: Vec<String> = SPLITS.iter().map(char::to_string).collect();
        let (plain, memo) = (plain(), Tokenizer::new());
        let mut next = crate::search::test_numbers(0x2545_F491_4F6C_DD1Du64);
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..1 + next(16) {
                match next(10) {
                    0..=3 => text.push_str(["中", "国", "容器", "镜像", "的"][next(5)]),
                    4..=6 => text.push_str(&splits[next(splits.len())]),
                    _ => text.push_str(&palette[next(palette.len())]),
                }
            }
            assert_eq!(memo.collect(&text), plain.collect(&text), "{text:?}");
        }
    }

    #[test]
    fn memo_gives_the_words_of_whole_pieces_next_to_any_character() {
        let (plain, memo) = (plain(), Tokenizer::new());
        let characters = ('\0'..='\u{FFFF}').chain(('\u{10000}'..=char::MAX).step_by(61));
        for c in characters {
            for text in [
                format!("{c}中，国{c}"),
                format!("{c}容器。镜像{c}"),
                format!("，中{c}"),
                format!("{c}中，"),
                format!("中{c}国，容器"),
            ] {
                assert_eq!(memo.collect(&text), plain.collect(&text), "{text:?}");
            }
        }
    }

    /// The facts about ICU4X's word segmenter that make `units` exact, read from its
    /// data. Should this stop compiling or fail after an ICU4X upgrade, check them again.
    #[test]
    fn segmenter_data_keeps_units_apart() {
        use icu_provider::prelude::*;
        use icu_segmenter::provider::{Baked, BreakState, SegmenterBreakWordV1};

        let response: DataResponse<SegmenterBreakWordV1> = Baked.load(DataRequest::default()).expect("compiled data");
        let data = response.payload.get();
        let count = usize::from(data.property_count);
        let state = |left: usize, right: u8| data.break_state_table.get(left * count + usize::from(right));
        let property = |c: char| data.property_table.get32(u32::from(c));
        let complex = data.complex_property;
        // Ideographs are cut by the dictionary, one run of them at a time.
        let ideographs = ('\u{3400}'..='\u{4DBF}').chain('\u{4E00}'..='\u{9FFF}');
        assert!(ideographs.clone().all(is_ideograph));
        assert!(ideographs.clone().all(|c| property(c) == complex));
        for mark in SPLITS {
            let class = property(mark);
            assert_ne!(class, complex, "{mark}");
            // A break between an ideograph and the mark.
            assert_eq!(state(usize::from(complex), class), Some(BreakState::Break), "{mark}");
            // The mark alone is not a word (rule status 0: no word type).
            assert!(class == 0 || data.rule_status_table.get(usize::from(class) - 1) == Some(0), "{mark}");
        }
        // No rule, and no pending match of a multi-character rule, goes on past an
        // ideograph: it is settled there (a break, or one before). Text starting with an
        // ideograph so starts with a break.
        let rows = data.break_state_table.len() / count;
        for row in 0..rows {
            assert!(matches!(state(row, complex), Some(BreakState::Break | BreakState::NoMatch)), "state {row}");
        }
    }

    #[test]
    fn repeated_units_are_cut_once() {
        let tokenizer = Tokenizer::new();
        let text = PARAGRAPHS[0];
        let words = tokenizer.collect(text);
        let first = tokenizer.memo_stats();
        assert!(first.misses > 0);
        assert_eq!(tokenizer.collect(text), words);
        let second = tokenizer.memo_stats();
        assert_eq!(second.misses, first.misses);
        assert_eq!(second.hits - first.hits, first.hits + first.misses);
        // A clause met in another sentence is remembered too.
        tokenizer.collect("虚拟机，每个容器都在高度优化的虚拟机中运行。");
        assert_eq!(tokenizer.memo_stats().hits, second.hits + 1);
    }

    #[test]
    fn memo_stops_growing_at_its_budget() {
        let budget = 64 * 1024;
        let (plain, memo) = (plain(), Tokenizer::with_memo_bytes(budget));
        for i in 0..5000 {
            let text = format!("第{i}个容器，镜像{}号。", i * 7);
            assert_eq!(memo.collect(&text), plain.collect(&text), "{text}");
        }
        let stats = memo.memo_stats();
        assert!(stats.entries > 0);
        assert!(stats.bytes <= budget, "{stats:?}");
        assert!(stats.misses > 2 * stats.entries as u64, "{stats:?}");
        assert_eq!(plain.memo_stats(), MemoStats::default());
    }

    #[test]
    fn threads_sharing_a_tokenizer_get_the_same_words() {
        let tokenizer = Tokenizer::new();
        let expected: Vec<Vec<String>> = PARAGRAPHS.iter().map(|text| plain().collect(text)).collect();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (tokenizer, expected) = (&tokenizer, &expected);
                scope.spawn(move || {
                    for round in 0..50 {
                        for at in 0..PARAGRAPHS.len() {
                            let at = (at + thread + round) % PARAGRAPHS.len();
                            assert_eq!(tokenizer.collect(PARAGRAPHS[at]), expected[at]);
                        }
                    }
                });
            }
        });
        let stats = tokenizer.memo_stats();
        assert!(stats.hits > stats.misses, "{stats:?}");
    }

    /// Real translated docs (Microsoft's Windows containers docs in Chinese), when this
    /// machine has a copy; skipped otherwise.
    #[test]
    fn memo_gives_the_words_of_whole_pieces_in_real_translations() {
        let folder = std::path::Path::new("/work/shared/corpus/windows-containers/content/zh-cn");
        if !folder.is_dir() {
            eprintln!("skipped: no {}", folder.display());
            return;
        }
        let (plain, memo) = (plain(), Tokenizer::new());
        let mut files = 0;
        for entry in walkdir::WalkDir::new(folder).into_iter().filter_map(Result::ok) {
            if entry.path().extension().is_some_and(|extension| extension == "md") {
                let text = std::fs::read_to_string(entry.path()).expect("a readable page");
                assert_eq!(memo.collect(&text), plain.collect(&text), "{}", entry.path().display());
                files += 1;
            }
        }
        assert!(files > 0);
    }
}
