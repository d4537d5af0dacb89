//! `[!INCLUDE[title](path)]`: the included file's Markdown is spliced into the text before
//! parsing, so it is parsed in context (inside the list item or quote that includes it).
//! A directive alone on its line is a block include: every line of the file gets the
//! line's container prefix (`> `, list indentation). Anywhere else it is an inline include,
//! its lines joined by spaces. Paths are relative to the including file and never leave the
//! locale folder; the file is the page locale's, else the source locale's. Include files
//! come from `Site` (read at load), so this pass does no I/O. Missing files, paths leaving
//! the content root and cycles are `error[include]` at the directive; the directive then
//! renders as nothing and the rest of the page renders as usual.

use std::ops::Range;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;

use super::source::{Builder, Origin, SourceText, Sources, literal_ranges};
use crate::content::page::parent_folder;
use crate::content::{Page, Site, front_matter, join};
use crate::diagnostic::Diagnostic;

/// Deeper than this, an include chain is reported instead of followed.
const MAX_DEPTH: usize = 10;

static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\[!include\s*\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)\s*\]"#,
    )
    .expect("valid regex")
});

/// What may precede a block include on its line: indentation, quote markers, list markers.
pub(super) static CONTAINER_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[ \t]*(?:(?:>[ \t]?|(?:[-+*]|\d{1,9}[.)])[ \t]+)[ \t]*)*$").expect("valid regex"));

/// The page's body with every include expanded.
pub(super) fn expand<'a>(
    page: &'a Page,
    site: &'a Site,
    sources: &mut Sources<'a>,
    diagnostics: &mut Vec<Diagnostic>,
) -> SourceText<'a> {
    let text = SourceText::of_file(sources, 0, None);
    if !mentions_include(page.body()) {
        return text;
    }
    let mut expander = Expander { site, page, sources, diagnostics, stack: vec![page.key.clone()] };
    expander.expand(text)
}

/// Whether `text` may hold an include directive: the cheap test that spares most pages the work.
fn mentions_include(text: &str) -> bool {
    text.as_bytes().windows(9).any(|window| window[..2] == *b"[!" && window[2..].eq_ignore_ascii_case(b"include"))
}

struct Expander<'s, 'a> {
    site: &'a Site,
    page: &'a Page,
    sources: &'s mut Sources<'a>,
    diagnostics: &'s mut Vec<Diagnostic>,
    /// `locale/path` of the page and of every file being expanded, outermost first.
    stack: Vec<String>,
}

/// A file an include directive names.
struct IncludeTarget<'a> {
    key: String,
    source_path: &'a str,
    rel_path: &'a str,
    body: &'a str,
    body_line: usize,
}

