//! DocFX/GitHub alerts: `> [!NOTE]` (any letter case) becomes a titled `<div>` whose title
//! is the locale's word for the alert kind. pulldown-cmark's GFM mode already recognizes the
//! five kinds; this pass only chooses the markup and the label.

use pulldown_cmark::{BlockQuoteKind, Event, Tag, TagEnd};

use super::Spanned;
use crate::i18n::UiStrings;

pub(super) fn render(events: &mut [Spanned<'_>], strings: &UiStrings) {
    for (event, _) in events.iter_mut() {
        match event {
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, key) = names(*kind);
                let mut title = String::new();
                let _ = pulldown_cmark_escape::escape_html_body_text(&mut title, strings.get(key));
                *event = Event::Html(
                    format!(
                        "<div class=\"alert alert-{class}\" role=\"note\">\n<p class=\"alert-title\">{title}</p>\n"
                    )
                    .into(),
                );
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => *event = Event::Html("</div>\n".into()),
            _ => {}
        }
    }
}

fn names(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "alert_note"),
        BlockQuoteKind::Tip => ("tip", "alert_tip"),
        BlockQuoteKind::Important => ("important", "alert_important"),
        BlockQuoteKind::Warning => ("warning", "alert_warning"),
        BlockQuoteKind::Caution => ("caution", "alert_caution"),
    }
}
