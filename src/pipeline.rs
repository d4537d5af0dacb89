//! The build, as a checklist: load the site, judge translations, render every page's
//! Markdown in parallel, check cross-page anchors, then render templates and write the
//! output into a staging folder that replaces the previous output only if nothing failed.
//! `build` and `check` run this same code; `check` stops before writing.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use indicatif::{ParallelProgressIterator as _, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::content::{Locale, Site, relative_to};
use crate::diagnostic::{self, Diagnostic};
use crate::i18n::Translations;
use crate::l10n::{self, L10nReport, TranslationStatus};
use crate::markdown::{self, Highlighter, MarkdownContext, PageLink, RenderedPage, page_dir_of};
use crate::output::Staging;
use crate::render::nav::LocaleNav;
use crate::render::theme::{Theme, render_diagram};
use crate::render::{self, OutputPage, RenderContext, Source, Summary};

/// What to build and where.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The output folder; `None` checks the site without writing anything.
    pub out_dir: Option<PathBuf>,
    /// Build only these locales (all when empty). The source locale is still read, since
    /// fallback pages show its content.
    pub locales: Vec<Locale>,
    /// Show progress bars on stderr (they stay hidden when stderr is not a terminal).
    pub progress: bool,
}

impl BuildOptions {
    fn includes(&self, locale: &Locale) -> bool {
        self.locales.is_empty() || self.locales.contains(locale)
    }
}

/// The outcome of a build: every diagnostic, and what was produced.
#[derive(Debug, Default)]
pub struct BuildSummary {
    pub diagnostics: Vec<Diagnostic>,
    /// Per locale: (pages with their own content, fallback pages).
    pub pages: BTreeMap<Locale, (usize, usize)>,
    /// Whether the output folder was replaced.
    pub written: bool,
    pub elapsed: Duration,
}

