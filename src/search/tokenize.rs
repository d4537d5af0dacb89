//! Words of a text, as the search index and the search box both see them. Text is cut
//! at ASCII spaces and punctuation first; a piece of plain ASCII letters and digits is one
//! word (the common case, and cheap), and only pieces with other characters go to ICU4X's
//! word segmenter, whose dictionaries cut Chinese and Japanese (written without spaces)
//! into words. Words are lowercased. `theme/static/search.js` does the same at query
//! time with the browser's `Intl.Segmenter` — the same rules and dictionary family — so a
//! query's words are the index's words.

use icu_segmenter::options::WordBreakInvariantOptions;
use icu_segmenter::{WordSegmenter, WordSegmenterBorrowed};

/// Words longer than this are not indexed (base64 blobs, hashes): nobody types them.
pub const MAX_WORD_BYTES: usize = 48;

/// Cuts text into lowercase words. Cheap to copy: the segmenter borrows compiled-in data.
#[derive(Clone, Copy)]
pub struct Tokenizer {
    segmenter: WordSegmenterBorrowed<'static>,
}

impl Default for Tokenizer {
    fn default() -> Tokenizer {
        Tokenizer::new()
    }
}

impl Tokenizer {
    pub fn new() -> Tokenizer {
        // The dictionary segmenter (not the LSTM one): CJK needs the dictionary anyway, and
        // it is what browsers' `Intl.Segmenter` uses too.
        Tokenizer { segmenter: WordSegmenter::new_dictionary(WordBreakInvariantOptions::default()) }
    }

    /// Calls `word` with each word of `text`, lowercased, in order.
    pub fn words(&self, text: &str, mut word: impl FnMut(&str)) {
        let is_separator = |b: u8| b.is_ascii() && !b.is_ascii_alphanumeric();
        let bytes = text.as_bytes();
        let mut lower = String::new();
        let mut at = 0;
        while at < bytes.len() {
            if is_separator(bytes[at]) {
                at += 1;
                continue;
            }
            // A piece: the run up to the next ASCII separator (so both ends are character
            // boundaries).
            let start = at;
            let mut ascii = true;
            while at < bytes.len() && !is_separator(bytes[at]) {
                ascii &= bytes[at].is_ascii();
                at += 1;
            }
            let piece = &text[start..at];
            if ascii {
                if piece.len() > MAX_WORD_BYTES {
                    continue;
                }
                if piece.bytes().any(|b| b.is_ascii_uppercase()) {
                    lower.clear();
                    lower.push_str(piece);
                    lower.make_ascii_lowercase();
                    word(&lower);
                } else {
                    word(piece);
                }
                continue;
            }
            let mut segment_start = 0;
            for (end, kind) in self.segmenter.segment_str(piece).iter_with_word_type() {
                let segment = &piece[segment_start..end];
                segment_start = end;
                if !kind.is_word_like() || segment.len() > MAX_WORD_BYTES {
                    continue;
                }
                if segment.chars().all(is_caseless) {
                    word(segment);
                } else {
                    lower.clear();
                    lower.extend(segment.chars().flat_map(char::to_lowercase));
                    word(&lower);
                }
            }
        }
    }

    /// The words of `text`, for tests and queries.
    pub fn collect(&self, text: &str) -> Vec<String> {
        let mut words = Vec::new();
        self.words(text, |w| words.push(w.to_string()));
        words
    }
}

/// Characters that lowercasing leaves as they are, known without a table lookup: ASCII
/// lowercase letters and digits, and the CJK blocks (U+3000-U+9FFF: punctuation, kana,
/// ideographs), which have no case.
fn is_caseless(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || ('\u{3000}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Tokenizer::new().collect(text)
    }

    #[test]
    fn ascii_is_cut_at_spaces_and_punctuation_and_lowercased() {
        assert_eq!(
            words("Hyper-V isolation, v1.2 (Windows Server 2019)!"),
            ["hyper", "v", "isolation", "v1", "2", "windows", "server", "2019"]
        );
        assert!(words("  ...  ").is_empty());
        assert!(words("").is_empty());
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
    fn overlong_words_are_left_out() {
        let blob = "a".repeat(MAX_WORD_BYTES + 1);
        assert_eq!(words(&format!("key {blob} value")), ["key", "value"]);
    }
}
