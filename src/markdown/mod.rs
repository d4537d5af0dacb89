//! Markdown → HTML for one page served in one locale, as small passes in this order:
//! 1. `includes` splices `[!INCLUDE]` files into the text (`source` remembers where every
//!    byte came from, for diagnostics and relative links);
//! 2. `directives::prepare` swaps DocFX's line-based `:::` and `[!code]` directives for
//!    placeholders CommonMark leaves alone;
//! 3. one pulldown-cmark parse with offsets, then passes over the event list: `headings`
//!    (ids, outline), `tabs` (tab groups), `quotes` (`[!div]`, `[!VIDEO]`), `directives`
//!    (placeholders → image, zone, snippet HTML), `links` (every URL resolved and
//!    rewritten), `alerts`, raw-HTML hygiene, a check for DocFX syntax left over, and
//!    `highlight` (code blocks);
//! 4. serialization. Landing pages (`landing`) are YAML and take their own short path.
//!
//! Pure: everything a page needs (the site's lookups and include texts, UI strings, the
//! highlighter) comes in through `MarkdownContext`, and problems come out as diagnostics.
//! The one read is a code snippet's file, through `Site::asset_text`.

mod alerts;
mod directives;
mod headings;
pub mod highlight;
mod image;
mod includes;
mod landing;
mod links;
mod quotes;
mod snippets;
mod source;
mod tabs;
mod zones;

use std::ops::Range;

use foldhash::HashSet;
use pulldown_cmark::{Event, Options, Parser};
use source::{Positions, Sources};

pub use headings::{Heading, heading_offsets, slugify};
pub use highlight::Highlighter;
pub use links::{ExternalLink, PageLink};

use crate::config::Config;
use crate::content::{Locale, Page, Site};
use crate::diagnostic::Diagnostic;
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
    /// Files read while rendering (code snippets' sources), so a cache of rendered bodies
    /// knows to render again when one of them changes.
    pub read_files: &'a std::cell::RefCell<Vec<std::path::PathBuf>>,
}

/// A page's body as HTML, with what later stages need to know about it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
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
    /// `http(s)` links, for `check --external`.
    pub external_links: Vec<ExternalLink>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One parsed event with its byte range in the body.
type Spanned<'a> = (Event<'a>, Range<usize>);

/// Renders `page`'s body for `context.locale`.
pub fn render(page: &Page, context: &MarkdownContext<'_>) -> RenderedPage {
    if page.is_landing() {
        return landing::render(page, context);
    }
    let mut rendered = RenderedPage::default();
    let mut sources = Sources::new(page);
    let expanded = includes::expand(page, context.site, &mut sources, &mut rendered.diagnostics);
    let (prepared, directives) = directives::prepare(expanded);
    let positions = Positions::new(sources, &prepared);
    let mut events: Vec<Spanned<'_>> = Parser::new_ext(&prepared.text, parser_options()).into_offset_iter().collect();

    let headings = headings::assign_ids(&mut events, &positions, &mut rendered.diagnostics);
    rendered.first_heading = headings.iter().find(|h| h.level == 1).map(|h| h.title.clone());
    rendered.anchors = headings.iter().map(|h| h.id.clone()).collect();
    rendered.outline = headings.into_iter().filter(|h| matches!(h.level, 2 | 3)).collect();
    tabs::render(&mut events);
    quotes::render(&mut events, context.strings, &positions, &mut rendered.diagnostics);
    directives::render(&mut events, &directives, context, &positions, &mut rendered.diagnostics);
    links::rewrite(&mut events, page, context, &positions, &mut rendered);
    alerts::render(&mut events, context.strings);
    links::escape_unknown_tags(&mut events);
    quotes::report_leftovers(&events, &positions, &mut rendered.diagnostics);
    highlight_code_blocks(&mut events, context.highlighter);

    rendered.html.reserve(prepared.text.len() * 3 / 2);
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