impl BuildSummary {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Builds the site. Content problems come back as diagnostics; an `Err` means the site
/// or the environment is unusable (unreadable config, templates that do not compile, I/O).
pub fn build(config: &Config, options: &BuildOptions) -> Result<BuildSummary> {
    let started = Instant::now();
    let site = Site::load(config)?;
    let translations = Translations::load(config)?;
    let theme = Theme::load(&config.root)?;
    let report = l10n::analyze(&site);
    let mut diagnostics = site.diagnostics.clone();
    diagnostics.extend(l10n_diagnostics(&site, &report));
    diagnostics.extend(date_diagnostics(&site));
    let (source_changes, history_diagnostics) = l10n::source_changes(config, &site, &report, &options.locales);
    diagnostics.extend(history_diagnostics);

    let mut planned = render::plan(&site);
    planned.retain(|output| options.includes(output.locale));
    let highlighter = Highlighter::new();
    let rendered = render_markdown(
        config,
        &site,
        &translations,
        &highlighter,
        &planned,
        &progress(options, "markdown", planned.len()),
    );
    for (output, body) in planned.iter().zip(&rendered) {
        if let (Source::Own(_), Some(body)) = (output.source, body) {
            diagnostics.extend(body.diagnostics.iter().cloned());
        }
    }

    let summaries = summaries(config, &planned, &rendered);
    let children = children(&planned);
    let mut toc_links = Vec::new();
    let navs: BTreeMap<Locale, LocaleNav> = site
        .locales
        .iter()
        .map(|content| {
            let locale = &content.locale;
            let titles = |key: &str| summaries.get(&(locale.clone(), key.to_string())).map(|s| s.title.clone());
            (locale.clone(), LocaleNav::build(config, &site, locale, &titles, &mut diagnostics, &mut toc_links))
        })
        .collect();
    diagnostics.extend(anchor_diagnostics(&planned, &rendered, &toc_links));

    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    let mut summary = BuildSummary { pages: page_counts(&planned), ..BuildSummary::default() };
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    summary.diagnostics = diagnostics;
    if let (Some(out_dir), false) = (&options.out_dir, has_errors) {
        let context = RenderContext {
            config,
            site: &site,
            report: &report,
            source_changes: &source_changes,
            theme: &theme,
            translations: &translations,
            navs: &navs,
            summaries: &summaries,
            children: &children,
        };
        let staging = Staging::create(out_dir)?;
        match write_output(&context, options, &staging, &planned, &rendered) {
            Ok(()) => staging.commit()?,
            Err(error) => {
                staging.abandon();
                return Err(error);
            }
        }
        summary.written = true;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn render_markdown(
    config: &Config,
    site: &Site,
    translations: &Translations,
    highlighter: &Highlighter,
    planned: &[OutputPage<'_>],
    bar: &ProgressBar,
) -> Vec<Option<RenderedPage>> {
    let rendered = planned
        .par_iter()
        .progress_with(bar.clone())
        .map(|output| {
            let page = output.page()?;
            let context = MarkdownContext {
                config,
                site,
                locale: output.locale,
                highlighter,
                strings: translations.get(output.locale),
            };
            Some(markdown::render(page, &context))
        })
        .collect();
    bar.finish_and_clear();
    rendered
}

/// A progress bar for a phase over `len` items; hidden unless asked for and worth it.
fn progress(options: &BuildOptions, phase: &'static str, len: usize) -> ProgressBar {
    if !options.progress || len < 500 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64).with_message(phase);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len}").expect("valid template").progress_chars("=> "),
    );
    bar
}

fn summaries(
    config: &Config,
    planned: &[OutputPage<'_>],
    rendered: &[Option<RenderedPage>],
) -> HashMap<(Locale, String), Summary> {
    planned
        .iter()
        .zip(rendered)
        .map(|(output, body)| {
            let title = render::page_title(output, body.as_ref(), config);
            let description = output.page().and_then(|p| p.front_matter.text("description")).unwrap_or_default();
            ((output.locale.clone(), output.key.clone()), Summary { title, description })
        })
        .collect()
}

/// Folder key → the output pages directly inside it (subfolders by their folder page).
fn children(planned: &[OutputPage<'_>]) -> HashMap<(Locale, String), Vec<String>> {
    let mut children: HashMap<(Locale, String), Vec<String>> = HashMap::new();
    for output in planned {
        let dir = page_dir_of(&output.key);
        let trimmed = dir.trim_end_matches('/');
        if trimmed.is_empty() {
            continue;
        }
        let parent = trimmed.rfind('/').map_or(String::new(), |slash| trimmed[..=slash].to_string());
        children.entry((output.locale.clone(), parent)).or_default().push(output.key.clone());
    }
    children
}

fn page_counts(planned: &[OutputPage<'_>]) -> BTreeMap<Locale, (usize, usize)> {
    let mut counts: BTreeMap<Locale, (usize, usize)> = BTreeMap::new();
    for output in planned {
        let entry = counts.entry(output.locale.clone()).or_default();
        match output.source {
            Source::Fallback(_) => entry.1 += 1,
            Source::Own(_) => entry.0 += 1,
            Source::Listing => {}
        }
    }
    counts
}

fn l10n_diagnostics(site: &Site, report: &L10nReport) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (locale, statuses) in &report.locales {
        let Some(content) = site.locale(locale) else { continue };
        for (key, status) in statuses {
            if status.status == TranslationStatus::Orphaned {
                let page = &content.pages[key];
                let message = format!("`{}` has no source page in `{}`", page.rel_path, site.source().locale);
                diagnostics.push(
                    Diagnostic::warning("orphaned-translation", &page.source_path, message)
                        .with_help("remove it, or add the source page"),
                );
            }
        }
    }
    diagnostics
}

fn date_diagnostics(site: &Site) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for page in site.locales.iter().flat_map(|content| content.pages.values()) {
        let Some(raw) = page.front_matter.text("ms.date") else { continue };
        if l10n::parse_us_date(&raw).is_none() {
            diagnostics.push(
                Diagnostic::warning(
                    "bad-date",
                    &page.source_path,
                    format!("`ms.date: {raw}` is not a date in M/D/YYYY form; it is shown as written"),
                )
                .with_help("write it like `10/21/2019`"),
            );
        }
    }
    diagnostics
}

/// Checks `#fragment`s of links between pages against the anchors of the page actually
/// served in the link's locale (the translation, or the fallback).
fn anchor_diagnostics(
    planned: &[OutputPage<'_>],
    rendered: &[Option<RenderedPage>],
    toc_links: &[(String, PageLink)],
) -> Vec<Diagnostic> {
    let index: HashMap<(&Locale, &str), usize> =
        planned.iter().enumerate().map(|(i, p)| ((p.locale, p.key.as_str()), i)).collect();
    let check = |locale: &Locale, path: &str, link: &PageLink| -> Option<Diagnostic> {
        let target = *index.get(&(locale, link.key.as_str()))?;
        let anchors = rendered[target].as_ref().map(|r| &r.anchors);
        if anchors.is_some_and(|a| a.contains(&link.fragment)) {
            return None;
        }
        let target_path = planned[target].page().map_or_else(|| link.key.clone(), |p| p.source_path.clone());
        let near = anchors.and_then(|a| a.iter().find(|id| id.eq_ignore_ascii_case(&link.fragment)));
        Some(
            match near {
                Some(actual) => Diagnostic::warning(
                    "case-mismatch",
                    path,
                    format!("`#{}` matches the anchor `#{actual}` in {target_path} only ignoring case", link.fragment),
                )
                .with_help(format!("write `#{actual}`")),
                None => Diagnostic::warning(
                    "broken-anchor",
                    path,
                    format!("`#{}` is not an anchor in {target_path}", link.fragment),
                ),
            }
            .at(link.line, link.column),
        )
    };
    let mut diagnostics = Vec::new();
    for (output, body) in planned.iter().zip(rendered) {
        let (Source::Own(page), Some(body)) = (output.source, body) else { continue };
        diagnostics.extend(body.page_links.iter().filter_map(|link| check(output.locale, &page.source_path, link)));
    }
    for (origin, link) in toc_links {
        let locale_name = origin.trim_start_matches("content/").split('/').next().unwrap_or("");
        if let Some(locale) = planned.iter().map(|p| p.locale).find(|l| l.as_str() == locale_name) {
            diagnostics.extend(check(locale, origin, link));
        }
    }
    diagnostics
}

fn write_output(
    context: &RenderContext<'_>,
    options: &BuildOptions,
    staging: &Staging,
    planned: &[OutputPage<'_>],
    rendered: &[Option<RenderedPage>],
) -> Result<()> {
    let bar = progress(options, "pages", planned.len());
    planned.par_iter().zip(rendered).progress_with(bar.clone()).try_for_each(|(output, body)| {
        let html = context.page_html(output, body.as_ref()).with_context(|| format!("rendering {}", output.dir()))?;
        staging.write(&format!("{}index.html", output.dir()), html.as_bytes())
    })?;
    bar.finish_and_clear();
    let config = context.config;
    let site = context.site;
    for content in site.locales.iter().filter(|content| options.includes(&content.locale)) {
        for (lower, asset) in &content.assets {
            staging.copy(&format!("{}/{lower}", content.locale), &asset.file)?;
        }
        write_diagrams(context, staging, &content.locale)?;
        staging.write(&format!("{}/toc.json", content.locale), context.toc_json(&content.locale).as_bytes())?;
        staging.write(&format!("{}/404.html", content.locale), context.not_found_html(&content.locale)?.as_bytes())?;
    }
    for (name, bytes) in &context.theme.files {
        staging.write(name, bytes)?;
    }
    copy_static(config, staging)?;
    staging.write("index.html", context.chooser_html()?.as_bytes())?;
    staging.write("404.html", context.not_found_html(&config.default_locale)?.as_bytes())?;
    staging.write("sitemap.xml", context.sitemap(planned).as_bytes())?;
    staging.write("robots.txt", context.robots_txt().as_bytes())?;
    write_l10n_dashboard(context, options, staging)
}

/// The translation dashboard at `/_l10n/`, for the built translation locales, unless
/// site.toml says `[l10n] dashboard = false`.
fn write_l10n_dashboard(context: &RenderContext<'_>, options: &BuildOptions, staging: &Staging) -> Result<()> {
    let config = context.config;
    let built: Vec<Locale> =
        config.locales.iter().map(|l| l.locale.clone()).filter(|locale| options.includes(locale)).collect();
    let translations: Vec<Locale> = built.iter().filter(|l| **l != config.default_locale).cloned().collect();
    if !config.l10n.dashboard || translations.is_empty() {
        return Ok(());
    }
    let statuses = l10n::report::locale_statuses(context.site, context.report, &translations);
    let dashboard = l10n::report::dashboard(config, &statuses, "../", &built);
    staging.write("_l10n/index.html", context.theme.render("l10n.html", &dashboard)?.as_bytes())
}

/// Renders each diagram template once for the locale, with the locale's UI strings,
/// unless the locale ships its own file at that path.
fn write_diagrams(context: &RenderContext<'_>, staging: &Staging, locale: &Locale) -> Result<()> {
    #[derive(Serialize)]
    struct DiagramContext<'a> {
        t: &'a BTreeMap<String, String>,
        lang: String,
        locale: &'a str,
    }
    let own = context.site.locale(locale).expect("configured locale");
    let mut diagrams: BTreeMap<&String, &crate::content::Diagram> = context.site.source().diagrams.iter().collect();
    diagrams.extend(own.diagrams.iter());
    let strings = context.translations.get(locale);
    let diagram_context = DiagramContext { t: strings.as_map(), lang: locale.bcp47(), locale: locale.as_str() };
    for (lower, diagram) in diagrams {
        if own.assets.contains_key(lower) {
            continue;
        }
        let svg = render_diagram(&diagram.text, &diagram_context)
            .map_err(|error| anyhow!("{}: {error}", diagram.source_path))?;
        staging.write(&format!("{locale}/{lower}"), svg.as_bytes())?;
    }
    Ok(())
}

/// Copies the site's `static/` folder to the output root as is (the theme's stylesheet and
/// script, which the theme fingerprints, excepted).
fn copy_static(config: &Config, staging: &Staging) -> Result<()> {
    let static_dir = config.root.join("static");
    if !static_dir.is_dir() {
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(&static_dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read {}", static_dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative_to(&static_dir, entry.path());
        if rel == "polydoc.css" || rel == "polydoc.js" {
            continue;
        }
        staging.copy(&rel, entry.path())?;
    }
    Ok(())
}
