//! Heading ids and the heading list. An id comes from a leading `<a name="x"></a>` (the
//! DocFX way, which translations use to keep the source's anchors; the `<a>` is removed),
//! from `{#x}`, or from a GitHub-style slug of the text that keeps CJK letters. An id that
//! repeats an earlier one gets `-1`, `-2`, … — with a warning when it was written
//! explicitly, since a link to it then reaches the first one only.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use regex::Regex;

use super::source::Positions;
use super::{Spanned, tabs};
use crate::diagnostic::Diagnostic;

/// One heading of a page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    /// Plain text, for the outline and titles.
    pub title: String,
}

static ANCHOR_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^<a\s+(?:name|id)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>/]+))\s*/?>$"#).expect("valid regex")
});

/// Gives every heading an id and returns the headings in order. Tab headings
/// (`# [Linux](#tab/linux)`) are labels, not sections: they keep an anchor they were given
/// but are not returned.
pub(super) fn assign_ids(
    events: &mut Vec<Spanned<'_>>,
    positions: &Positions<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Heading> {
    let mut headings = Vec::new();
    let mut used = UsedIds::default();
    let mut index = 0;
    while index < events.len() {
        let (Event::Start(Tag::Heading { level, id, .. }), range) = &events[index] else {
            index += 1;
            continue;
        };
        let level = *level as u8;
        let start_offset = range.start;
        let explicit_attribute = id.as_ref().map(|id| id.to_string());
        let end = events[index..]
            .iter()
            .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
            .map_or(events.len(), |p| index + p);
        let anchor = take_leading_anchor(events, index + 1, end);
        let end = events[index..]
            .iter()
            .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
            .map_or(events.len(), |p| index + p);
        if tabs::is_tab_heading(&events[index + 1..end]) {
            // A tab label, not a section: out of the outline, but its anchor still works
            // (tab anchors repeat from group to group by design, so no warning).
            if let Some(wanted) = anchor.or(explicit_attribute) {
                let id = unique_id(&wanted, &mut used);
                if let (Event::Start(Tag::Heading { id: heading_id, .. }), _) = &mut events[index] {
                    *heading_id = Some(CowStr::from(id));
                }
            }
            index = end + 1;
            continue;
        }
        let title = plain_text(&events[index + 1..end]);
        let explicit = anchor.or(explicit_attribute);
        let wanted = explicit.clone().unwrap_or_else(|| slugify(&title));
        let id = unique_id(&wanted, &mut used);
        if id != wanted && explicit.is_some() {
            diagnostics.push(
                positions
                    .diagnostic(
                        Diagnostic::warning(
                            "duplicate-id",
                            positions.path,
                            format!("the id `{wanted}` is used by an earlier heading; this one becomes `{id}`"),
                        ),
                        start_offset,
                    )
                    .with_help("give this heading an id of its own"),
            );
        }
        if let (Event::Start(Tag::Heading { id: heading_id, .. }), _) = &mut events[index] {
            *heading_id = Some(CowStr::from(id.clone()));
        }
        headings.push(Heading { level, id, title });
        index = end + 1;
    }
    // The leading anchors taken above left empty placeholders, dropped in one pass: removing
    // each from the middle of the list made a page of many headings quadratic.
    events.retain(|(event, _)| !matches!(event, Event::Text(text) if text.is_empty()));
    headings
}

/// Removes a leading `<a name="x"></a>` (or `<a name="x"/>`) from the heading's inline
/// events and returns `x`.
fn take_leading_anchor(events: &mut Vec<Spanned<'_>>, start: usize, end: usize) -> Option<String> {
    let first = (start..end).find(|&i| !matches!(&events[i].0, Event::Text(t) if t.trim().is_empty()))?;
    let Event::InlineHtml(html) = &events[first].0 else { return None };
    let captures = ANCHOR_TAG.captures(html.trim())?;
    let name = captures.get(1).or_else(|| captures.get(2)).or_else(|| captures.get(3))?.as_str().trim().to_string();
    let self_closing = html.trim_end().ends_with("/>");
    let closing = (first + 1 < end
        && matches!(&events[first + 1].0, Event::InlineHtml(h) if h.trim().eq_ignore_ascii_case("</a>")))
    .then_some(first + 1);
    let mut after = first + 1;
    if let Some(closing) = closing.filter(|_| !self_closing) {
        events[closing].0 = Event::Text(CowStr::Borrowed(""));
        after = closing + 1;
    }
    events[first].0 = Event::Text(CowStr::Borrowed(""));
    // The text after the anchor often starts with a space (`<a name="x"></a> Title`).
    if let Some((Event::Text(text), _)) = events.get_mut(after).filter(|_| after < end)
        && text.starts_with(' ')
    {
        *text = CowStr::from(text.trim_start().to_string());
    }
    (!name.is_empty()).then_some(name)
}

fn plain_text(inner: &[Spanned<'_>]) -> String {
    let mut text = String::new();
    for (event, _) in inner {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.trim().to_string()
}

/// Ids given so far, and per wanted id the last suffix tried, so that the n-th repeat of
/// an id does not try the n-1 suffixes before it again (20,000 repeats took minutes).
#[derive(Default)]
struct UsedIds {
    ids: HashSet<String>,
    last_suffix: HashMap<String, usize>,
}

fn unique_id(wanted: &str, used: &mut UsedIds) -> String {
    let base = if wanted.is_empty() { "section" } else { wanted };
    let mut candidate = base.to_string();
    let counter = used.last_suffix.entry(base.to_string()).or_insert(0);
    while used.ids.contains(&candidate) {
        *counter += 1;
        candidate = format!("{base}-{counter}");
    }
    used.ids.insert(candidate.clone());
    candidate
}

/// Every section heading of `body` (tab headings are labels, not sections) with the id a
/// rendered page gives it and the byte offset where it starts, so `l10n` can cut a page into
/// sections that pair up with the rendered anchors and across languages.
pub fn heading_offsets(body: &str) -> Vec<(Heading, usize)> {
    let mut events: Vec<Spanned<'_>> =
        pulldown_cmark::Parser::new_ext(body, super::parser_options()).into_offset_iter().collect();
    let positions = Positions::of_text(body);
    let headings = assign_ids(&mut events, &positions, &mut Vec::new());
    let starts = events.iter().enumerate().filter_map(|(index, (event, range))| {
        let Event::Start(Tag::Heading { .. }) = event else { return None };
        let end = events[index..].iter().position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))?;
        (!super::tabs::is_tab_heading(&events[index + 1..index + end])).then_some(range.start)
    });
    headings.into_iter().zip(starts).collect()
}

/// A GitHub-style slug: lowercase, letters (CJK included), digits, `-` and `_` kept,
/// spaces turned into `-`, everything else dropped.
pub fn slugify(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_github() {
        assert_eq!(slugify("Containers vs. virtual machines"), "containers-vs-virtual-machines");
        assert_eq!(slugify("容器体系结构"), "容器体系结构");
        assert_eq!(slugify("What's new in C# 12?"), "whats-new-in-c-12");
        assert_eq!(slugify("Step 1: Install Docker"), "step-1-install-docker");
        assert_eq!(slugify("  A_b  c "), "a_b--c");
    }
}
