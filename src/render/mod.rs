//! From rendered page bodies to HTML documents: which pages each locale gets (its own,
//! fallbacks for missing translations, generated folder listings), the template context
//! of each (navigation, language switcher, `hreflang`, banners), and the site-wide files
//! (locale chooser, 404 pages, sitemap, robots.txt). Pure apart from `theme` loading.

pub mod context;
pub mod nav;
pub mod slots;
pub mod theme;

use std::collections::BTreeMap;

use anyhow::Result;
use jiff::civil::Date;

use crate::config::Config;
use crate::content::page::{parent_folder, url_path};
use crate::content::{Locale, Page, PageMap, PageRef, Site};
use crate::i18n::{Translations, UiStrings};
use crate::l10n::sections::Change;
use crate::l10n::{L10nReport, SourceChanges, TranslationStatus};
use crate::markdown::RenderedPage;
use crate::output::{encode_path, relative_url};
use context::{
    Alternate, ChangedSection, ChildLink, ChooserContext, DateView, LanguageLink, Link, NavView, PageContext, PageView,
    SiteView,
};
use nav::{LocaleNav, NavTarget, SidebarItem};
use slots::{SidebarHtml, SidebarMemo, Slots};
use theme::Theme;

/// The front matter of pages that have none (generated listings).
static EMPTY_META: std::sync::LazyLock<serde_json::Map<String, serde_json::Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// What an output page shows.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// The locale's own file (the source page, or a translation).
    Own(&'a Page),
    /// The source page, shown where the translation is missing.
    Fallback(&'a Page),
    /// A generated listing of a folder that has no index page.
    Listing,
}

impl Source<'_> {
    /// Which of the three kinds this is, without the page.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Own(_) => "own",
            Source::Fallback(_) => "fallback",
            Source::Listing => "listing",
        }
    }
}

/// One HTML page of the output: `<locale>/<key's folder>/index.html`.
#[derive(Clone, Debug)]
pub struct OutputPage<'a> {
    pub locale: &'a Locale,
    /// A page key (`about/faq.md`) or, for a listing, a folder key (`about/`, or ``).
    pub key: String,
    pub source: Source<'a>,
}

impl<'a> OutputPage<'a> {
    /// The output folder relative to the output root (`zh-cn/about/faq/`).
    pub fn dir(&self) -> String {
        self.path_of("")
    }

    /// The page's file relative to the output root (`zh-cn/about/faq/index.html`).
    pub fn index_path(&self) -> String {
        self.path_of("index.html")
    }

    /// `name` in the output folder, made in one allocation: every phase of a build asks
    /// for some page's folder, 20,000 times on a large site.
    fn path_of(&self, name: &str) -> String {
        let (head, slash) = crate::content::page::url_path_parts(&self.key);
        let locale = self.locale.as_str();
        let mut path = String::with_capacity(locale.len() + head.len() + name.len() + 2);
        path.push_str(locale);
        path.push('/');
        path.push_str(head);
        if slash {
            path.push('/');
        }
        path.push_str(name);
        path
    }

    pub fn page(&self) -> Option<&'a Page> {
        match self.source {
            Source::Own(page) | Source::Fallback(page) => Some(page),
            Source::Listing => None,
        }
    }
}

/// Every output page of every locale, in a stable order.
pub fn plan(site: &Site) -> Vec<OutputPage<'_>> {
    let source = site.source();
    let mut planned = Vec::new();
    for content in &site.locales {
        let locale = &content.locale;
        // Both maps are in key order: one merge pass, the locale's own page first.
        let (mut own, mut fallback) = (content.pages.iter().peekable(), source.pages.iter().peekable());
        loop {
            let order = match (own.peek(), fallback.peek()) {
                (Some((own_key, _)), Some((fallback_key, _))) => own_key.cmp(fallback_key),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => break,
            };
            let (key, source) = match order {
                std::cmp::Ordering::Greater => fallback.next().map(|(key, page)| (key, Source::Fallback(page))),
                std::cmp::Ordering::Equal => {
                    fallback.next();
                    own.next().map(|(key, page)| (key, Source::Own(page)))
                }
                std::cmp::Ordering::Less => own.next().map(|(key, page)| (key, Source::Own(page))),
            }
            .expect("a peeked entry");
            planned.push(OutputPage { locale, key: key.clone(), source });
        }
        let mut folders: Vec<&String> = content.folders.iter().chain(source.folders.iter()).collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            let has_index = ["index.md", "index.yml"].iter().any(|name| {
                let key = format!("{folder}{name}");
                content.pages.contains_key(&key) || source.pages.contains_key(&key)
            });
            if !has_index {
                planned.push(OutputPage { locale, key: folder.clone(), source: Source::Listing });
            }
        }
    }
    planned
}

