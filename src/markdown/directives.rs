//! DocFX's line-based directives: `:::name attributes:::` (image, zone, code, row, column,
//! video, no-loc) and `[!code-lang[](path)]` snippet references. CommonMark cannot see
//! them: a `:::zone` line next to text joins its paragraph, and an attribute like
//! `alt-text="a *b*"` would be parsed as emphasis. So a text pre-pass (`prepare`) swaps
//! each directive, outside code and raw HTML, for an HTML comment placeholder — its own
//! HTML block when alone on its line (a comment block ends with its line, so it never
//! swallows the next one), inline HTML otherwise — and an event pass (`render`) replaces
//! each placeholder with the directive's HTML once the page is parsed. URLs in that HTML
//! are left relative for the links pass to resolve, like any raw HTML. Directives that
//! open and close blocks (zones, complex images, rows) are paired here; an unknown name is
//! `warning[unknown-directive]` and renders as nothing, leaving the Markdown around it.

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::Event;
use regex::Regex;

use super::includes::CONTAINER_PREFIX;
use super::source::{Builder, Positions, SourceText, literal_ranges};
use super::{MarkdownContext, Spanned, image, snippets, zones};
use crate::diagnostic::Diagnostic;
use crate::i18n::UiStrings;

/// One directive of the page, replaced by a placeholder until the page is parsed.
#[derive(Debug)]
pub(super) struct Directive {
    /// Where the placeholder starts in the prepared text.
    placeholder: usize,
    /// Alone on its line (a block) or inside a line (inline).
    block: bool,
    pub(super) syntax: Syntax,
}

#[derive(Debug)]
pub(super) enum Syntax {
    /// `:::name attributes:::`, the closing colons optional.
    TripleColon { name: String, attributes: Attributes },
    /// `[!code-lang[name](target)]`: the language (possibly empty) and the target as written.
    CodeReference { language: String, target: String },
}

/// A directive's `name="value"` pairs in written order; names lowercase.
#[derive(Debug, Default)]
pub(super) struct Attributes(Vec<(String, String)>);

/// A problem with one directive, located at it by the caller.
pub(super) struct Problem {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) help: Option<&'static str>,
}

impl Problem {
    pub(super) fn new(code: &'static str, message: impl Into<String>) -> Problem {
        Problem { code, message: message.into(), help: None }
    }

    pub(super) fn with_help(self, help: &'static str) -> Problem {
        Problem { help: Some(help), ..self }
    }
}

impl Attributes {
    #[cfg(test)]
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Attributes {
        Attributes(pairs)
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The names not in `known`, for a warning.
    pub(super) fn unknown<'s>(&'s self, known: &[&str]) -> Vec<&'s str> {
        self.0.iter().map(|(key, _)| key.as_str()).filter(|key| !known.contains(key)).collect()
    }
}

static BLOCK_TRIPLE_COLON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<prefix>[ \t]*(?:(?:>[ \t]?|(?:[-+*]|\d{1,9}[.)])[ \t]+)[ \t]*)*):::[ \t]*(?P<name>[A-Za-z][\w-]*)(?P<rest>.*?)[ \t]*$",
    )
    .expect("valid regex")
});
static INLINE_TRIPLE_COLON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r":::(?P<name>[A-Za-z][\w-]*)[ \t]+(?P<rest>[^\n]*?):::").expect("valid regex"));
static BLOCK_CODE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?P<prefix>[ \t]*(?:(?:>[ \t]?|(?:[-+*]|\d{1,9}[.)])[ \t]+)[ \t]*)*)\[!code(?:-(?P<language>[^\[\s]*))?\[[^\]\n]*\]\((?P<target>[^)\n]*)\)\][ \t]*$",
    )
    .expect("valid regex")
});
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<name>[A-Za-z][\w-]*)\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)')"#).expect("valid regex")
});
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*<!--pd-directive-(\d+)-->\s*$").expect("valid regex"));

