//! DocFX tabs: consecutive headings whose only content is a `#tab/id` link
//! (`# [Linux](#tab/linux)`; `#tab/id/condition` for dependent tabs) start the panels of
//! one tab group, which a `---` at the same level ends (or the end of the enclosing
//! block). Tab headings are labels, not sections: the headings pass keeps them out of the
//! outline and gives their `<a name>` anchor to the label. The markup works without
//! script — the tab list is `hidden` and every panel shows its label — and the theme's
//! script reveals the tab list and shows one panel. Tab ids repeat across groups (the
//! reader's choice applies to all), so element ids are numbered per group and the tab id
//! lives in `data-tab`.

use pulldown_cmark::{Event, Tag, TagEnd};

use super::Spanned;

/// What a tab heading says: its tab id, dependent-tab condition and label.
struct Tab {
    id: String,
    condition: Option<String>,
    label_html: String,
    /// The heading's id (from an `<a name>` anchor or `{#id}`), kept on the label.
    anchor: Option<String>,
}

/// An open tab group.
struct Group {
    number: usize,
    /// The nesting depth of its headings: a `---` or the end of the block at this depth ends it.
    depth: usize,
    /// Where in the output its opening goes, once every tab is known.
    start: usize,
    tabs: Vec<(String, Option<String>, String)>,
}

/// Whether a heading's inline events make it a tab heading.
pub(super) fn is_tab_heading(inner: &[Spanned<'_>]) -> bool {
    tab_link(inner).is_some()
}

/// Turns tab headings and their content into tab groups.
pub(super) fn render(events: &mut Vec<Spanned<'_>>) {
    if !events
        .iter()
        .any(|(event, _)| matches!(event, Event::Start(Tag::Link { dest_url, .. }) if dest_url.starts_with("#tab/")))
    {
        return;
    }
    let input = std::mem::take(events);
    let mut out: Vec<Spanned<'_>> = Vec::with_capacity(input.len() + 16);
    let mut groups: Vec<Group> = Vec::new();
    let mut numbered = 0;
    let mut depth = 0usize;
    let mut index = 0;
    while index < input.len() {
        let (event, range) = &input[index];
        match event {
            Event::Start(Tag::Heading { id, .. }) => {
                let end = input[index..]
                    .iter()
                    .position(|(e, _)| matches!(e, Event::End(TagEnd::Heading(_))))
                    .map_or(index, |p| index + p);
                if let Some(tab) = input.get(index + 1..end).and_then(|inner| tab_of(inner, id.as_deref())) {
                    if groups.last().is_some_and(|group| group.depth == depth) {
                        out.push((Event::Html("</div>\n".into()), range.clone()));
                    } else {
                        numbered += 1;
                        groups.push(Group { number: numbered, depth, start: out.len(), tabs: Vec::new() });
                        out.push((Event::Html("".into()), range.clone()));
                    }
                    let group = groups.last_mut().expect("a group was just found or opened");
                    group.tabs.push((tab.id.clone(), tab.condition.clone(), tab.label_html.clone()));
                    out.push((Event::Html(panel_start(group.number, group.tabs.len(), &tab).into()), range.clone()));
                    index = end + 1;
                    continue;
                }
                depth += 1;
            }
            Event::Rule if groups.last().is_some_and(|group| group.depth == depth) => {
                let group = groups.pop().expect("checked above");
                close(&mut out, group, range.end);
                index += 1;
                continue;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                while groups.last().is_some_and(|group| group.depth > depth) {
                    let group = groups.pop().expect("checked above");
                    close(&mut out, group, range.start);
                }
            }
            _ => {}
        }
        out.push(input[index].clone());
        index += 1;
    }
    let end = input.last().map_or(0, |(_, range)| range.end);
    while let Some(group) = groups.pop() {
        close(&mut out, group, end);
    }
    *events = out;
}

/// Ends a group's last panel and the group, and writes its opening and tab list.
fn close(out: &mut Vec<Spanned<'_>>, group: Group, offset: usize) {
    out.push((Event::Html("</div>\n</div>\n".into()), offset..offset));
    let mut html = String::from("<div class=\"pd-tabs\">\n<div class=\"pd-tablist\" role=\"tablist\" hidden>\n");
    for (number, (id, condition, label)) in group.tabs.iter().enumerate().map(|(i, tab)| (i + 1, tab)) {
        let first = number == 1;
        html.push_str(&format!(
            "<button type=\"button\" role=\"tab\" id=\"pd-tab-{g}-{number}\" aria-controls=\"pd-tabpanel-{g}-{number}\" aria-selected=\"{first}\" tabindex=\"{tabindex}\" data-tab=\"{id}\"{condition}>{label}</button>\n",
            g = group.number,
            tabindex = if first { 0 } else { -1 },
            id = escape(id),
            condition = condition_attribute(condition.as_deref()),
        ));
    }
    html.push_str("</div>\n");
    out[group.start].0 = Event::Html(html.into());
}

fn panel_start(group: usize, number: usize, tab: &Tab) -> String {
    let anchor = tab.anchor.as_ref().map(|id| format!(" id=\"{}\"", escape(id))).unwrap_or_default();
    format!(
        "<div class=\"pd-tabpanel\" id=\"pd-tabpanel-{group}-{number}\" role=\"tabpanel\" aria-labelledby=\"pd-tab-{group}-{number}\" data-tab=\"{}\"{}>\n<p class=\"pd-tab-label\"{anchor}>{}</p>\n",
        escape(&tab.id),
        condition_attribute(tab.condition.as_deref()),
        tab.label_html,
    )
}

fn condition_attribute(condition: Option<&str>) -> String {
    condition.map(|c| format!(" data-condition=\"{}\"", escape(c))).unwrap_or_default()
}

/// The tab a heading's inline events make, if they are one `#tab/…` link and nothing else.
fn tab_of(inner: &[Spanned<'_>], heading_id: Option<&str>) -> Option<Tab> {
    let (target, link_inner) = tab_link(inner)?;
    let target = target.trim_start_matches("#tab/");
    let (id, condition) = target.split_once('/').map_or((target, None), |(id, c)| (id, Some(c)));
    let mut label_html = String::new();
    pulldown_cmark::html::push_html(&mut label_html, link_inner.iter().map(|(event, _)| event.clone()));
    Some(Tab {
        id: id.to_string(),
        condition: condition.filter(|c| !c.is_empty()).map(str::to_string),
        label_html,
        anchor: heading_id.map(str::to_string),
    })
}

/// The `#tab/…` target and link text events of a heading that holds only that link
/// (blank text around it aside).
fn tab_link<'e, 'a>(inner: &'e [Spanned<'a>]) -> Option<(&'e str, &'e [Spanned<'a>])> {
    let is_blank = |event: &Event<'_>| matches!(event, Event::Text(t) if t.trim().is_empty());
    let start = inner.iter().position(|(event, _)| !is_blank(event))?;
    let Event::Start(Tag::Link { dest_url, .. }) = &inner[start].0 else { return None };
    if !dest_url.starts_with("#tab/") {
        return None;
    }
    let end = start + inner[start..].iter().position(|(event, _)| matches!(event, Event::End(TagEnd::Link)))?;
    inner[end + 1..].iter().all(|(event, _)| is_blank(event)).then(|| (dest_url.as_ref(), &inner[start + 1..end]))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}
