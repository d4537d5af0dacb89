//! The big, already rendered parts of a page — its body and its sidebar — do not pass
//! through Tera. The template context holds a slot marker in their place, and after the
//! template has run the parts are spliced into its output. Through Tera, each part would
//! be copied into a JSON value, walked and escaped-checked, then copied again, on every
//! page; a sidebar is also the same HTML on all the pages that share an open path, so it
//! is rendered once for them (`SidebarMemo`) and only the current page's link is marked
//! per page.
//!
//! The contract for themes: `page.content` and `nav.sidebar` are opaque HTML, to be
//! printed with `| safe` or tested for emptiness. A template that does anything else with
//! them (escapes or truncates them) still gets the right output: a marker that does not
//! come out of the template whole makes `Theme` render the page again with the real
//! values (`render::RenderContext::render_page`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::content::Locale;
use crate::render::nav::SidebarView;

/// Markers start with `<` so that an escaping template cannot leave them intact, and hold
/// a private-use character no page text is expected to contain.
pub(crate) const CONTENT_SLOT: &str = "<\u{E000}polydoc:page.content\u{E000}>";
pub(crate) const SIDEBAR_SLOT: &str = "<\u{E000}polydoc:nav.sidebar\u{E000}>";
const SENTINEL: char = '\u{E000}';

/// What goes into a page's slots.
#[derive(Clone, Debug, Default)]
pub struct Slots<'a> {
    pub content: &'a str,
    pub sidebar: Option<SidebarHtml>,
}

/// A sidebar shared by the pages of one open path, and where to mark the current page.
#[derive(Clone, Debug)]
pub struct SidebarHtml {
    pub html: Arc<str>,
    /// The byte offset just after the current page's `href="…"` attribute, if the page
    /// links from the sidebar; ` aria-current="page"` goes there.
    pub current_at: Option<usize>,
}

const CURRENT: &str = " aria-current=\"page\"";

impl SidebarHtml {
    /// `html` with the link whose `href` is exactly `own_href` marked as the current page.
    pub fn marking(html: Arc<str>, own_href: &str) -> SidebarHtml {
        let needle = format!("href=\"{own_href}\"");
        let current_at = memchr::memmem::find(html.as_bytes(), needle.as_bytes()).map(|at| at + needle.len());
        SidebarHtml { html, current_at }
    }

    pub(crate) fn push_to(&self, out: &mut String) {
        match self.current_at {
            Some(at) => {
                out.push_str(&self.html[..at]);
                out.push_str(CURRENT);
                out.push_str(&self.html[at..]);
            }
            None => out.push_str(&self.html),
        }
    }

    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.html.len() + CURRENT.len());
        self.push_to(&mut out);
        out
    }
}

/// Splices the parts into `rendered`, or `None` when some marker did not come out of the
/// template whole (the caller then renders with the real values).
pub(crate) fn fill(rendered: &str, slots: &Slots<'_>) -> Option<String> {
    let extra = slots.content.len() + slots.sidebar.as_ref().map_or(0, |s| s.html.len() + CURRENT.len());
    let mut out = String::with_capacity(rendered.len() + extra);
    let mut rest = rendered;
    while let Some(at) = rest.find(SENTINEL) {
        // A marker begins one byte (`<`) before its first sentinel.
        let start = at.checked_sub(1)?;
        let tail = &rest[start..];
        out.push_str(&rest[..start]);
        if let Some(after) = tail.strip_prefix(CONTENT_SLOT) {
            out.push_str(slots.content);
            rest = after;
        } else if let Some(after) = tail.strip_prefix(SIDEBAR_SLOT) {
            slots.sidebar.as_ref()?.push_to(&mut out);
            rest = after;
        } else {
            return None;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Which pages share a sidebar: same locale, same view (open path and block shown), same
/// depth of the page folder (links in a shared sidebar go up to the locale folder, `../`
/// per level below it).
pub type SidebarKey = (Locale, SidebarView, usize);

/// Sidebars rendered so far in one build.
#[derive(Default)]
pub struct SidebarMemo {
    rendered: Mutex<HashMap<SidebarKey, Arc<str>>>,
}

impl SidebarMemo {
    /// The memoized sidebar, or `render`'s (two threads may render the same sidebar at
    /// once; both get the same HTML, so that costs time, never correctness).
    pub fn get_or_render(
        &self,
        key: SidebarKey,
        render: impl FnOnce() -> anyhow::Result<String>,
    ) -> anyhow::Result<Arc<str>> {
        if let Some(html) = self.rendered.lock().expect("sidebar memo lock").get(&key) {
            return Ok(Arc::clone(html));
        }
        let html: Arc<str> = render()?.into();
        self.rendered.lock().expect("sidebar memo lock").insert(key, Arc::clone(&html));
        Ok(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sidebar(html: &str, own: &str) -> SidebarHtml {
        SidebarHtml::marking(Arc::from(html), own)
    }

    #[test]
    fn fills_both_slots_and_marks_the_current_link() {
        let slots = Slots {
            content: "<p>body</p>",
            sidebar: Some(sidebar(r#"<a href="../a/">A</a><a href="../b/">B</a>"#, "../b/")),
        };
        let out = fill(&format!("<nav>{SIDEBAR_SLOT}</nav><main>{CONTENT_SLOT}</main>"), &slots).unwrap();
        assert_eq!(
            out,
            r#"<nav><a href="../a/">A</a><a href="../b/" aria-current="page">B</a></nav><main><p>body</p></main>"#
        );
    }

    #[test]
    fn a_prefix_of_another_href_is_not_the_current_link() {
        let marked = sidebar(r#"<a href="../b/c/">C</a><a href="../b/">B</a>"#, "../b/").to_html();
        assert_eq!(marked, r#"<a href="../b/c/">C</a><a href="../b/" aria-current="page">B</a>"#);
    }

    #[test]
    fn a_slot_printed_twice_is_filled_twice() {
        let slots = Slots { content: "x", sidebar: None };
        assert_eq!(fill(&format!("{CONTENT_SLOT}|{CONTENT_SLOT}"), &slots).unwrap(), "x|x");
    }

    #[test]
    fn a_damaged_marker_asks_for_a_real_rendering() {
        let slots = Slots { content: "x", sidebar: None };
        let escaped = CONTENT_SLOT.replace('<', "&lt;").replace('>', "&gt;");
        assert_eq!(fill(&escaped, &slots), None);
        let truncated = &CONTENT_SLOT[..10];
        assert_eq!(fill(truncated, &slots), None);
        // A sidebar slot with no sidebar to put there.
        assert_eq!(fill(SIDEBAR_SLOT, &slots), None);
    }

    #[test]
    fn text_without_markers_is_unchanged() {
        assert_eq!(fill("<p>plain</p>", &Slots::default()).unwrap(), "<p>plain</p>");
    }
}