/// A page's title and description, for navigation and listings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub title: String,
    pub description: String,
}

/// The title a page shows: front matter `title`, else its first H1, else its file name.
pub fn page_title(output: &OutputPage<'_>, rendered: Option<&RenderedPage>, config: &Config) -> String {
    if let Some(page) = output.page()
        && let Some(title) = page.facts().title.clone().or_else(|| rendered.and_then(|r| r.first_heading.clone()))
    {
        return title;
    }
    let name = output
        .key
        .trim_end_matches('/')
        .trim_end_matches(".md")
        .trim_end_matches("/index")
        .rsplit('/')
        .next()
        .unwrap_or("");
    if name.is_empty() || name == "index" {
        return config.title_for(output.locale).to_string();
    }
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// Everything page templates draw on, shared by all pages of a build.
pub struct RenderContext<'a> {
    pub config: &'a Config,
    pub site: &'a Site,
    pub report: &'a L10nReport,
    /// What changed in the sources of stale translations (only where git has the history).
    pub source_changes: &'a SourceChanges,
    pub theme: &'a Theme,
    pub translations: &'a Translations,
    pub navs: &'a BTreeMap<Locale, std::sync::Arc<LocaleNav>>,
    /// (locale, key) → title and description of every output page.
    pub summaries: &'a PageMap<Summary>,
    /// (locale, folder key) → the keys of the output pages directly inside it.
    pub children: &'a PageMap<Vec<String>>,
    /// The sidebars rendered so far, shared by the pages of one open path.
    pub sidebars: &'a SidebarMemo,
}