impl<'a> Expander<'_, 'a> {
    /// `text` (one file's body) with its include directives replaced by the files' text.
    fn expand(&mut self, text: SourceText<'a>) -> SourceText<'a> {
        if !mentions_include(&text.text) {
            return text;
        }
        let literal = literal_ranges(&text.text);
        let mut builder = Builder::default();
        let mut copied = 0;
        for found in INCLUDE.captures_iter(&text.text) {
            let whole = found.get(0).expect("the whole match");
            if literal.iter().any(|range| range.contains(&whole.start())) {
                continue;
            }
            builder.push_slice(&text, copied..whole.start());
            copied = whole.end();
            let written = found[1].trim_start_matches('<').trim_end_matches('>');
            let origin = text.origin(whole.start());
            let Some(included) = self.include(written, origin) else { continue };
            let line_start = text.text[..whole.start()].rfind('\n').map_or(0, |newline| newline + 1);
            let line_end = text.text[whole.end()..].find('\n').map_or(text.text.len(), |newline| whole.end() + newline);
            let prefix = &text.text[line_start..whole.start()];
            let is_block = CONTAINER_PREFIX.is_match(prefix) && text.text[whole.end()..line_end].trim().is_empty();
            if is_block {
                push_block(&mut builder, &included, &continuation_prefix(prefix));
            } else {
                push_inline(&mut builder, &included);
            }
        }
        builder.push_slice(&text, copied..text.text.len());
        builder.finish()
    }

    /// The expanded text of the file `written` names, or `None` after reporting why not.
    fn include(&mut self, written: &str, origin: Origin) -> Option<SourceText<'a>> {
        let from = self.sources.file(origin.file).rel_path;
        let target = match self.resolve(from, written, origin) {
            Ok(target) => target,
            Err((message, help)) => {
                self.error(message, help, origin);
                return None;
            }
        };
        if let Some(first) = self.stack.iter().position(|key| *key == target.key) {
            let mut chain: Vec<&str> = self.stack[first..].iter().map(|key| key_path(key)).collect();
            chain.push(key_path(&target.key));
            let message = format!("include cycle: {}", chain.join(" → "));
            self.error(message, "an included file must not include itself, directly or through others", origin);
            return None;
        }
        if self.stack.len() > MAX_DEPTH {
            let message = format!("includes are nested more than {MAX_DEPTH} deep at `{written}`");
            self.error(message, "flatten the chain of includes", origin);
            return None;
        }
        let file = self.sources.add(target.source_path, target.rel_path, target.body, target.body_line);
        let page_offset = if origin.file == 0 { origin.offset } else { origin.page_offset };
        self.stack.push(target.key);
        let expanded = self.expand(SourceText::of_file(self.sources, file, Some(page_offset)));
        self.stack.pop();
        Some(expanded)
    }

    /// Finds the file `written` in `from_rel_path` names: the page locale's, else the source
    /// locale's; an include file, or any page's body.
    fn resolve(
        &mut self,
        from_rel_path: &str,
        written: &str,
        origin: Origin,
    ) -> Result<IncludeTarget<'a>, (String, &'static str)> {
        let decoded = percent_decode_str(written).decode_utf8_lossy();
        let path = decoded.trim();
        let absolute = path.starts_with(['/', '\\']) || path.contains(':');
        if absolute {
            return Err((
                format!("`{written}` is not a relative path"),
                "write the path relative to this file; includes never leave the content folder",
            ));
        }
        // DocFX's `~/` is the root of the docs set: here, the locale folder.
        let joined = match path.strip_prefix("~/") {
            Some(from_root) => join("", from_root),
            None => join(parent_folder(from_rel_path), path),
        };
        let Some(joined) = joined else {
            return Err((
                format!("`{written}` points outside the content root"),
                "includes must stay inside the locale folder",
            ));
        };
        let lower = joined.to_lowercase();
        let locales = [self.site.locale(&self.page.locale), Some(self.site.source())];
        for content in locales.into_iter().flatten() {
            let key = format!("{}/{lower}", content.locale);
            let found = if let Some(include) = content.includes.get(&lower) {
                let (body, body_line) = self.body_of(&include.text, &include.source_path);
                Some(IncludeTarget {
                    key,
                    source_path: &include.source_path,
                    rel_path: &include.rel_path,
                    body,
                    body_line,
                })
            } else {
                content.pages.get(&lower).map(|page| IncludeTarget {
                    key,
                    source_path: &page.source_path,
                    rel_path: &page.rel_path,
                    body: page.body(),
                    body_line: page.body_line,
                })
            };
            if let Some(target) = found {
                if target.rel_path != joined {
                    let message = format!("`{joined}` matches the file `{}` only ignoring case", target.rel_path);
                    let diagnostic = Diagnostic::warning("case-mismatch", "", message).with_help(
                        "spell the path as the file is named; case-sensitive systems only find the exact name",
                    );
                    self.diagnostics.push(self.sources.diagnostic(diagnostic, origin));
                }
                return Ok(target);
            }
        }
        Err((format!("include file `{written}` does not exist"), "check the path; it is relative to this file"))
    }

    /// An include file's text after its front matter (DocFX include files often carry one).
    fn body_of(&mut self, text: &'a str, source_path: &str) -> (&'a str, usize) {
        match front_matter::split(text) {
            Ok(split) => (split.body, split.body_line),
            Err(error) => {
                self.diagnostics
                    .push(Diagnostic::error("front-matter", source_path, error.message).at(error.line, error.column));
                (text, 1)
            }
        }
    }

    fn error(&mut self, message: String, help: &str, origin: Origin) {
        let diagnostic = Diagnostic::error("include", "", message).with_help(help);
        self.diagnostics.push(self.sources.diagnostic(diagnostic, origin));
    }
}

