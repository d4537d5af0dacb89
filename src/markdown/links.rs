//! Link rewriting. Every relative URL in a page — Markdown links and images, raw-HTML
//! `href` and `src` — is resolved against the source file through `Site::resolve` (locale
//! fallback and case-insensitive matching included) and rewritten relative to the page's
//! output folder. Site-root links go to `link_root`. Links that resolve nowhere are kept as
//! written and reported (with a did-you-mean from `check::suggest`); links to other pages'
//! fragments are returned for checking once every page's anchors are known, `http(s)` links
//! for `check --external`. Images without alt text are reported here too.

use std::borrow::Cow;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use pulldown_cmark::{CowStr, Event, Tag};
use regex::{Captures, Regex};

use super::source::Positions;
use super::{MarkdownContext, RenderedPage, Spanned};
use crate::check::suggest::{self, Wanted};
use crate::content::{Page, Target, page::url_path};
use crate::diagnostic::Diagnostic;
use crate::output::relative_url;

/// A link from a page to a fragment of another page (or of itself through its path).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageLink {
    /// The target page's key, or a folder key ending in `/`.
    pub key: String,
    pub fragment: String,
    pub line: usize,
    pub column: usize,
}

/// An `http(s)` URL written in a page or TOC, for `check --external`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExternalLink {
    pub url: String,
    /// The file holding the link, relative to the site root.
    pub path: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    Link,
    Image,
}

static URL_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(\s(?:href|src)\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"#).expect("valid regex")
});
static ID_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"#).expect("valid regex")
});
static IMG_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^\s*<img\b").expect("valid regex"));
static ANY_IMG_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<img\b[^>]*>").expect("valid regex"));
static ALT_ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\salt\s*=").expect("valid regex"));

pub(super) fn rewrite(
    events: &mut [Spanned<'_>],
    page: &Page,
    context: &MarkdownContext<'_>,
    positions: &Positions<'_>,
    rendered: &mut RenderedPage,
) {
    let rewriter =
        Rewriter { page, context, positions, page_dir: format!("{}/{}", context.locale, url_path(&page.key)) };
    // Before rewriting, so that the help shows each image's URL as written.
    report_missing_alt(events, page, positions, &mut rendered.diagnostics);
    let mut same_page_fragments: Vec<(String, usize)> = Vec::new();
    for (event, range) in events.iter_mut() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(new) =
                    rewriter.href(dest_url, LinkKind::Link, range.start, rendered, &mut same_page_fragments)
                {
                    *dest_url = CowStr::from(new);
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(new) =
                    rewriter.href(dest_url, LinkKind::Image, range.start, rendered, &mut same_page_fragments)
                {
                    *dest_url = CowStr::from(new);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                for captures in ID_ATTRIBUTE.captures_iter(html) {
                    if let Some(id) = captures.get(1).or_else(|| captures.get(2)).or_else(|| captures.get(3)) {
                        rendered.anchors.insert(id.as_str().to_string());
                    }
                }
                let kind = if IMG_TAG.is_match(html) { LinkKind::Image } else { LinkKind::Link };
                let rewritten = URL_ATTRIBUTE.replace_all(html, |captures: &Captures<'_>| {
                    let value = captures
                        .get(2)
                        .or_else(|| captures.get(3))
                        .or_else(|| captures.get(4))
                        .expect("one alternative matches");
                    let offset = range.start + line_offset_in(html, value.start());
                    match rewriter.href(value.as_str(), kind, offset, rendered, &mut same_page_fragments) {
                        Some(new) => format!("{}\"{}\"", &captures[1], new.replace('"', "%22")),
                        None => captures[0].to_string(),
                    }
                });
                if let Cow::Owned(new) = rewritten {
                    *html = CowStr::from(new);
                }
            }
            _ => {}
        }
    }
    for (fragment, offset) in same_page_fragments {
        if !rendered.anchors.contains(&fragment) {
            let message = format!("`#{fragment}` is not an anchor on this page");
            let mut diagnostic = Diagnostic::warning("broken-anchor", &page.source_path, message);
            diagnostic.help = suggest::anchor_help(&fragment, &rendered.anchors);
            rendered.diagnostics.push(positions.diagnostic(diagnostic, offset));
        }
    }
}

