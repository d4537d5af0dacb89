//! DocFX sections in block quotes, after parsing: a quote whose first line is
//! `[!div class="…"]` becomes a `<div>` of those classes holding the rest of the quote
//! (`nextstepaction`: a call to action, `checklist`: a checked list, any other class a
//! plain `<div>`); `[!VIDEO url]` becomes an embedded player. pulldown-cmark's GFM mode
//! already turns `> [!NOTE]` and the other alert kinds into alerts; an alert marker it
//! left (an unusual spelling) is handed to the alerts pass here, and any other `[!NAME]`
//! loses its marker with `warning[unknown-directive]`. Last, `report_leftovers` warns about
//! any `[!NAME` still in the text, so no DocFX syntax reaches readers unannounced.

use std::sync::LazyLock;

use pulldown_cmark::{BlockQuoteKind, Event, Tag, TagEnd};
use regex::Regex;

use super::Spanned;
use super::directives::embedded_video;
use super::source::Positions;
use crate::diagnostic::Diagnostic;
use crate::i18n::UiStrings;

static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\[!(?P<name>[A-Za-z][\w-]*)(?:\s+(?P<argument>[^\]]*?))?\s*\]\s*$").expect("valid regex")
});
static CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))"#).expect("valid regex"));
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)^title\s*=\s*(?:"([^"]*)"|'([^']*)'|(.*))$"#).expect("valid regex"));
static LEFTOVER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[![A-Za-z][\w-]*").expect("valid regex"));

/// A `[!NAME argument]` line opening a block quote.
struct Marker {
    /// Lowercase.
    name: String,
    /// As written, for messages.
    written: String,
    argument: String,
    /// The byte offset of the marker, for diagnostics.
    offset: usize,
}

/// Turns `> [!div]` and `> [!VIDEO]` quotes into their HTML.
pub(super) fn render(
    events: &mut Vec<Spanned<'_>>,
    strings: &UiStrings,
    positions: &Positions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut index = 0;
    while index < events.len() {
        if matches!(events[index].0, Event::Start(Tag::BlockQuote(None)))
            && let Some(marker) = take_marker(events, index)
        {
            section(events, index, marker, strings, positions, diagnostics);
        }
        index += 1;
    }
}

/// Warns about every `[!NAME` left in the page's text (outside code): DocFX syntax that no
/// pass understood, which readers would see as is.
pub(super) fn report_leftovers(events: &[Spanned<'_>], positions: &Positions<'_>, diagnostics: &mut Vec<Diagnostic>) {
    let mut in_code = false;
    let mut run = String::new();
    // Text events in a row (pulldown-cmark splits text at brackets), each as (where it
    // starts in `run`, its source range).
    let mut run_parts: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    // A final non-text event flushes the last run.
    for (event, range) in events.iter().chain([&(Event::SoftBreak, 0..0)]) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(text) if !in_code => {
                run_parts.push((run.len(), range.clone()));
                run.push_str(text);
                continue;
            }
            _ => {}
        }
        for found in LEFTOVER.find_iter(&run) {
            // The source offset of the `[!`, when the text maps byte for byte to its source.
            let at = run_parts.iter().rev().find(|(start, _)| *start <= found.start()).map_or(0, |(start, range)| {
                (range.start + found.start() - start).min(range.end.saturating_sub(1)).max(range.start)
            });
            let message =
                format!("`{}…]` is not DocFX syntax polydoc supports; it is shown as written", found.as_str());
            let diagnostic = Diagnostic::warning("unknown-directive", positions.path, message)
                .with_help("write `\\[!` to show the text as is, or remove it");
            diagnostics.push(positions.diagnostic(diagnostic, at));
        }
        run.clear();
        run_parts.clear();
    }
}

