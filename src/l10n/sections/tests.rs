use super::*;
use crate::content::{Locale, front_matter};

/// A page as `Site::load` would read it from `text`.
fn page(locale: &str, text: &str) -> Page {
    let split = front_matter::split(text).unwrap();
    Page {
        locale: Locale::parse(locale).unwrap(),
        rel_path: "a.md".into(),
        key: "a.md".into(),
        source_path: format!("content/{locale}/a.md"),
        front_matter: split.front_matter,
        body: split.body.to_string().into(),
        body_line: split.body_line,
        digests: Default::default(),
        text_hash: Default::default(),
        facts: Default::default(),
    }
}

fn ids(sections: &[Section]) -> Vec<&str> {
    sections.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn cuts_at_headings_with_the_ids_the_page_renders() {
    let body = "Intro text.\n\n# <a name=\"top\"></a>Title\n\n## Install {#setup}\n\n```powershell\n# not a heading\n```\n\n## Install\n\n# [Linux](#tab/linux)\n\nTab text.\n\n---\n\n## Use it\n";
    let sections = sections(body);
    assert_eq!(ids(&sections), ["", "top", "setup", "install", "use-it"]);
    assert_eq!(sections[1].title, "Title");
    assert!(sections[2].text.contains("# not a heading"));
    // A tab heading is a label inside the section, not a section of its own.
    assert!(sections[3].text.contains("Tab text."));
    assert_eq!(super::sections(body.trim_start_matches("Intro text.\n\n"))[0].id, "top");
}

#[test]
fn repeated_ids_are_numbered_as_on_the_page() {
    let sections = sections("## Example\n\na\n\n## Example\n\nb\n");
    assert_eq!(ids(&sections), ["example", "example-1"]);
}

#[test]
fn reports_changed_added_and_removed_sections_in_reading_order() {
    let old = "---\ntitle: T\nms.date: 1/1/2020\n---\n# T\n\n## Keep\n\nSame.\n\n## Edit\n\nOne.\n\nTwo.\n\n## Gone\n\nBye.\n\n## Last\n\nEnd.\n";
    let new = "---\ntitle: T\nms.date: 6/1/2020\n---\n# T\n\n## Keep\n\nSame.\n\n## Edit\n\nOne!\n\nTwo.\n\n| a |\n|---|\n| b |\n\n## Fresh\n\nNew.\n\n## Last\n\nEnd.\n";
    let diff = diff(old, &page("en-us", new), None);
    assert_eq!(diff.front_matter, ["ms.date"]);
    let summary: Vec<(&str, Change)> = diff.sections.iter().map(|s| (s.id.as_str(), s.change)).collect();
    assert_eq!(summary, [("edit", Change::Changed), ("gone", Change::Removed), ("fresh", Change::Added)]);
    let edit = &diff.sections[0];
    assert_eq!(edit.changed, BTreeMap::from([(BlockKind::Paragraph, 1)]));
    assert_eq!(edit.added, BTreeMap::from([(BlockKind::Table, 1)]));
    assert!(edit.removed.is_empty());
}

#[test]
fn line_endings_alone_change_nothing() {
    let old = "# T\r\n\r\n## A\r\n\r\nText.\r\n";
    let diff = diff(old, &page("en-us", "# T\n\n## A\n\nText.\n"), None);
    assert_eq!(diff, SourceDiff::default());
}

#[test]
fn names_sections_by_the_translations_headings() {
    let old = "# <a name=\"arch\"></a>Architecture\n\nOld.\n\n## Details\n\nX.\n";
    let new = "# <a name=\"arch\"></a>Architecture\n\nNew.\n\n## Details\n\nY.\n";
    // The translation kept the first anchor; the second pairs by position.
    let translation = page("zh-cn", "# <a name=\"arch\"></a>体系结构\n\n旧。\n\n## 详细信息\n\nX。\n");
    let diff = diff(old, &page("en-us", new), Some(&translation));
    let titles: Vec<Option<&str>> = diff.sections.iter().map(|s| s.translated_title.as_deref()).collect();
    assert_eq!(titles, [Some("体系结构"), Some("详细信息")]);
    assert_eq!(diff.sections[0].title, "Architecture");
}

#[test]
fn counts_tab_labels_apart_from_headings() {
    let old = "## Hosts\n\n# [A](#tab/a)\n\n| x |\n|---|\n| 1 |\n\n---\n";
    let new = "## Hosts\n\n# [B](#tab/b)\n\n| x |\n|---|\n| 2 |\n\n# [A](#tab/a)\n\n| x |\n|---|\n| 1 |\n\n---\n";
    let diff = diff(old, &page("en-us", new), None);
    assert_eq!(diff.sections.len(), 1);
    assert_eq!(diff.sections[0].added, BTreeMap::from([(BlockKind::Tab, 1), (BlockKind::Table, 1)]));
}