/// `text` with every directive replaced by a placeholder, and the directives in order.
pub(super) fn prepare(text: SourceText<'_>) -> (SourceText<'_>, Vec<Directive>) {
    let bytes = text.text.as_bytes();
    let mentions = bytes.windows(3).any(|w| w == b":::")
        || bytes.windows(6).any(|w| w[..2] == *b"[!" && w[2..].eq_ignore_ascii_case(b"code"));
    if !mentions {
        return (text, Vec::new());
    }
    let found = find(&text.text);
    if found.is_empty() {
        return (text, Vec::new());
    }
    let mut builder = Builder::default();
    let mut directives = Vec::with_capacity(found.len());
    let mut copied = 0;
    let mut prepared_len = 0;
    for (range, block, syntax) in found {
        builder.push_slice(&text, copied..range.start);
        prepared_len += range.start - copied;
        // A line that starts with a comment is an HTML block, so an inline directive that
        // starts its line hides behind an empty element: a line starting with a tag that
        // is followed by more text stays a paragraph.
        let line_start = text.text[..range.start].rfind('\n').map_or(0, |newline| newline + 1);
        let starts_line = CONTAINER_PREFIX.is_match(&text.text[line_start..range.start]);
        let guard = if !block && starts_line { "<span></span>" } else { "" };
        let placeholder = format!("{guard}<!--pd-directive-{}-->", directives.len());
        builder.push_synthetic(&placeholder, text.origin(range.start));
        directives.push(Directive { placeholder: prepared_len + guard.len(), block, syntax });
        prepared_len += placeholder.len();
        copied = range.end;
    }
    builder.push_slice(&text, copied..text.text.len());
    (builder.finish(), directives)
}

/// Every directive outside code and raw HTML: its range, whether it is a block, its syntax.
fn find(text: &str) -> Vec<(Range<usize>, bool, Syntax)> {
    let literal = literal_ranges(text);
    let is_literal = |offset: usize| literal.iter().any(|range| range.contains(&offset));
    let mut found = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let at = |index: usize| line_start + index;
        if let Some((start, syntax)) = block_directive(content) {
            if !is_literal(at(start)) {
                found.push((at(start)..at(content.len()), true, syntax));
            }
        } else if content.contains(":::") {
            for captures in INLINE_TRIPLE_COLON.captures_iter(content) {
                let whole = captures.get(0).expect("the whole match");
                if !is_literal(at(whole.start())) {
                    let syntax = Syntax::TripleColon {
                        name: captures["name"].to_ascii_lowercase(),
                        attributes: attributes(&captures["rest"]),
                    };
                    found.push((at(whole.start())..at(whole.end()), false, syntax));
                }
            }
        }
        line_start += line.len();
    }
    found
}

/// A directive that fills its line after the container prefix: its start and syntax.
fn block_directive(line: &str) -> Option<(usize, Syntax)> {
    if let Some(captures) = BLOCK_TRIPLE_COLON.captures(line) {
        let rest = captures["rest"].trim_end();
        let rest = rest.strip_suffix(":::").unwrap_or(rest);
        // `:::image …::: and more text` is an inline directive that starts a line.
        if rest.contains(":::") {
            return None;
        }
        let syntax = Syntax::TripleColon { name: captures["name"].to_ascii_lowercase(), attributes: attributes(rest) };
        return Some((captures["prefix"].len(), syntax));
    }
    let captures = BLOCK_CODE_REFERENCE.captures(line)?;
    let language = captures.name("language").map_or("", |m| m.as_str()).to_string();
    let syntax = Syntax::CodeReference { language, target: captures["target"].trim().to_string() };
    Some((captures["prefix"].len(), syntax))
}

fn attributes(text: &str) -> Attributes {
    Attributes(
        ATTRIBUTE
            .captures_iter(text)
            .map(|captures| {
                let value = captures.name("double").or_else(|| captures.name("single")).map_or("", |m| m.as_str());
                (captures["name"].to_ascii_lowercase(), value.to_string())
            })
            .collect(),
    )
}

