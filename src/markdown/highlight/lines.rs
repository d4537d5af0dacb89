//! Highlighting line by line, remembering lines already done. Code blocks share lines far
//! more often than whole blocks (`az login`, `using System;`, `}`, a step of a pipeline), and
//! syntect's output for a line depends only on the line and the state the parser and the scope
//! stack are in when it starts: a line seen again in the same state gives the same markup and
//! leaves the same state, so it is copied instead of being parsed again. The result is the
//! markup syntect's `ClassedHTMLGenerator` makes, byte for byte.

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use foldhash::{HashMap, HashSet};
use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Independent locks, so rendering threads rarely wait for each other.
const SHARDS: usize = 16;
/// Lines remembered with their markup, at most (a few hundred bytes each).
const MAX_LINES: usize = 1 << 17;
/// Lines seen once, remembered by hash only, at most (a line is kept with its markup only
/// when seen a second time: most lines that carry a page's own names occur once).
const MAX_SIGHTINGS: usize = 1 << 22;

/// Where syntect stands at the start of a line.
#[derive(Clone, PartialEq, Eq)]
struct LineState {
    parse: ParseState,
    scopes: ScopeStack,
}

/// A line highlighted from a state: its markup and the state after it.
struct Line {
    text: Box<str>,
    before: LineState,
    after: LineState,
    html: Box<str>,
    span_delta: isize,
}

// SAFETY: a `ParseState` holds an Oniguruma `Region` (the captures of a context that
// back-references them), which the onig crate leaves `!Send` because it wraps C pointers. The
// region owns its two position buffers outright (allocated by Oniguruma, copied by `Clone`,
// freed by `Drop`) and nothing else refers to them, so moving it to another thread is sound;
// the memo only touches a `Line` under its shard's mutex. (Its derived equality compares those
// pointers, so a state with captures never equals another: such lines are simply not reused.)
unsafe impl Send for Line {}

#[derive(Default)]
struct Shard {
    /// By the hash of the line's text and scopes; the parse state is compared in full.
    lines: HashMap<u64, Vec<Line>>,
    sightings: HashSet<u64>,
}

impl Shard {
    fn find(&self, key: u64, text: &str, state: &LineState) -> Option<&Line> {
        self.lines.get(&key)?.iter().find(|line| &*line.text == text && line.before == *state)
    }

    /// Whether the key was seen before; records it when there is room.
    fn sighted(&mut self, key: u64) -> bool {
        if self.sightings.contains(&key) {
            return true;
        }
        if self.sightings.len() < MAX_SIGHTINGS / SHARDS {
            self.sightings.insert(key);
        }
        false
    }

    fn remember(&mut self, key: u64, line: Line) {
        let room = self.lines.len() < MAX_LINES / SHARDS;
        let known = self.find(key, &line.text, &line.before).is_some();
        if room && !known {
            self.lines.entry(key).or_default().push(line);
        }
    }
}

/// Lines highlighted so far, shared by every rendering thread.
pub(super) struct LineMemo {
    shards: Box<[Mutex<Shard>]>,
    hasher: foldhash::fast::FixedState,
}

impl Default for LineMemo {
    fn default() -> Self {
        LineMemo {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: foldhash::fast::FixedState::with_seed(0),
        }
    }
}

impl LineMemo {
    /// `code` as class-based HTML, every span closed.
    pub(super) fn classed_html(
        &self,
        syntax: &SyntaxReference,
        syntaxes: &SyntaxSet,
        style: ClassStyle,
        code: &str,
    ) -> Result<String, syntect::Error> {
        let mut state = LineState { parse: ParseState::new(syntax), scopes: ScopeStack::new() };
        let mut html = String::with_capacity(code.len() * 3);
        let mut open_spans = 0;
        for text in LinesWithEndings::from(code) {
            let key = self.key(text, &state.scopes);
            let shard = &self.shards[key as usize % SHARDS];
            let seen_before = {
                let shard = &mut *shard.lock().expect("line memo lock");
                if let Some(line) = shard.find(key, text, &state) {
                    html.push_str(&line.html);
                    open_spans += line.span_delta;
                    state.clone_from(&line.after);
                    continue;
                }
                shard.sighted(key)
            };
            let before = seen_before.then(|| state.clone());
            let ops = state.parse.parse_line(text, syntaxes)?;
            let (line_html, span_delta) = line_tokens_to_classed_spans(text, &ops, style, &mut state.scopes)?;
            html.push_str(&line_html);
            open_spans += span_delta;
            if let Some(before) = before {
                let line = Line { text: text.into(), before, after: state.clone(), html: line_html.into(), span_delta };
                shard.lock().expect("line memo lock").remember(key, line);
            }
        }
        for _ in 0..open_spans {
            html.push_str("</span>");
        }
        Ok(html)
    }

    /// Forgets every line, returning the memory.
    pub(super) fn clear(&self) {
        for shard in &self.shards {
            *shard.lock().expect("line memo lock") = Shard::default();
        }
    }

    fn key(&self, text: &str, scopes: &ScopeStack) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        text.hash(&mut hasher);
        scopes.as_slice().hash(&mut hasher);
        hasher.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syntect::html::ClassedHTMLGenerator;

    const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

    fn syntect_html(syntaxes: &SyntaxSet, syntax: &SyntaxReference, code: &str) -> String {
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, STYLE);
        for line in LinesWithEndings::from(code) {
            generator.parse_html_for_line_which_includes_newline(line).unwrap();
        }
        generator.finalize()
    }

    #[test]
    fn remembered_lines_give_syntects_markup_in_every_state() {
        let syntaxes = two_face::syntax::extra_newlines();
        let csharp = syntaxes.find_syntax_by_token("cs").unwrap();
        let bash = syntaxes.find_syntax_by_token("bash").unwrap();
        // The same lines inside a comment, a string and plain code, each block seen twice
        // so its lines are remembered before the later blocks meet them in other states.
        let blocks = [
            (csharp, "/*\nint c = 1;\n}\n*/\n"),
            (csharp, "/*\nint c = 1;\n}\n*/\n"),
            (csharp, "int c = 1;\n}\nvar s = @\"\nint c = 1;\n\";\n"),
            (csharp, "int c = 1;\n}\nvar s = @\"\nint c = 1;\n\";\n"),
            (csharp, "int c = 1;\n/*\nint c = 1;\n"),
            (bash, "int c = 1;\n}\naz login\n"),
            (bash, "az login\ncat <<EOF\naz login\nEOF\naz login\n"),
            (bash, "az login\ncat <<EOF\naz login\nEOF\naz login\n"),
        ];
        let memo = LineMemo::default();
        for (syntax, code) in blocks {
            let expected = syntect_html(&syntaxes, syntax, code);
            assert_eq!(memo.classed_html(syntax, &syntaxes, STYLE, code).unwrap(), expected, "{code:?}");
        }
        let remembered = || memo.shards.iter().map(|shard| shard.lock().unwrap().lines.len()).sum::<usize>();
        assert!(remembered() > 5, "lines seen twice are remembered: {}", remembered());
        memo.clear();
        assert_eq!(remembered(), 0);
        let (syntax, code) = blocks[0];
        assert_eq!(memo.classed_html(syntax, &syntaxes, STYLE, code).unwrap(), syntect_html(&syntaxes, syntax, code));
    }
}
