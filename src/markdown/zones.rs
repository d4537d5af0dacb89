//! Zone pivots: `:::zone pivot="a,b"` … `:::zone-end:::` marks content for some readers
//! only (one programming language, one platform). Each zone is a `<div>` naming its pivots
//! and, for readers without JavaScript, labelled with them; every zone stays readable.
//! Before the page's first zone comes a selector of every pivot on the page, hidden until
//! the theme's script shows it and hides the zones that do not match the choice.
//! `target="docs"` zones are shown, `chromeless` and `pdf` ones are for other outputs.

use std::sync::LazyLock;

use regex::Regex;

use super::directives::{Attributes, Directive, Problem, Syntax};
use crate::i18n::UiStrings;

static PIVOT_LIST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*\s*$").expect("valid regex"));

/// Every pivot named by the zones of a page, in order of first use.
pub(super) fn pivots(directives: &[Directive]) -> Vec<String> {
    let mut pivots: Vec<String> = Vec::new();
    for directive in directives {
        let Syntax::TripleColon { name, attributes } = &directive.syntax else { continue };
        if name != "zone" {
            continue;
        }
        for pivot in split(attributes.get("pivot").unwrap_or("")) {
            if !pivots.contains(&pivot) {
                pivots.push(pivot);
            }
        }
    }
    pivots
}

/// The opening `<div>` of a zone, with its no-script label.
pub(super) fn open(attributes: &Attributes, problems: &mut Vec<Problem>) -> String {
    let unknown = attributes.unknown(&["pivot", "target"]);
    if !unknown.is_empty() {
        problems
            .push(Problem::new("bad-directive", format!("`:::zone` has unknown attributes: {}", unknown.join(", "))));
    }
    let pivot = attributes.get("pivot");
    let target = attributes.get("target").map(str::trim);
    if pivot.is_none() && target.is_none() {
        problems.push(Problem::new("bad-directive", "`:::zone` needs a `pivot` or a `target`"));
    }
    if let Some(pivot) = pivot.filter(|pivot| !PIVOT_LIST.is_match(pivot)) {
        problems.push(
            Problem::new("bad-directive", format!("`:::zone pivot=\"{pivot}\"` is not a list of pivot names"))
                .with_help("pivot names are lowercase letters, digits and dashes, separated by commas"),
        );
    }
    let mut html = String::from("<div class=\"zone");
    let mut attributes_html = String::new();
    if let Some(target) = target {
        if !matches!(target, "docs" | "chromeless" | "pdf") {
            problems.push(Problem::new(
                "bad-directive",
                format!("`:::zone target=\"{target}\"` is not `docs`, `chromeless` or `pdf`"),
            ));
        }
        html.push_str(" has-target");
        attributes_html.push_str(" data-target=\"");
        let _ = pulldown_cmark_escape::escape_html(&mut attributes_html, target);
        attributes_html.push('"');
        // Only the documentation site is built here; other targets' zones are left out of view.
        if target != "docs" {
            attributes_html.push_str(" hidden");
        }
    }
    let pivots = pivot.map(split).unwrap_or_default();
    if !pivots.is_empty() {
        html.push_str(" has-pivot");
        attributes_html.push_str(&format!(" data-pivot=\"{}\"", pivots.join(" ")));
    }
    html.push('"');
    html.push_str(&attributes_html);
    html.push_str(">\n");
    if !pivots.is_empty() {
        html.push_str(&format!("<p class=\"pd-zone-label\">{}</p>\n", pivots.join(", ")));
    }
    html
}

/// The pivot selector shown before a page's first zone.
pub(super) fn selector(pivots: &[String], strings: &UiStrings) -> String {
    let mut html = String::from("<div class=\"pd-pivots\" role=\"group\" aria-label=\"");
    let _ = pulldown_cmark_escape::escape_html(&mut html, strings.get("pivot_selector"));
    html.push_str("\" hidden>\n");
    for pivot in pivots {
        html.push_str(&format!(
            "<button type=\"button\" class=\"pd-pivot\" data-pivot=\"{pivot}\" aria-pressed=\"false\">{pivot}</button>\n"
        ));
    }
    html.push_str("</div>\n");
    html
}

/// Pivot names as DocFX allows them (lowercase letters, digits, dashes); anything else is
/// dropped, so names are safe in attributes and text.
fn split(pivots: &str) -> Vec<String> {
    pivots
        .split(',')
        .map(|pivot| {
            pivot.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>().to_lowercase()
        })
        .filter(|pivot| !pivot.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_zone(pairs: &[(&str, &str)]) -> (String, Vec<String>) {
        let attributes = Attributes::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let mut problems = Vec::new();
        let html = open(&attributes, &mut problems);
        (html, problems.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn zones_name_their_pivots() {
        let (html, problems) = open_zone(&[("pivot", "windows, linux")]);
        assert_eq!(
            html,
            "<div class=\"zone has-pivot\" data-pivot=\"windows linux\">\n<p class=\"pd-zone-label\">windows, linux</p>\n"
        );
        assert!(problems.is_empty());
        let (html, _) = open_zone(&[("target", "chromeless")]);
        assert_eq!(html, "<div class=\"zone has-target\" data-target=\"chromeless\" hidden>\n");
    }

    #[test]
    fn malformed_zones_are_reported() {
        assert_eq!(open_zone(&[]).1, ["`:::zone` needs a `pivot` or a `target`"]);
        let (html, problems) = open_zone(&[("pivot", "Windows <x>")]);
        assert_eq!(problems, ["`:::zone pivot=\"Windows <x>\"` is not a list of pivot names"]);
        assert!(html.contains("data-pivot=\"windowsx\""), "{html}");
    }
}