/// Removes the marker line from the quote starting at `quote` and returns it, or leaves
/// the quote alone when its first line is not a marker.
fn take_marker(events: &mut Vec<Spanned<'_>>, quote: usize) -> Option<Marker> {
    if !matches!(events.get(quote + 1), Some((Event::Start(Tag::Paragraph), _))) {
        return None;
    }
    let first_text = quote + 2;
    let mut line = String::new();
    let mut end = first_text;
    while let Some((Event::Text(text), _)) = events.get(end) {
        line.push_str(text);
        end += 1;
    }
    let stop = &events.get(end)?.0;
    if !matches!(stop, Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph)) {
        return None;
    }
    let captures = MARKER.captures(&line)?;
    let marker = Marker {
        name: captures["name"].to_ascii_lowercase(),
        written: captures["name"].to_string(),
        argument: captures.name("argument").map_or("", |m| m.as_str()).trim().to_string(),
        offset: events[first_text].1.start,
    };
    if matches!(stop, Event::End(TagEnd::Paragraph)) {
        // The marker was the whole paragraph.
        events.drain(quote + 1..=end);
    } else {
        events.drain(first_text..=end);
    }
    Some(marker)
}

/// Renders the quote at `quote`, whose marker was removed.
fn section(
    events: &mut Vec<Spanned<'_>>,
    quote: usize,
    marker: Marker,
    strings: &UiStrings,
    positions: &Positions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let end = matching_end(events, quote);
    let mut warn = |code: &'static str, message: String, help: &'static str| {
        let diagnostic = Diagnostic::warning(code, positions.path, message).with_help(help);
        diagnostics.push(positions.diagnostic(diagnostic, marker.offset));
    };
    match marker.name.as_str() {
        "div" => {
            let Some(class) = CLASS.captures(&marker.argument).and_then(|c| c.get(1).or(c.get(2)).or(c.get(3))) else {
                warn(
                    "bad-directive",
                    format!("`[!div {}]` has no class", marker.argument),
                    "write `[!div class=\"…\"]`",
                );
                return;
            };
            let mut html = String::from("<div class=\"");
            let _ = pulldown_cmark_escape::escape_html(&mut html, class.as_str().trim());
            html.push_str("\">\n");
            events[quote].0 = Event::Html(html.into());
            events[end].0 = Event::Html("</div>\n".into());
        }
        "video" => {
            let (url, rest) = marker.argument.split_once(char::is_whitespace).unwrap_or((&marker.argument, ""));
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                warn("bad-directive", format!("`[!VIDEO {url}]` needs an http(s) URL"), "write `[!VIDEO https://…]`");
                return;
            }
            let title = TITLE
                .captures(rest.trim())
                .and_then(|c| c.get(1).or(c.get(2)).or(c.get(3)))
                .map_or(rest.trim(), |m| m.as_str());
            let player = embedded_video(url, title, strings);
            if end == quote + 1 {
                // Nothing but the video: no quote around it.
                events[quote].0 = Event::Html(player.into());
                events.remove(end);
            } else {
                events.insert(quote, (Event::Html(player.into()), events[quote].1.clone()));
            }
        }
        "note" | "tip" | "important" | "warning" | "caution" => {
            let kind = match marker.name.as_str() {
                "note" => BlockQuoteKind::Note,
                "tip" => BlockQuoteKind::Tip,
                "important" => BlockQuoteKind::Important,
                "warning" => BlockQuoteKind::Warning,
                _ => BlockQuoteKind::Caution,
            };
            events[quote].0 = Event::Start(Tag::BlockQuote(Some(kind)));
            events[end].0 = Event::End(TagEnd::BlockQuote(Some(kind)));
        }
        _ => warn(
            "unknown-directive",
            format!("`[!{}]` is not a DocFX block polydoc supports; the quote is shown without it", marker.written),
            "supported: NOTE, TIP, IMPORTANT, WARNING, CAUTION, div, VIDEO",
        ),
    }
}

/// The index of the `End` that closes the element started at `start`.
fn matching_end(events: &[Spanned<'_>], start: usize) -> usize {
    let mut depth = 0usize;
    for (index, (event, _)) in events.iter().enumerate().skip(start) {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    events.len() - 1
}
