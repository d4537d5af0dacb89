//! Markdown → HTML for one page served in one locale. The body is parsed once with
//! pulldown-cmark (offsets kept for diagnostics), then small passes rewrite the event list
//! in order — headings, links, alerts, raw-HTML hygiene, code highlighting — and the result
//! is serialized. Pure: everything a page needs (the site's lookups, UI strings, the
//! highlighter) comes in through `MarkdownContext`, and problems come out as diagnostics.

mod alerts;
mod headings;
pub mod highlight;
mod links;

use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser};

pub use headings::{Heading, heading_offsets, slugify};
pub use highlight::Highlighter;
pub use links::{PageLink, page_dir_of};

use crate::config::Config;
use crate::content::{Locale, Page, Site};
use crate::diagnostic::{Diagnostic, LineIndex};
use crate::i18n::UiStrings;

/// What rendering one page needs besides the page itself.
pub struct MarkdownContext<'a> {
    pub config: &'a Config,
    pub site: &'a Site,
    /// The locale the page is served in: a fallback page is the source page served in
    /// another locale, and its links go to that locale's pages.
    pub locale: &'a Locale,
    pub highlighter: &'a Highlighter,
    /// The locale's UI strings (alert titles).
    pub strings: &'a UiStrings,
}

/// A page's body as HTML, with what later stages need to know about it.
#[derive(Debug, Default)]
pub struct RenderedPage {
    pub html: String,
    /// The text of the first level-1 heading, the title when front matter has none.
    pub first_heading: Option<String>,
    /// Headings of level 2 and 3, for the in-page outline.
    pub outline: Vec<Heading>,
    /// Every id a `#fragment` can target: headings and raw-HTML `id`/`name` attributes.
    pub anchors: HashSet<String>,
    /// Links to other pages with a fragment, to check once every page is rendered.
    pub page_links: Vec<PageLink>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One parsed event with its byte range in the body.
type Spanned<'a> = (Event<'a>, Range<usize>);

/// Renders `page`'s body for `context.locale`.
pub fn render(page: &Page, context: &MarkdownContext<'_>) -> RenderedPage {
    let positions = Positions { index: LineIndex::new(&page.body), body_line: page.body_line, path: &page.source_path };
    let mut events: Vec<Spanned<'_>> = Parser::new_ext(&page.body, parser_options()).into_offset_iter().collect();
    let mut rendered = RenderedPage::default();

    let headings = headings::assign_ids(&mut events, &positions, &mut rendered.diagnostics);
    rendered.first_heading = headings.iter().find(|h| h.level == 1).map(|h| h.title.clone());
    rendered.anchors = headings.iter().map(|h| h.id.clone()).collect();
    rendered.outline = headings.into_iter().filter(|h| matches!(h.level, 2 | 3)).collect();
    links::rewrite(&mut events, page, context, &positions, &mut rendered);
    alerts::render(&mut events, context.strings);
    links::escape_unknown_tags(&mut events);
    highlight_code_blocks(&mut events, context.highlighter);

    rendered.html.reserve(page.body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut rendered.html, events.into_iter().map(|(event, _)| event));
    rendered
}

pub(crate) fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Maps byte offsets in a page body to positions in its file, for diagnostics.
struct Positions<'a> {
    index: LineIndex<'a>,
    body_line: usize,
    path: &'a str,
}

impl Positions<'_> {
    /// The 1-based (line, column) in the file of a byte offset in the body.
    fn at(&self, offset: usize) -> (usize, usize) {
        let (line, column) = self.index.position(offset);
        (line + self.body_line - 1, column)
    }

    fn diagnostic(&self, diagnostic: Diagnostic, offset: usize) -> Diagnostic {
        let (line, column) = self.at(offset);
        diagnostic.at(line, column)
    }
}

/// Replaces each fenced or indented code block with highlighted HTML.
fn highlight_code_blocks(events: &mut Vec<Spanned<'_>>, highlighter: &Highlighter) {
    use pulldown_cmark::{CodeBlockKind, Tag, TagEnd};
    let mut out = Vec::with_capacity(events.len());
    let mut drained = std::mem::take(events).into_iter();
    while let Some((event, range)) = drained.next() {
        let Event::Start(Tag::CodeBlock(kind)) = event else {
            out.push((event, range));
            continue;
        };
        let info = match &kind {
            CodeBlockKind::Fenced(info) => info.to_string(),
            CodeBlockKind::Indented => String::new(),
        };
        let mut code = String::new();
        for (inner, _) in drained.by_ref() {
            match inner {
                Event::End(TagEnd::CodeBlock) => break,
                Event::Text(text) => code.push_str(&text),
                _ => {}
            }
        }
        let html = highlighter.code_block(&info, &code);
        out.push((Event::Html(html.to_string().into()), range));
    }
    *events = out;
}

#[cfg(test)]
mod tests;