impl RenderContext<'_> {
    /// The HTML document of one output page.
    pub fn page_html(&self, output: &OutputPage<'_>, rendered: Option<&RenderedPage>) -> Result<String> {
        self.render_page(&self.page_context(output, rendered)?)
    }

    /// Renders a page context with the template its kind calls for, then splices the body
    /// and the sidebar into their slots.
    pub fn render_page(&self, context: &PageContext<'_>) -> Result<String> {
        let shell = self.theme.render(context.template, context)?;
        if let Some(html) = slots::fill(&shell, &context.slots) {
            return Ok(html);
        }
        // The template changed a slot marker (escaped it, cut it): render with the values.
        let mut value = serde_json::to_value(context)?;
        if !context.page.content.is_empty() {
            value["page"]["content"] = context.slots.content.into();
        }
        if let Some(sidebar) = &context.slots.sidebar {
            value["nav"]["sidebar"] = sidebar.to_html().into();
        }
        self.theme.render(context.template, &value)
    }

    /// Everything the templates of one output page see.
    pub fn page_context<'a>(
        &'a self,
        output: &OutputPage<'a>,
        rendered: Option<&'a RenderedPage>,
    ) -> Result<PageContext<'a>> {
        let locale = output.locale;
        let dir = output.dir();
        let strings = self.translations.get(locale);
        let source_locale = &self.config.default_locale;
        let summary = self.summaries.get(&PageRef(locale, &output.key)).cloned().unwrap_or_default();
        let page = output.page();
        let front_matter = page.map(|p| &p.front_matter);
        let (status, machine_translated, handoff) = self.status_of(output);
        let is_section = output.key.is_empty()
            || output.key.ends_with('/')
            || output.key.ends_with("index.md")
            || output.key.ends_with("index.yml");
        let kind = if url_path(&output.key).is_empty() {
            "home"
        } else if is_section {
            "section"
        } else {
            "page"
        };
        let source_has_page = self.site.source().pages.contains_key(&output.key);
        let content = rendered.map_or("", |r| r.html.as_str());
        let (nav, sidebar) = self.nav_view(output, &dir, strings)?;
        Ok(PageContext {
            lang: locale.bcp47(),
            locale: locale.as_str(),
            t: strings.as_map(),
            site: SiteView { title: self.config.title_for(locale), base_url: &self.config.base_url },
            root: relative_url(&dir, ""),
            locale_root: relative_url(&dir, &format!("{locale}/")),
            assets: &self.theme.assets,
            page: PageView {
                title: summary.title.clone(),
                description: summary.description.clone(),
                keywords: front_matter.map(|f| f.keywords()).unwrap_or_default(),
                author: front_matter.and_then(|f| f.text("author")).unwrap_or_default(),
                date: front_matter.and_then(|f| f.text("ms.date")).map(|raw| date_view(&raw, strings)),
                meta: front_matter.map_or(&EMPTY_META, |f| f.meta()),
                content: if content.is_empty() { "" } else { slots::CONTENT_SLOT },
                content_lang: page.map_or_else(|| locale.bcp47(), |p| p.locale.bcp47()),
                kind,
                status,
                machine_translated,
                source_href: if source_has_page && locale != source_locale {
                    relative_url(&dir, &format!("{source_locale}/{}", url_path(&output.key)))
                } else {
                    String::new()
                },
                handoff_date: handoff.map(|date| format_date(date, strings)),
                changed_sections: self.changed_sections(output, &dir),
                outline: rendered.map_or(&[][..], |r| r.outline.as_slice()),
                children: if is_section { self.child_links(output, &dir) } else { Vec::new() },
            },
            canonical: self.canonical(output),
            alternates: self.alternates(output),
            languages: self.languages(output, &dir),
            nav: Some(nav),
            redirect_url: front_matter.and_then(|f| f.text("redirect_url")),
            template: if front_matter.and_then(|f| f.text("redirect_url")).is_some() {
                "redirect.html"
            } else if page.is_some_and(Page::is_landing) {
                "landing.html"
            } else if is_section {
                "section.html"
            } else {
                "page.html"
            },
            slots: Slots { content, sidebar },
        })
    }

    pub(crate) fn status_of(&self, output: &OutputPage<'_>) -> (&'static str, bool, Option<Date>) {
        match output.source {
            Source::Listing => ("source", false, None),
            Source::Fallback(_) => ("fallback", false, None),
            Source::Own(_) if output.locale == &self.config.default_locale => ("source", false, None),
            Source::Own(_) => match self.report.status(output.locale, &output.key) {
                None => ("source", false, None),
                Some(status) => {
                    let name = match status.status {
                        TranslationStatus::UpToDate => "up-to-date",
                        TranslationStatus::Stale => "stale",
                        TranslationStatus::Orphaned => "orphaned",
                        TranslationStatus::Unstamped | TranslationStatus::Missing => "unstamped",
                    };
                    (name, status.machine_translated, status.last_handoff)
                }
            },
        }
    }

    /// The source sections changed since a stale translation was made, linked into the
    /// source page (removed ones are not there any more).
    fn changed_sections(&self, output: &OutputPage<'_>, dir: &str) -> Vec<ChangedSection> {
        let Some(diff) = self.source_changes.get(&PageRef(output.locale, &output.key)) else {
            return Vec::new();
        };
        let source_page = relative_url(dir, &format!("{}/{}", self.config.default_locale, url_path(&output.key)));
        diff.sections
            .iter()
            .map(|section| {
                let (change, href) = match section.change {
                    Change::Changed => ("changed", format!("{source_page}#{}", section.id)),
                    Change::Added => ("added", format!("{source_page}#{}", section.id)),
                    Change::Removed => ("removed", String::new()),
                };
                ChangedSection {
                    id: section.id.clone(),
                    title: section.translated_title.clone().unwrap_or_else(|| section.title.clone()),
                    change,
                    href: if section.id.is_empty() && !href.is_empty() { source_page.clone() } else { href },
                }
            })
            .collect()
    }

    fn absolute_url(&self, dir: &str) -> String {
        format!("{}{}", self.config.base_url, encode_path(dir))
    }

    fn canonical(&self, output: &OutputPage<'_>) -> String {
        match output.source {
            Source::Fallback(_) => {
                self.absolute_url(&format!("{}/{}", self.config.default_locale, url_path(&output.key)))
            }
            _ => self.absolute_url(&output.dir()),
        }
    }

    /// The locales that have a real version of the page: its own file, or a generated
    /// listing (which every locale has in its own language).
    fn real_versions(&self, output: &OutputPage<'_>) -> Vec<&Locale> {
        self.site
            .locales
            .iter()
            .filter(|content| matches!(output.source, Source::Listing) || content.pages.contains_key(&output.key))
            .map(|content| &content.locale)
            .collect()
    }

    fn alternates(&self, output: &OutputPage<'_>) -> Vec<Alternate> {
        let versions = self.real_versions(output);
        let key_dir = url_path(&output.key);
        let mut alternates: Vec<Alternate> = versions
            .iter()
            .map(|locale| Alternate {
                hreflang: locale.bcp47(),
                href: self.absolute_url(&format!("{locale}/{key_dir}")),
            })
            .collect();
        if versions.first() == Some(&&self.config.default_locale) {
            alternates.push(Alternate {
                hreflang: "x-default".into(),
                href: self.absolute_url(&format!("{}/{key_dir}", self.config.default_locale)),
            });
        }
        alternates
    }

    fn languages(&self, output: &OutputPage<'_>, dir: &str) -> Vec<LanguageLink> {
        let source = self.site.source();
        self.site
            .locales
            .iter()
            .map(|content| {
                let locale = &content.locale;
                let exists = matches!(output.source, Source::Listing)
                    || content.pages.contains_key(&output.key)
                    || source.pages.contains_key(&output.key);
                let target = if exists { format!("{locale}/{}", url_path(&output.key)) } else { format!("{locale}/") };
                self.language_link(locale, output.locale, relative_url(dir, &target))
            })
            .collect()
    }

    /// A language switcher entry for `locale` on a page shown in `current`.
    fn language_link(&self, locale: &Locale, current: &Locale, href: String) -> LanguageLink {
        let name = self.config.locale_name(locale);
        let key = format!("lang_{locale}");
        let local = self.translations.get(current).get(&key);
        let local_name = if local == key { name.clone() } else { local.to_string() };
        LanguageLink {
            locale: locale.to_string(),
            lang: locale.bcp47(),
            name,
            local_name,
            href,
            current: locale == current,
        }
    }

    fn child_links(&self, output: &OutputPage<'_>, dir: &str) -> Vec<ChildLink> {
        let folder = if output.key.ends_with('/') || output.key.is_empty() {
            output.key.as_str()
        } else {
            parent_folder(&output.key)
        };
        let Some(children) = self.children.get(&(output.locale.clone(), folder.to_string())) else { return Vec::new() };
        children
            .iter()
            .filter(|key| **key != output.key)
            .map(|key| {
                let summary = self.summaries.get(&PageRef(output.locale, key)).cloned().unwrap_or_default();
                ChildLink {
                    title: summary.title,
                    description: summary.description,
                    href: relative_url(dir, &format!("{}/{}", output.locale, url_path(key))),
                }
            })
            .collect()
    }

    fn nav_view(
        &self,
        output: &OutputPage<'_>,
        dir: &str,
        strings: &UiStrings,
    ) -> Result<(NavView, Option<SidebarHtml>)> {
        let locale = output.locale;
        let nav = &self.navs[locale];
        let href = |target: &NavTarget| target_href(locale, dir, target);
        let title_of = |key: &str| {
            self.summaries.get(&(locale.clone(), key.to_string())).map_or_else(|| key.to_string(), |s| s.title.clone())
        };
        let link_to =
            |key: &str| Link { title: title_of(key), href: relative_url(dir, &format!("{locale}/{}", url_path(key))) };
        let mut breadcrumbs =
            vec![Link { title: strings.get("home").to_string(), href: relative_url(dir, &format!("{locale}/")) }];
        let ancestors = nav.ancestors(&output.key);
        if ancestors.is_empty() {
            // Not in the TOC: the folders above the page.
            let mut folder = parent_folder(output.key.trim_end_matches('/'));
            let mut chain = Vec::new();
            while !folder.is_empty() {
                let key = if self.summaries.contains_key(&(locale.clone(), format!("{folder}index.md"))) {
                    format!("{folder}index.md")
                } else {
                    folder.to_string()
                };
                if key != output.key {
                    chain.push(link_to(&key));
                }
                folder = parent_folder(folder.trim_end_matches('/'));
            }
            breadcrumbs.extend(chain.into_iter().rev());
        } else {
            breadcrumbs.extend(
                ancestors
                    .into_iter()
                    .filter(|node| node.target != NavTarget::None)
                    .map(|node| Link { title: node.title.clone(), href: href(&node.target) }),
            );
        }
        let (previous, next) = nav.neighbours(&output.key);
        let sidebar = self.sidebar(output, dir, strings)?;
        let view = NavView {
            sidebar: if sidebar.is_some() { slots::SIDEBAR_SLOT } else { "" },
            breadcrumbs,
            prev: previous.map(link_to),
            next: next.map(link_to),
            toc_url: relative_url(dir, &format!("{locale}/toc.json")),
        };
        Ok((view, sidebar))
    }

    /// The sidebar of the page: rendered once per locale, view (open path and block) and folder depth
    /// (its links go up to the locale folder and down again, so they hold for every page
    /// of that depth: every page of a locale, fallbacks included, is inside its folder),
    /// with the page's own link marked.
    fn sidebar(&self, output: &OutputPage<'_>, dir: &str, strings: &UiStrings) -> Result<Option<SidebarHtml>> {
        #[derive(serde::Serialize)]
        struct SidebarContext<'a> {
            items: Vec<SidebarItem>,
            t: &'a BTreeMap<String, String>,
        }
        let locale = output.locale;
        let nav = &self.navs[locale];
        if nav.roots.is_empty() {
            return Ok(None);
        }
        let depth = dir.split('/').filter(|segment| !segment.is_empty()).count();
        let view = nav.sidebar_view(&output.key);
        // From the page's folder up to the locale folder (`dir` is `<locale>/…`).
        let up = "../".repeat(depth.saturating_sub(1));
        let locale_dir = format!("{locale}/");
        let href = |target: &NavTarget| match target {
            NavTarget::External(url) if !url.starts_with("asset:") => url.clone(),
            NavTarget::None => String::new(),
            target => below(&up, target_href(locale, &locale_dir, target)),
        };
        let more = |count: usize| strings.get("sidebar_more").replace("{count}", &count.to_string());
        let html = self.sidebars.get_or_render((locale.clone(), view.clone(), depth), || {
            let context = SidebarContext { items: nav.sidebar(&view, &href, &more), t: strings.as_map() };
            self.theme.render("sidebar.html", &context)
        })?;
        let own = href(&NavTarget::Page { key: output.key.clone(), fragment: None });
        Ok(Some(SidebarHtml::marking(html, &own)))
    }

    /// The root `index.html`: links to every locale, and a script that picks one.
    pub fn chooser_html(&self) -> Result<String> {
        let locale = &self.config.default_locale;
        let locales: Vec<LanguageLink> = self
            .config
            .locales
            .iter()
            .map(|l| self.language_link(&l.locale, locale, format!("{}/", l.locale)))
            .collect();
        let alternates = self
            .config
            .locales
            .iter()
            .map(|l| Alternate { hreflang: l.locale.bcp47(), href: self.absolute_url(&format!("{}/", l.locale)) })
            .collect();
        let context = ChooserContext {
            lang: locale.bcp47(),
            locale: locale.as_str(),
            t: self.translations.get(locale).as_map(),
            site: SiteView { title: self.config.title_for(locale), base_url: &self.config.base_url },
            root: "./",
            assets: &self.theme.assets,
            locales,
            canonical: self.config.base_url.clone(),
            alternates,
        };
        self.theme.render("chooser.html", &context)
    }

    /// A locale's 404 page. It is served at any URL, so its links are server-absolute.
    pub fn not_found_html(&self, locale: &Locale) -> Result<String> {
        let strings = self.translations.get(locale);
        let base_path = self.config.base_path();
        let empty_meta = serde_json::Map::new();
        let languages = self
            .config
            .locales
            .iter()
            .map(|l| self.language_link(&l.locale, locale, format!("{base_path}{}/", l.locale)))
            .collect();
        let context = PageContext {
            lang: locale.bcp47(),
            locale: locale.as_str(),
            t: strings.as_map(),
            site: SiteView { title: self.config.title_for(locale), base_url: &self.config.base_url },
            root: base_path.to_string(),
            locale_root: format!("{base_path}{locale}/"),
            assets: &self.theme.assets,
            page: PageView {
                title: strings.get("not_found_title").to_string(),
                description: String::new(),
                keywords: Vec::new(),
                author: String::new(),
                date: None,
                meta: &empty_meta,
                content: "",
                content_lang: locale.bcp47(),
                kind: "404",
                status: "source",
                machine_translated: false,
                source_href: String::new(),
                handoff_date: None,
                changed_sections: Vec::new(),
                outline: &[],
                children: Vec::new(),
            },
            canonical: String::new(),
            alternates: Vec::new(),
            languages,
            nav: None,
            redirect_url: None,
            template: "404.html",
            slots: Slots::default(),
        };
        self.theme.render(context.template, &context)
    }

    /// `sitemap.xml`: every page with its own content, with `xhtml:link` alternates for
    /// its real translations only (fallback pages are not listed: they are copies).
    pub fn sitemap(&self, pages: &[OutputPage<'_>]) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
        );
        for output in pages.iter().filter(|p| !matches!(p.source, Source::Fallback(_))) {
            if output.page().is_some_and(|p| p.facts().redirects) {
                continue;
            }
            xml.push_str("  <url>\n    <loc>");
            xml.push_str(&escape_xml(&self.absolute_url(&output.dir())));
            xml.push_str("</loc>\n");
            let alternates = self.alternates(output);
            if alternates.len() > 2 {
                for alternate in alternates {
                    xml.push_str(&format!(
                        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
                        alternate.hreflang,
                        escape_xml(&alternate.href)
                    ));
                }
            }
            xml.push_str("  </url>\n");
        }
        xml.push_str("</urlset>\n");
        xml
    }

    pub fn robots_txt(&self) -> String {
        format!("User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n", self.config.base_url)
    }

    /// The locale's whole navigation tree, hrefs relative to the locale folder.
    pub fn toc_json(&self, locale: &Locale) -> String {
        let locale_dir = format!("{locale}/");
        self.navs[locale].to_json(&|target| target_href(locale, &locale_dir, target))
    }
}