/// `locale/path` → `path`, for messages.
fn key_path(key: &str) -> &str {
    key.split_once('/').map_or(key, |(_, path)| path)
}

/// The prefix that continues a line's containers on the next line: quote markers stay,
/// list markers become the spaces that keep the line inside the list item.
fn continuation_prefix(prefix: &str) -> String {
    prefix.chars().map(|c| if matches!(c, '>' | '\t') { c } else { ' ' }).collect()
}

/// Appends an included file as blocks: its first line continues the directive's line,
/// every other line gets the container prefix.
fn push_block(builder: &mut Builder, included: &SourceText<'_>, prefix: &str) {
    let text = &included.text;
    for (index, line) in lines(text, text.trim_end().len()).enumerate() {
        if index > 0 {
            builder.push_synthetic("\n", included.origin(line.start.saturating_sub(1)));
            builder.push_synthetic(prefix, included.origin(line.start));
        }
        builder.push_slice(included, line.start..line.end);
    }
}

/// Appends an included file as inline text: trimmed, its lines joined by spaces.
fn push_inline(builder: &mut Builder, included: &SourceText<'_>) {
    let text = &included.text;
    let end = text.trim_end().len();
    let mut first = true;
    for line in lines(text, end) {
        let trimmed_start = line.start + (text[line.clone()].len() - text[line.clone()].trim_start().len());
        if trimmed_start >= line.end {
            continue;
        }
        if !first {
            builder.push_synthetic(" ", included.origin(line.start));
        }
        builder.push_slice(included, trimmed_start..line.end);
        first = false;
    }
}

/// The ranges of the lines of `text[..end]`, without their line endings.
fn lines(text: &str, end: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start > end || (start == end && end != 0) {
            return None;
        }
        let newline = text[start..end].find('\n').map_or(end, |index| start + index);
        let content_end = if newline > start && text.as_bytes()[newline - 1] == b'\r' { newline - 1 } else { newline };
        let line = start..content_end;
        start = newline + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_include_directives() {
        for text in ["[!INCLUDE[t](a.md)]", "[!include [Title [x]](../b.md \"t\")]", "[!INCLUDE[](<c d.md>)]"] {
            assert!(INCLUDE.is_match(text), "{text}");
        }
        assert!(!INCLUDE.is_match("[!INCLUDE[t]]"));
        assert!(mentions_include("x [!Include[t](a.md)]"));
        assert!(!mentions_include("[!NOTE]"));
    }

    #[test]
    fn block_prefixes_are_containers_only() {
        for prefix in ["", "   ", "> ", "> > ", "1. ", "- ", "> - ", "  * "] {
            assert!(CONTAINER_PREFIX.is_match(prefix), "{prefix:?}");
        }
        for prefix in ["Text ", "| cell | ", "-x "] {
            assert!(!CONTAINER_PREFIX.is_match(prefix), "{prefix:?}");
        }
        assert_eq!(continuation_prefix("> 1. "), ">    ");
    }

    #[test]
    fn lines_drop_line_endings() {
        let text = "a\r\nb\n\nc";
        let found: Vec<&str> = lines(text, text.len()).map(|range| &text[range]).collect();
        assert_eq!(found, ["a", "b", "", "c"]);
    }
}