/// Warns about images without alt text: `![](x.png)`, and `<img>` without an `alt`
/// attribute (`alt=""` is kept: HTML's way to mark an image as decoration).
fn report_missing_alt(events: &[Spanned<'_>], page: &Page, positions: &Positions<'_>, out: &mut Vec<Diagnostic>) {
    use pulldown_cmark::TagEnd;
    for (index, (event, range)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                let has_alt = events[index + 1..]
                    .iter()
                    .take_while(|(event, _)| !matches!(event, Event::End(TagEnd::Image)))
                    .any(|(event, _)| matches!(event, Event::Text(t) | Event::Code(t) if !t.trim().is_empty()));
                if !has_alt {
                    let message = format!("image `{dest_url}` has no alt text");
                    let diagnostic = Diagnostic::warning("missing-alt", &page.source_path, message)
                        .with_help(format!("say what it shows for readers who cannot see it: `![…]({dest_url})`"));
                    out.push(positions.diagnostic(diagnostic, range.start));
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                for tag in ANY_IMG_TAG.find_iter(html).filter(|tag| !ALT_ATTRIBUTE.is_match(tag.as_str())) {
                    let diagnostic = Diagnostic::warning("missing-alt", &page.source_path, "`<img>` has no `alt` text")
                        .with_help("add `alt=\"…\"` saying what it shows (`alt=\"\"` if it is decoration)");
                    out.push(positions.diagnostic(diagnostic, range.start + line_offset_in(html, tag.start())));
                }
            }
            _ => {}
        }
    }
}

/// The offset of the start of the line holding byte `index` of an HTML block: the event's
/// range starts at the block, and a line is close enough for the diagnostic's column.
fn line_offset_in(html: &str, index: usize) -> usize {
    html[..index].rfind('\n').map_or(0, |newline| newline + 1)
}

struct Rewriter<'a> {
    page: &'a Page,
    context: &'a MarkdownContext<'a>,
    positions: &'a Positions<'a>,
    /// The page's output folder relative to the output root (`zh-cn/about/x/`).
    page_dir: String,
}

