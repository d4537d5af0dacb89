//! The values templates see: borrowed, serializable views built per page. The names here
//! are the theme's contract (documented in ARCHITECTURE.md); renaming one breaks every
//! site that overrides a template.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::slots::Slots;
use super::theme::Assets;
use crate::markdown::Heading;

#[derive(Serialize)]
pub struct PageContext<'a> {
    /// BCP 47 tag of the chrome's language (`zh-CN`).
    pub lang: String,
    /// The locale folder (`zh-cn`).
    pub locale: &'a str,
    /// The locale's UI strings.
    pub t: &'a BTreeMap<String, String>,
    pub site: SiteView<'a>,
    /// Relative prefix from the page to the output root, ending in `/`.
    pub root: String,
    /// Relative prefix from the page to its locale folder, ending in `/`.
    pub locale_root: String,
    pub assets: &'a Assets,
    pub page: PageView<'a>,
    pub canonical: String,
    pub alternates: Vec<Alternate>,
    pub languages: Vec<LanguageLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nav: Option<NavView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The template that renders this page.
    #[serde(skip)]
    pub template: &'static str,
    /// The parts spliced in place of `page.content` and `nav.sidebar` (see `slots`).
    #[serde(skip)]
    pub slots: Slots<'a>,
}

#[derive(Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
}

#[derive(Serialize)]
pub struct PageView<'a> {
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub author: String,
    pub date: Option<DateView>,
    pub meta: &'a Map<String, Value>,
    /// The body's HTML (a slot marker until it is spliced in; empty when there is none).
    pub content: &'static str,
    /// BCP 47 tag of the content's language; differs from `lang` on fallback pages.
    pub content_lang: String,
    /// `page`, `section`, `home` or `404`.
    pub kind: &'static str,
    /// `source`, `up-to-date`, `stale`, `unstamped`, `fallback` or `orphaned`.
    pub status: &'static str,
    pub machine_translated: bool,
    pub source_href: String,
    pub handoff_date: Option<DateView>,
    /// On a stale translation in a git repository: the source's sections changed since.
    pub changed_sections: Vec<ChangedSection>,
    pub outline: &'a [Heading],
    pub children: Vec<ChildLink>,
}

/// A section of the source that changed since the translation was made.
#[derive(Serialize)]
pub struct ChangedSection {
    /// The heading's id in the source page; empty for the text before the first heading.
    pub id: String,
    /// The translation's heading where the two pair up, else the source's.
    pub title: String,
    /// `changed`, `added` or `removed`.
    pub change: &'static str,
    /// The section in the source page; empty for a removed section.
    pub href: String,
}

/// A date as shown to the reader and as ISO 8601 for `<time datetime>` (empty when the
/// written date could not be parsed).
#[derive(Clone, Serialize)]
pub struct DateView {
    pub text: String,
    pub iso: String,
}

#[derive(Serialize)]
pub struct Alternate {
    pub hreflang: String,
    pub href: String,
}

#[derive(Serialize)]
pub struct LanguageLink {
    pub locale: String,
    pub lang: String,
    /// The language's own name ("中文 (简体)"), from site.toml.
    pub name: String,
    /// The language's name in the page's language ("英文" on a Chinese page), from the UI
    /// strings' `lang_<locale>` key, else `name`.
    pub local_name: String,
    pub href: String,
    pub current: bool,
}

#[derive(Serialize)]
pub struct NavView {
    /// The sidebar's HTML (a slot marker until it is spliced in), empty when the locale
    /// has no navigation.
    pub sidebar: &'static str,
    pub breadcrumbs: Vec<Link>,
    pub prev: Option<Link>,
    pub next: Option<Link>,
    pub toc_url: String,
}

#[derive(Clone, Serialize)]
pub struct Link {
    pub title: String,
    pub href: String,
}

#[derive(Serialize)]
pub struct ChildLink {
    pub title: String,
    pub description: String,
    pub href: String,
}

/// The root `index.html` that sends readers to their language.
#[derive(Serialize)]
pub struct ChooserContext<'a> {
    pub lang: String,
    pub locale: &'a str,
    pub t: &'a BTreeMap<String, String>,
    pub site: SiteView<'a>,
    pub root: &'static str,
    pub assets: &'a Assets,
    pub locales: Vec<LanguageLink>,
    pub canonical: String,
    pub alternates: Vec<Alternate>,
}