/// The URL of a navigation target, relative to the folder `dir`.
fn target_href(locale: &Locale, dir: &str, target: &NavTarget) -> String {
    match target {
        NavTarget::None => String::new(),
        NavTarget::Page { key, fragment } => {
            let mut url = relative_url(dir, &format!("{locale}/{}", url_path(key)));
            if let Some(fragment) = fragment {
                url.push('#');
                url.push_str(fragment);
            }
            url
        }
        NavTarget::External(url) => match url.strip_prefix("asset:") {
            Some(output_path) => relative_url(dir, output_path),
            None => url.clone(),
        },
    }
}

/// `url`, relative to the locale folder, made relative to a page folder below it that
/// `up` (`""` or `../` repeated) leads back from. A leading `./` goes, so the locale's
/// home is `../../`, not `../.././`. polydoc.js resolves `toc.json`'s hrefs the same way,
/// so the subtrees it builds link exactly as the server's sidebar does.
fn below(up: &str, url: String) -> String {
    if up.is_empty() {
        return url;
    }
    match url.strip_prefix("./") {
        Some(rest) => format!("{up}{rest}"),
        None => format!("{up}{url}"),
    }
}

fn date_view(raw: &str, strings: &UiStrings) -> DateView {
    match crate::content::parse_us_date(raw) {
        Some(date) => format_date(date, strings),
        None => DateView { text: raw.trim().to_string(), iso: String::new() },
    }
}

/// A date in the locale's `date_format` (`{year}/{month}/{day}` in zh-CN).
fn format_date(date: Date, strings: &UiStrings) -> DateView {
    let text = strings
        .get("date_format")
        .replace("{year}", &date.year().to_string())
        .replace("{month}", &format!("{:02}", date.month()))
        .replace("{day}", &format!("{:02}", date.day()));
    DateView { text, iso: date.to_string() }
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