/// Replaces each placeholder with its directive's HTML.
pub(super) fn render(
    events: &mut Vec<Spanned<'_>>,
    directives: &[Directive],
    context: &MarkdownContext<'_>,
    positions: &Positions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if directives.is_empty() {
        return;
    }
    let mut renderer = Renderer {
        context,
        positions,
        diagnostics,
        open: Vec::new(),
        pivots: zones::pivots(directives),
        pivot_selector_shown: false,
        images: 0,
    };
    let mut out = Vec::with_capacity(events.len());
    for (event, range) in std::mem::take(events) {
        let directive = match &event {
            Event::Html(html) | Event::InlineHtml(html) => PLACEHOLDER
                .captures(html)
                .and_then(|captures| captures[1].parse::<usize>().ok())
                .and_then(|index| directives.get(index))
                .filter(|directive| range.contains(&directive.placeholder)),
            _ => None,
        };
        let Some(directive) = directive else {
            out.push((event, range));
            continue;
        };
        let offset = directive.placeholder;
        for html in renderer.directive(directive, offset) {
            let event = if directive.block { Event::Html(html.into()) } else { Event::InlineHtml(html.into()) };
            out.push((event, range.clone()));
        }
    }
    let end = out.last().map_or(0, |(_, range): &Spanned<'_>| range.end);
    for html in renderer.close_all() {
        out.push((Event::Html(html.into()), end..end));
    }
    *events = out;
}

/// A block directive that waits for its closing directive.
struct Open {
    name: &'static str,
    /// The HTML that closes it.
    close: &'static str,
    offset: usize,
}

struct Renderer<'r, 'a> {
    context: &'r MarkdownContext<'a>,
    positions: &'r Positions<'a>,
    diagnostics: &'r mut Vec<Diagnostic>,
    open: Vec<Open>,
    /// Every zone pivot of the page, for the selector shown before the first zone.
    pivots: Vec<String>,
    pivot_selector_shown: bool,
    /// Images so far, for unique description ids.
    images: usize,
}

impl Renderer<'_, '_> {
    /// The HTML fragments of one directive (each becomes its own event, so the links pass
    /// sees an `<img>` as an image).
    fn directive(&mut self, directive: &Directive, offset: usize) -> Vec<String> {
        let mut problems = Vec::new();
        let html = match &directive.syntax {
            Syntax::CodeReference { language, target } => {
                let from = self.positions.file_at(offset).rel_path;
                vec![snippets::render_reference(language, target, from, self.context, &mut problems)]
            }
            Syntax::TripleColon { name, attributes } => {
                self.triple_colon(name, attributes, directive.block, offset, &mut problems)
            }
        };
        for problem in problems {
            self.report(problem, offset);
        }
        html
    }

    fn triple_colon(
        &mut self,
        name: &str,
        attributes: &Attributes,
        block: bool,
        offset: usize,
        problems: &mut Vec<Problem>,
    ) -> Vec<String> {
        match name {
            "image" => {
                self.images += 1;
                let description_id = format!("pd-image-description-{}", self.images);
                let image = image::render(attributes, block, &description_id, self.context.strings, problems);
                if image.opens_description {
                    self.open.push(Open { name: "image", close: "</div>\n", offset });
                }
                image.fragments
            }
            "zone" => {
                let mut html = Vec::new();
                if !self.pivot_selector_shown && !self.pivots.is_empty() {
                    html.push(zones::selector(&self.pivots, self.context.strings));
                    self.pivot_selector_shown = true;
                }
                if self.open.iter().any(|open| open.name == "zone") {
                    problems.push(
                        Problem::new("bad-directive", "zones cannot be nested")
                            .with_help("close the outer zone with `:::zone-end:::` first"),
                    );
                }
                html.push(zones::open(attributes, problems));
                self.open.push(Open { name: "zone", close: "</div>\n", offset });
                html
            }
            "row" | "column" => {
                let (name, class) = if name == "row" { ("row", "pd-row") } else { ("column", "pd-column") };
                let span = attributes.get("span").filter(|span| span.chars().all(|c| c.is_ascii_digit()));
                let style = span.map(|span| format!(" data-span=\"{span}\"")).unwrap_or_default();
                self.open.push(Open { name, close: "</div>\n", offset });
                vec![format!("<div class=\"{class}\"{style}>\n")]
            }
            "image-end" | "zone-end" | "row-end" | "column-end" => self.close(name.trim_end_matches("-end"), problems),
            "code" => {
                let from = self.positions.file_at(offset).rel_path;
                vec![snippets::render_directive(attributes, from, self.context, problems)]
            }
            "video" => vec![video(attributes, self.context.strings, problems)],
            "no-loc" => {
                let mut text = String::new();
                let _ = pulldown_cmark_escape::escape_html_body_text(&mut text, attributes.get("text").unwrap_or(""));
                vec![text]
            }
            other => {
                problems.push(
                    Problem::new(
                        "unknown-directive",
                        format!("`:::{other}` is not a DocFX directive polydoc supports"),
                    )
                    .with_help(
                        "the line is left out of the page; supported: image, zone, code, row, column, video, no-loc",
                    ),
                );
                Vec::new()
            }
        }
    }

    /// Closes the innermost open `name` directive.
    fn close(&mut self, name: &str, problems: &mut Vec<Problem>) -> Vec<String> {
        let Some(position) = self.open.iter().rposition(|open| open.name == name) else {
            let message = if name == "image" {
                "`:::image-end:::` without a `:::image type=\"complex\"` before it".to_string()
            } else {
                format!("`:::{name}-end:::` without an open `:::{name}` before it")
            };
            problems.push(Problem::new("bad-directive", message));
            return Vec::new();
        };
        // Directives opened inside this one and never closed end with it.
        let closing: Vec<Open> = self.open.drain(position..).collect();
        let mut html = Vec::new();
        for open in closing.into_iter().rev() {
            if open.name != name {
                self.report_unclosed(&open);
            }
            html.push(open.close.to_string());
        }
        html
    }

    /// Closes whatever is still open at the end of the page.
    fn close_all(&mut self) -> Vec<String> {
        let open: Vec<Open> = self.open.drain(..).collect();
        open.iter()
            .rev()
            .map(|open| {
                self.report_unclosed(open);
                open.close.to_string()
            })
            .collect()
    }

    fn report_unclosed(&mut self, open: &Open) {
        let message = format!("`:::{}` is never closed with `:::{}-end:::`", open.name, open.name);
        self.report(Problem::new("bad-directive", message), open.offset);
    }

    fn report(&mut self, problem: Problem, offset: usize) {
        let mut diagnostic = Diagnostic::warning(problem.code, self.positions.path, problem.message);
        if let Some(help) = problem.help {
            diagnostic = diagnostic.with_help(help);
        }
        self.diagnostics.push(self.positions.diagnostic(diagnostic, offset));
    }
}

/// `:::video source="https://…":::`: an embedded player.
fn video(attributes: &Attributes, strings: &UiStrings, problems: &mut Vec<Problem>) -> String {
    let source = attributes.get("source").unwrap_or("").trim();
    if !(source.starts_with("https://") || source.starts_with("http://")) {
        problems.push(Problem::new("bad-directive", "`:::video` needs a `source` that is an http(s) URL"));
        return String::new();
    }
    embedded_video(source, attributes.get("title").unwrap_or(""), strings)
}

/// The player for a video URL, shared with `> [!VIDEO url]`; untitled, it is called "Video".
pub(super) fn embedded_video(url: &str, title: &str, strings: &UiStrings) -> String {
    let title = if title.trim().is_empty() { strings.get("video") } else { title.trim() };
    let mut html = String::from("<div class=\"pd-video\"><iframe src=\"");
    let _ = pulldown_cmark_escape::escape_href(&mut html, url);
    html.push_str("\" title=\"");
    let _ = pulldown_cmark_escape::escape_html(&mut html, title);
    html.push_str("\" allowfullscreen loading=\"lazy\"></iframe></div>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, bool, String)> {
        find(text)
            .into_iter()
            .map(|(range, block, syntax)| {
                let name = match syntax {
                    Syntax::TripleColon { name, attributes } => format!("{name} {:?}", attributes.0),
                    Syntax::CodeReference { language, target } => format!("code-{language} {target}"),
                };
                (&text[range], block, name)
            })
            .collect()
    }

    #[test]
    fn finds_block_and_inline_directives_outside_code() {
        let text = "Text\n:::zone pivot=\"a,b\"\n\n> :::image type=\"icon\" source='x.svg':::\n\n1. See :::image source=\"y.png\" alt-text=\"Y\"::: here.\n\n   [!code-csharp[](app.cs#main)]\n\n```\n:::zone-end:::\n```\n\n`:::image x:::`\n:::zone-end:::";
        assert_eq!(
            found(text),
            [
                (":::zone pivot=\"a,b\"", true, "zone [(\"pivot\", \"a,b\")]".to_string()),
                (
                    ":::image type=\"icon\" source='x.svg':::",
                    true,
                    "image [(\"type\", \"icon\"), (\"source\", \"x.svg\")]".to_string()
                ),
                (
                    ":::image source=\"y.png\" alt-text=\"Y\":::",
                    false,
                    "image [(\"source\", \"y.png\"), (\"alt-text\", \"Y\")]".to_string()
                ),
                ("[!code-csharp[](app.cs#main)]", true, "code-csharp app.cs#main".to_string()),
                (":::zone-end:::", true, "zone-end []".to_string()),
            ]
        );
    }

    #[test]
    fn placeholders_are_html_blocks_or_inline_html() {
        use crate::content::{Locale, Page};
        let page = Page {
            locale: Locale::parse("en-us").unwrap(),
            rel_path: "a.md".into(),
            key: "a.md".into(),
            source_path: "content/en-us/a.md".into(),
            front_matter: Default::default(),
            body: "Text\n:::zone pivot=\"a\"\nMore :::no-loc text=\"X\"::: text\n".into(),
            body_line: 1,
            digests: Default::default(),
            text_hash: Default::default(),
            facts: Default::default(),
        };
        let sources = super::super::source::Sources::new(&page);
        let (prepared, directives) = prepare(SourceText::of_file(&sources, 0, None));
        assert_eq!(prepared.text, "Text\n<!--pd-directive-0-->\nMore <!--pd-directive-1--> text\n");
        assert_eq!(directives.iter().map(|d| (d.placeholder, d.block)).collect::<Vec<_>>(), [(5, true), (32, false)]);
        let events: Vec<Event<'_>> = pulldown_cmark::Parser::new(&prepared.text).collect();
        assert!(events.contains(&Event::Html("<!--pd-directive-0-->\n".into())), "{events:?}");
        assert!(events.contains(&Event::InlineHtml("<!--pd-directive-1-->".into())), "{events:?}");
    }
}