impl Rewriter<'_> {
    /// The rewritten URL, or `None` to keep `href` as written.
    fn href(
        &self,
        href: &str,
        kind: LinkKind,
        offset: usize,
        rendered: &mut RenderedPage,
        same_page: &mut Vec<(String, usize)>,
    ) -> Option<String> {
        let href = href.trim();
        if let Some(fragment) = href.strip_prefix('#') {
            if !fragment.is_empty() && !fragment.starts_with("tab/") {
                same_page.push((decode(fragment).into_owned(), offset));
            }
            return None;
        }
        if href.is_empty() {
            return None;
        }
        if is_external(href) {
            self.note_external(href, offset, rendered);
            return None;
        }
        if href.starts_with('/') {
            let Some(root) = &self.context.config.link_root else {
                let message =
                    format!("`{href}` is a site-root link and site.toml sets no `link_root`; it is left as written");
                let diagnostic = Diagnostic::warning("site-root-link", &self.page.source_path, message).with_help(
                    "set `link_root` in site.toml (e.g. `https://learn.microsoft.com`), or write a relative link",
                );
                rendered.diagnostics.push(self.positions.diagnostic(diagnostic, offset));
                return None;
            };
            let url = format!("{root}{href}");
            self.note_external(&url, offset, rendered);
            return Some(url);
        }
        let (path_and_query, fragment) = href.split_once('#').map_or((href, None), |(p, f)| (p, Some(f)));
        let (path, query) = path_and_query.split_once('?').map_or((path_and_query, None), |(p, q)| (p, Some(q)));
        let decoded_path = decode(path);
        // Relative to the file the URL was written in: the page, or an included file.
        let from = self.positions.file_at(offset).rel_path;
        let Some(resolution) = self.context.site.resolve(self.context.locale, from, &decoded_path) else {
            let (code, what) = match kind {
                LinkKind::Image => ("broken-image", "image"),
                LinkKind::Link => ("broken-link", "link target"),
            };
            let message = format!("{what} `{path}` does not exist");
            let mut diagnostic = Diagnostic::warning(code, &self.page.source_path, message);
            let wanted = if kind == LinkKind::Image { Wanted::Image } else { Wanted::Link };
            diagnostic.help =
                suggest::link_help(self.context.site, self.context.locale, &self.page.rel_path, &decoded_path, wanted);
            rendered.diagnostics.push(self.positions.diagnostic(diagnostic, offset));
            return None;
        };
        if let Some(mismatch) = &resolution.case_mismatch {
            let message = format!("`{}` matches the file `{}` only ignoring case", mismatch.written, mismatch.actual);
            let diagnostic = Diagnostic::warning("case-mismatch", &self.page.source_path, message)
                .with_help("spell the link as the file is named; case-sensitive hosts only serve the exact name");
            rendered.diagnostics.push(self.positions.diagnostic(diagnostic, offset));
        }
        let target_path = match &resolution.target {
            Target::Page { key } => {
                if let Some(fragment) = fragment.filter(|f| !f.is_empty() && !f.starts_with("tab/")) {
                    let (line, column) = self.positions.page_at(offset);
                    rendered.page_links.push(PageLink {
                        key: key.clone(),
                        fragment: decode(fragment).into_owned(),
                        line,
                        column,
                    });
                }
                format!("{}/{}", self.context.locale, url_path(key))
            }
            Target::Asset { output_path } => output_path.clone(),
        };
        let mut url = relative_url(&self.page_dir, &target_path);
        if let Some(query) = query {
            url.push('?');
            url.push_str(query);
        }
        if let Some(fragment) = fragment {
            url.push('#');
            url.push_str(fragment);
        }
        Some(url)
    }

    /// Records an `http(s)` (or scheme-relative) URL for `check --external`.
    fn note_external(&self, url: &str, offset: usize, rendered: &mut RenderedPage) {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")) {
            return;
        }
        let (line, column) = self.positions.page_at(offset);
        let url = if lower.starts_with("//") { format!("https:{url}") } else { url.to_string() };
        rendered.external_links.push(ExternalLink { url, path: self.page.source_path.clone(), line, column });
    }
}

fn decode(text: &str) -> Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

fn is_external(href: &str) -> bool {
    if href.starts_with("//") {
        return true;
    }
    // A scheme is letters, digits, `+`, `-`, `.` before the first `:` (and before any `/`).
    match href.find(':') {
        Some(colon) => {
            let scheme = &href[..colon];
            !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Shows tag-like text that is not HTML (`<username>`, `<container-id>`) as text instead of
/// letting the browser swallow it as an unknown element.
pub(super) fn escape_unknown_tags(events: &mut [Spanned<'_>]) {
    for (event, _) in events.iter_mut() {
        let Event::InlineHtml(html) = event else { continue };
        if let Some(name) = tag_name(html)
            && !is_html_element(&name)
        {
            *event = Event::Text(html.clone());
        }
    }
}

fn tag_name(html: &str) -> Option<String> {
    let rest = html.strip_prefix('<')?;
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':').collect();
    (!name.is_empty() && name.starts_with(|c: char| c.is_ascii_alphabetic())).then(|| name.to_ascii_lowercase())
}

fn is_html_element(name: &str) -> bool {
    HTML_ELEMENTS.binary_search(&name).is_ok()
}

/// HTML element names, sorted for binary search. `xref` is DocFX's cross-reference tag.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "math",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "xref",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_list_is_sorted_for_binary_search() {
        assert!(HTML_ELEMENTS.windows(2).all(|pair| pair[0] < pair[1]));
        for name in ["a", "br", "img", "ol", "li", "xref", "center", "kbd"] {
            assert!(is_html_element(name), "{name}");
        }
        for name in ["username", "container-id", "none"] {
            assert!(!is_html_element(name), "{name}");
        }
    }

    #[test]
    fn recognizes_external_urls() {
        assert!(is_external("https://x.org/a"));
        assert!(is_external("mailto:a@b.c"));
        assert!(is_external("//cdn.example.org/x.js"));
        assert!(!is_external("media/a:b.png".split(':').next().unwrap()));
        assert!(!is_external("../a.md"));
    }
}
