//! The build, as a checklist: load the site, judge translations, render every page's
//! Markdown in parallel, check cross-page anchors, then render templates and write the
//! output — into a staging folder that replaces the previous output only if nothing failed
//! (`build`), or into memory (`serve`). `build`, `check` and `serve` run this same code;
//! `check` stops before writing, and `serve` passes a `BuildCache` so a rebuild re-renders
//! only what an edit changed: there is no second, "fast" path.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
// Keys here are the site's own paths: a fast hasher, not a DoS-resistant one.
use foldhash::HashMap;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::content::page::url_path;
use crate::content::{Locale, Page, PageMap, PageRef, Site, file_stamp, relative_to};
use crate::diagnostic::{self, Diagnostic, Mode};
use crate::i18n::Translations;
use crate::l10n::{self, L10nReport, TranslationStatus};
use crate::markdown::{self, ExternalLink, Highlighter, MarkdownContext, PageLink, RenderedPage};
use crate::output::{Bytes, Output, Staging};
use crate::render::nav::LocaleNav;
use crate::render::theme::{Theme, render_diagram};
use crate::render::{self, OutputPage, RenderContext, Source, Summary};

mod cache;

pub use cache::BuildCache;
#[cfg(feature = "search")]
use cache::RecordedFiles;
use cache::{CachedBody, CachedPage, Fingerprint, Recorder, SearchRecord, Written};
#[cfg(feature = "search")]
use cache::{IndexPages, RecordedFile};

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
    /// Write the search index (`build --no-search` turns it off; without the cargo feature
    /// `search` there is none).
    pub search: bool,
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
    /// Every `http(s)` link of the pages and TOCs, for `check --external`.
    pub external_links: Vec<ExternalLink>,
    /// Whether the output was produced (no content errors).
    pub written: bool,
    /// Output pages (`zh-cn/about/x/`) whose templates ran in this build; the others were
    /// taken from the cache unchanged.
    pub rendered: Vec<String>,
    /// How many page bodies were rendered from Markdown (the others came from the cache).
    pub bodies_rendered: usize,
    /// Code blocks of those bodies: highlighted, and taken from the highlighter's cache.
    pub code_blocks: (usize, usize),
    /// The output pages whose Markdown took longest to render, slowest first (at most 10).
    pub slowest: Vec<(String, Duration)>,
    pub elapsed: Duration,
    /// Wall time per phase, in pipeline order.
    pub timings: Vec<(&'static str, Duration)>,
    /// Per locale, what became of its search index, and how many of its files were written.
    pub search_index: BTreeMap<Locale, (IndexOutcome, usize)>,
}

/// What a build did with a locale's search index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexOutcome {
    /// The records are those of the previous index, whose files stay.
    Kept,
    /// The previous index with the changed pages' records patched in.
    Patched,
    /// Made anew from every record.
    Assembled,
}

impl IndexOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexOutcome::Kept => "kept",
            IndexOutcome::Patched => "patched",
            IndexOutcome::Assembled => "assembled",
        }
    }
}

impl BuildSummary {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Builds the site into `options.out_dir` (or only checks it when that is `None`). The
/// output goes to a staging folder that replaces the previous output only when the build
/// has no errors. Content problems come back as diagnostics; an `Err` means the site or
/// the environment is unusable (unreadable config, templates that do not compile, I/O).
pub fn build(config: &Config, options: &BuildOptions) -> Result<BuildSummary> {
    let Some(out_dir) = &options.out_dir else {
        return run(config, options, &mut BuildCache::default(), None);
    };
    let started = Instant::now();
    let mut cache = BuildCache::load(&config.root, out_dir);
    let previous_outputs = cache.previous_outputs();
    let loading = started.elapsed();
    let staging = Staging::create(out_dir)?;
    match run(config, options, &mut cache, Some(&staging)) {
        Ok(mut summary) if summary.written => {
            let finishing = Instant::now();
            // Moving files into place is file-system work and saving the cache is mostly
            // compression: side by side they take the time of the longer.
            let (committed, saved) = std::thread::scope(|scope| {
                let saver = scope.spawn(|| cache.save(&config.root, out_dir));
                let committed = staging.commit(previous_outputs.as_deref());
                (committed, saver.join().unwrap_or_else(|_| Err(anyhow!("the cache save panicked"))))
            });
            if committed.is_err() {
                // The cache describes an output that did not land.
                BuildCache::discard(&config.root);
            }
            committed?;
            if let Err(error) = saved {
                // The site is built; only the next build will be slower.
                let message = format!("the build cache was not saved: {error:#}");
                summary.diagnostics.push(Diagnostic::warning("io", ".polydoc-cache/build", message));
            }
            summary.timings.insert(0, ("cache load", loading));
            summary.timings.push(("commit + cache save", finishing.elapsed()));
            summary.elapsed = started.elapsed();
            // Freeing a large site's cache takes a moment that nothing waits for: a process
            // that exits now does not, and a caller that goes on does not either.
            std::thread::spawn(move || drop(cache));
            Ok(summary)
        }
        outcome => {
            staging.abandon();
            outcome
        }
    }
}

/// One build through `cache`, writing into `output` unless the content has errors.
pub fn run(
    config: &Config,
    options: &BuildOptions,
    cache: &mut BuildCache,
    output: Option<&dyn Output>,
) -> Result<BuildSummary> {
    let started = Instant::now();
    let mut timings = Timings::new();
    // A process that builds again (`serve`) and a build that keeps a cache for the next
    // one gain from the load cache: an unchanged file is not read again. (`check` would
    // only stat every file for it.)
    cache.load_started = Some(std::time::SystemTime::now());
    let site = if cache.retain { Site::load_cached(config, &cache.files)? } else { Site::load(config)? };
    timings.mark("load");
    let translations = Translations::load(config)?;
    let theme = Theme::reload(&config.root, cache.theme.as_ref())?;
    if cache.retain {
        cache.theme = Some(Arc::clone(&theme));
    }
    timings.mark("theme");
    let report = l10n::analyze(&site);
    let mut diagnostics = site.diagnostics.clone();
    diagnostics.extend(l10n_diagnostics(&site, &report));
    diagnostics.extend(date_diagnostics(&site));
    timings.mark("l10n status");
    let (source_changes, history_diagnostics) =
        l10n::source_changes(config, &site, &report, &options.locales, &mut cache.changes);
    diagnostics.extend(history_diagnostics);
    timings.mark("l10n history");

    let mut planned = render::plan(&site);
    planned.retain(|output| options.includes(output.locale));
    // Hidden switch to measure what highlighting costs (README, Development).
    let highlighter = if std::env::var_os("POLYDOC_NO_HIGHLIGHT").is_some() {
        Arc::new(Highlighter::plain())
    } else {
        Arc::clone(cache.highlighter.get_or_insert_with(|| Arc::new(Highlighter::new())))
    };
    let inputs = InputFingerprints::of(config, &site, &translations, &theme, &highlighter);
    let indexer = (options.search && output.is_some()).then(Indexer::new);
    timings.mark("plan");
    #[cfg_attr(not(feature = "search"), allow(unused_variables))]
    let MarkdownOutcome { bodies: rendered, fresh: bodies_rendered, anchors_changed, slowest, replaced } =
        render_markdown(
            &MarkdownInputs {
                config,
                site: &site,
                translations: &translations,
                highlighter: &highlighter,
                indexer: indexer.as_ref(),
            },
            &inputs,
            cache,
            &planned,
            &progress(options, "markdown", planned.len()),
        )?;
    let mut external_links = crate::check::toc_external_links(config, &site);
    for (output, body) in planned.iter().zip(&rendered) {
        if let (Source::Own(_), Some((_, body))) = (output.source, body) {
            diagnostics.extend(body.diagnostics.iter().cloned());
            external_links.extend(body.external_links.iter().cloned());
        }
    }
    let bodies: Vec<Option<&RenderedPage>> = rendered.iter().map(|r| r.as_ref().map(|(_, body)| &**body)).collect();
    let code_blocks = highlighter.take_counts();
    if !cache.builds_again() {
        // A one-off build highlights nothing more: the memory goes to the templates.
        highlighter.forget_lines();
    }
    timings.mark("markdown");

    // The search indexes need only the records: planned now, they are assembled beside
    // everything that follows (titles, navigation, anchors, site files, templates), whose
    // serial parts leave a core idle. A build that fails later discards them with the
    // rest of its output.
    #[cfg(feature = "search")]
    let search_plan = match (&indexer, output) {
        (Some(indexer), Some(output)) if !diagnostics.iter().any(Diagnostic::is_error) => {
            let plan = plan_search_index(indexer, config, cache, output, &planned, &replaced)?;
            timings.mark("search plan");
            Some((plan, output))
        }
        _ => None,
    };
    #[cfg(feature = "search")]
    let assembled = std::sync::Mutex::new(None);
    // The scope ends once the index is written too.
    let summary = rayon::scope(|scope| {
        #[cfg(feature = "search")]
        if let Some((mut plan, output)) = search_plan {
            let (assembled, planned) = (&assembled, &planned);
            scope.spawn(move |_| {
                let started = Instant::now();
                let outcome = assemble_search_indexes(&mut plan, output, planned).map(|()| (plan, started.elapsed()));
                *assembled.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome);
            });
        }
        #[cfg(not(feature = "search"))]
        let _ = scope;

        // Which pages there are, in which order, follows from the set of files (`inputs.site`)
        // and the locales built.
        let pages_key = blake3::hash(format!("{}{:?}", inputs.site, options.locales).as_bytes());
        let (summaries, summaries_changed) = summaries(config, &planned, &rendered, pages_key, cache);
        let children = match &cache.children {
            Some((key, children)) if *key == pages_key => Arc::clone(children),
            _ => {
                let made = Arc::new(children(&planned));
                if cache.retain {
                    cache.children = Some((pages_key, Arc::clone(&made)));
                }
                made
            }
        };
        timings.mark("titles");
        let navigation = navigation_fingerprints(&site, &inputs, &planned, &summaries, summaries_changed, cache);
        let mut toc_links = Vec::new();
        let mut navs: BTreeMap<Locale, Arc<LocaleNav>> = BTreeMap::new();
        for content in &site.locales {
            let locale = &content.locale;
            let fingerprint = navigation[locale];
            let built = match cache.navs.get(locale).filter(|built| built.fingerprint == fingerprint) {
                Some(built) => built.clone(),
                None => {
                    let titles = |key: &str| summaries.get(&PageRef(locale, key)).map(|s| s.title.clone());
                    let (mut nav_diagnostics, mut nav_links) = (Vec::new(), Vec::new());
                    let nav = LocaleNav::build(config, &site, locale, &titles, &mut nav_diagnostics, &mut nav_links);
                    let built = cache::BuiltNav {
                        fingerprint,
                        nav: Arc::new(nav),
                        diagnostics: nav_diagnostics,
                        toc_links: nav_links,
                    };
                    if cache.retain {
                        cache.navs.insert(locale.clone(), built.clone());
                    }
                    built
                }
            };
            diagnostics.extend(built.diagnostics);
            toc_links.extend(built.toc_links);
            navs.insert(locale.clone(), built.nav);
        }
        timings.mark("navigation");
        // A page's anchor checks hold while its body, the set of pages (`pages_key`) and
        // every page's anchors are the same.
        let previous_checks = cache.anchor_checks.take().filter(|checks| checks.key == pages_key && !anchors_changed);
        let checks = anchor_checks(&planned, &rendered, &bodies, previous_checks);
        diagnostics.extend(checks.iter().flatten().flat_map(|(_, found)| found.iter().cloned()));
        diagnostics.extend(toc_anchor_diagnostics(&planned, &bodies, &toc_links));
        if cache.retain {
            cache.anchor_checks = Some(cache::AnchorChecks { key: pages_key, pages: checks });
        }
        timings.mark("anchors");

        diagnostic::apply_mode(&mut diagnostics, Mode::Build);
        diagnostic::sort(&mut diagnostics);
        diagnostics.dedup();
        let mut summary = BuildSummary {
            pages: page_counts(&planned),
            external_links,
            bodies_rendered,
            code_blocks,
            slowest,
            ..BuildSummary::default()
        };
        let has_errors = diagnostics.iter().any(Diagnostic::is_error);
        summary.diagnostics = diagnostics;
        if let (Some(output), false) = (output, has_errors) {
            let sidebars = render::slots::SidebarMemo::default();
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
                sidebars: &sidebars,
            };
            write_site_files_cached(&context, options, &inputs, &navigation, cache, output, &planned)?;
            timings.mark("site files");
            summary.rendered =
                write_pages(&context, options, &inputs, &navigation, cache, output, &planned, &rendered)?;
            timings.mark("templates");
            summary.written = true;
        }
        summary.timings = timings.phases;
        anyhow::Ok(summary)
    });
    let mut summary = summary?;
    // An index made for a build that failed goes with the rest of its output.
    #[cfg(feature = "search")]
    if let (true, Some(outcome)) =
        (summary.written, assembled.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
    {
        let (plan, took) = outcome?;
        summary.timings.push(("search index, beside the phases after markdown", took));
        summary.search_index = finish_search_index(cache, plan);
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Wall time per phase of a build, for `--timings`.
struct Timings {
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl Timings {
    fn new() -> Timings {
        Timings { last: Instant::now(), phases: Vec::new() }
    }

    /// Ends the phase `name` (which began where the previous one ended).
    fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }
}

/// Fingerprints of the inputs every page shares: polydoc's version and whether code is
/// highlighted, the config, the set of files links can resolve to (so adding or removing a
/// file re-renders every body), include texts, and per locale the UI strings; for
/// templates, the theme.
struct InputFingerprints {
    site: Fingerprint,
    theme: Fingerprint,
    strings: HashMap<String, Fingerprint>,
}

impl InputFingerprints {
    fn of(
        config: &Config,
        site: &Site,
        translations: &Translations,
        theme: &Theme,
        highlighter: &Highlighter,
    ) -> InputFingerprints {
        let mut hasher = blake3::Hasher::new();
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        // Bodies rendered with code left plain (`POLYDOC_NO_HIGHLIGHT`) are not the others.
        hasher.update(if highlighter.is_plain() { b"plain code" } else { b"highlighted" });
        hasher.update(format!("{config:?}").as_bytes());
        for content in &site.locales {
            hasher.update(content.locale.as_str().as_bytes());
            for page in content.pages.values() {
                hasher.update(page.rel_path.as_bytes());
                hasher.update(b"\0");
            }
            for asset in content.assets.values() {
                hasher.update(asset.rel_path.as_bytes());
                hasher.update(b"\0");
            }
            for diagram in content.diagrams.values() {
                hasher.update(diagram.rel_path.as_bytes());
                hasher.update(b"\0");
            }
            for include in content.includes.values() {
                hasher.update(include.rel_path.as_bytes());
                hasher.update(include.text.as_bytes());
                hasher.update(b"\0");
            }
        }
        let strings = site
            .locales
            .iter()
            .map(|content| {
                let serialized = serde_json::to_vec(translations.get(&content.locale).as_map()).unwrap_or_default();
                (content.locale.to_string(), blake3::hash(&serialized))
            })
            .collect();
        InputFingerprints { site: hasher.finalize(), theme: theme.fingerprint, strings }
    }

    /// `text_hash` is the page's `Page::text_hash`.
    fn body(&self, output: &OutputPage<'_>, page: &Page, text_hash: blake3::Hash) -> Fingerprint {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.site.as_bytes());
        hasher.update(self.strings[output.locale.as_str()].as_bytes());
        hasher.update(output.locale.as_str().as_bytes());
        hasher.update(page.source_path.as_bytes());
        hasher.update(text_hash.as_bytes());
        hasher.finalize()
    }
}

/// What rendering page bodies needs from the build.
struct MarkdownInputs<'a> {
    config: &'a Config,
    site: &'a Site,
    translations: &'a Translations,
    highlighter: &'a Highlighter,
    /// Makes each page's search record while its HTML is at hand, when the build writes
    /// a search index.
    indexer: Option<&'a Indexer>,
}

/// What cuts pages into search records: the `search` feature's tokenizer.
#[cfg(feature = "search")]
use crate::search::tokenize::Tokenizer as Indexer;

/// Without the `search` feature, nothing is indexed.
#[cfg(not(feature = "search"))]
#[derive(Default)]
struct Indexer;

#[cfg(not(feature = "search"))]
impl Indexer {
    fn new() -> Indexer {
        Indexer
    }
}

/// The search record of `page` (`None` when it is not indexed).
fn search_record(
    indexer: &Indexer,
    config: &Config,
    page: &OutputPage<'_>,
    body: &RenderedPage,
) -> Option<Arc<cache::PageRecord>> {
    #[cfg(feature = "search")]
    return crate::search::record(indexer, config, page, body).map(Arc::new);
    #[cfg(not(feature = "search"))]
    {
        let _ = (indexer, config, page, body);
        None
    }
}

/// Each output page's body (none for generated listings) with its fingerprint, rendered
/// in parallel or taken from the cache when its inputs are unchanged.
fn render_markdown(
    inputs: &MarkdownInputs<'_>,
    fingerprints: &InputFingerprints,
    cache: &mut BuildCache,
    planned: &[OutputPage<'_>],
    bar: &Option<ProgressBar>,
) -> Result<MarkdownOutcome> {
    if cache.begin_store().is_err() {
        // Without a store (a read-only site folder) the bodies stay in memory.
        cache.store_dir = None;
    }
    // Each page's body from the cache while its inputs are unchanged; the others are
    // rendered below.
    let mut rendered: Vec<Option<BodyOutcome>> = Vec::with_capacity(planned.len());
    let mut to_render: Vec<(usize, Fingerprint)> = Vec::new();
    let looked_up: Vec<Option<Result<BodyOutcome, Fingerprint>>> = planned
        .par_iter()
        .map(|output| {
            let page = output.page()?;
            let fingerprint = fingerprints.body(output, page, page.text_hash());
            let unchanged = |body: &&CachedBody| {
                body.fingerprint == fingerprint
                    && body.read_files.iter().all(|(file, stamp)| file_stamp(file) == *stamp)
            };
            Some(match cache.bodies.get(&PageRef(output.locale, &output.key)).filter(unchanged) {
                Some(body) => Ok(BodyOutcome::Cached(body.output, Arc::clone(&body.body))),
                None => Err(fingerprint),
            })
        })
        .collect();
    for (i, body) in looked_up.into_iter().enumerate() {
        match body {
            Some(Err(fingerprint)) => {
                to_render.push((i, fingerprint));
                rendered.push(None);
            }
            body => rendered.push(body.and_then(Result::ok)),
        }
    }
    cache.want_highlights(to_render.len(), planned.iter().filter(|output| output.page().is_some()).count());
    let cache_ref = &*cache;
    let (records_held, records_limit) =
        (std::sync::atomic::AtomicUsize::new(0), cache::records_held_limit(cache.builds_again()));
    let render_one = |output: &OutputPage<'_>, fingerprint: Fingerprint| {
        let page = output.page().expect("a page with a body");
        let started = Instant::now();
        let read_files = std::cell::RefCell::new(Vec::new());
        let context = MarkdownContext {
            config: inputs.config,
            site: inputs.site,
            locale: output.locale,
            highlighter: inputs.highlighter,
            strings: inputs.translations.get(output.locale),
            read_files: &read_files,
        };
        let body = markdown::render(page, &context);
        let read_files = read_files.into_inner().into_iter().map(|file| (file_stamp(&file), file)).map(|(s, f)| (f, s));
        let search = match inputs.indexer {
            Some(indexer) => cache_ref.record_made(
                search_record(indexer, inputs.config, output, &body),
                &records_held,
                records_limit,
            ),
            None => SearchRecord::Unmade,
        };
        let mut body = CachedBody::new(fingerprint, body, read_files.collect(), search);
        // With a body store (`build`), the HTML goes there and leaves memory until its
        // template runs: on a large site, bodies would be most of the memory.
        if let Some(Ok(Some(blob))) = body.html.as_deref().map(|html| cache_ref.put(html)) {
            body.blob = Some(blob);
            body.html = None;
        }
        BodyOutcome::Fresh(body, started.elapsed())
    };
    // Source pages first, then translations and fallbacks: translations repeat their
    // source's code blocks, which the highlighter's cache then already holds. Rendered
    // together, both halves of the work would highlight the same blocks at the same time.
    let (sources, others): (Vec<_>, Vec<_>) =
        to_render.into_iter().partition(|&(i, _)| *planned[i].locale == inputs.config.default_locale);
    for pages in [sources, others] {
        let bodies: Vec<BodyOutcome> = pages
            .par_iter()
            .map(|&(i, fingerprint)| {
                let body = render_one(&planned[i], fingerprint);
                advance(bar);
                body
            })
            .collect();
        for ((i, _), body) in pages.into_iter().zip(bodies) {
            rendered[i] = Some(body);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    cache.end_store().context("the build cache's body store")?;
    let mut timed: Vec<(String, Duration)> = Vec::new();
    // Templates and the search index take the bodies from the cache (compressed, or in
    // the body store), whether or not the cache outlives this build. Only new bodies go
    // in; what no planned page uses any more goes out.
    let mut gone = cache.bodies.len() - rendered.iter().filter(|r| matches!(r, Some(BodyOutcome::Cached(..)))).count();
    let mut anchors_changed = false;
    let mut replaced = PageMap::default();
    let bodies = planned
        .iter()
        .zip(rendered)
        .map(|(output, outcome)| match outcome? {
            BodyOutcome::Cached(fingerprint, body) => Some((fingerprint, body)),
            BodyOutcome::Fresh(body, took) => {
                timed.push((output.dir(), took));
                let made = (body.output, Arc::clone(&body.body));
                match cache.bodies.insert((output.locale.clone(), output.key.clone()), body) {
                    Some(previous) => {
                        gone -= 1;
                        anchors_changed |= previous.body.anchors != made.1.anchors;
                        replaced.insert((output.locale.clone(), output.key.clone()), previous.search);
                    }
                    None => anchors_changed = true,
                }
                Some(made)
            }
        })
        .collect();
    if gone > 0 {
        forget_unplanned(&mut cache.bodies, planned);
    }
    let fresh = timed.len();
    cache.dirty |= fresh > 0 || gone > 0;
    timed.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    timed.truncate(10);
    Ok(MarkdownOutcome { bodies, fresh, anchors_changed: anchors_changed || gone > 0, slowest: timed, replaced })
}

/// A page body taken from the cache (by its output fingerprint), or rendered now.
enum BodyOutcome {
    Cached(Fingerprint, Arc<RenderedPage>),
    Fresh(CachedBody, Duration),
}

/// The bodies of a build (none for generated listings), how many were rendered rather
/// than taken from the cache, and the slowest of those.
struct MarkdownOutcome {
    bodies: Vec<Option<(Fingerprint, Arc<RenderedPage>)>>,
    fresh: usize,
    /// Whether a body rendered now has other anchors than the one it replaces (or none).
    anchors_changed: bool,
    slowest: Vec<(String, Duration)>,
    /// The search records of the cached bodies that bodies rendered now replaced: what a
    /// patch of the search index takes out of it.
    replaced: PageMap<SearchRecord>,
}

/// A progress bar for a phase over `len` items; `None` unless asked for and worth it.
fn progress(options: &BuildOptions, phase: &'static str, len: usize) -> Option<ProgressBar> {
    if !options.progress || len < 500 {
        // Not even a hidden bar: counting into one reads the clock at every step.
        return None;
    }
    let bar = ProgressBar::new(len as u64).with_message(phase);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len}").expect("valid template").progress_chars("=> "),
    );
    Some(bar)
}

fn advance(bar: &Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.inc(1);
    }
}

/// Every output page's title and description, and whether any differs from the last
/// build's. A page's summary follows from its body (its text, through the body's inputs)
/// and, for listings, from its key and the config: while the set of pages is the same
/// (`key`), only pages with a new body are summarized again.
fn summaries(
    config: &Config,
    planned: &[OutputPage<'_>],
    rendered: &[Option<(Fingerprint, Arc<RenderedPage>)>],
    key: Fingerprint,
    cache: &mut BuildCache,
) -> (Arc<PageMap<Summary>>, bool) {
    let summary = |i: usize| {
        let (output, body) = (&planned[i], rendered[i].as_ref().map(|(_, body)| &**body));
        let title = render::page_title(output, body, config);
        let description = output.page().map(|page| page.facts().description.clone()).unwrap_or_default();
        Summary { title, description }
    };
    let bodies = || rendered.iter().map(|r| r.as_ref().map(|(_, body)| Arc::clone(body))).collect();
    let memo = cache.summaries.take().filter(|memo| memo.key == key && memo.bodies.len() == planned.len());
    let Some(mut memo) = memo else {
        let made: PageMap<Summary> = (0..planned.len())
            .into_par_iter()
            .map(|i| ((planned[i].locale.clone(), planned[i].key.clone()), summary(i)))
            .collect();
        let made = Arc::new(made);
        if cache.retain {
            cache.summaries = Some(cache::SummaryMemo { key, bodies: bodies(), summaries: Arc::clone(&made) });
        }
        return (made, true);
    };
    let same_body = |i: usize| match (&memo.bodies[i], &rendered[i]) {
        (Some(before), Some((_, now))) => Arc::ptr_eq(before, now),
        (None, None) => true,
        _ => false,
    };
    let renewed: Vec<(usize, Summary)> =
        (0..planned.len()).into_par_iter().filter(|&i| !same_body(i)).map(|i| (i, summary(i))).collect();
    let mut changed = false;
    if !renewed.is_empty() {
        let summaries = Arc::make_mut(&mut memo.summaries);
        for (i, summary) in renewed {
            let page = &planned[i];
            match summaries.get_mut(&PageRef(page.locale, &page.key)) {
                Some(before) if *before == summary => {}
                Some(before) => {
                    *before = summary;
                    changed = true;
                }
                None => {
                    summaries.insert((page.locale.clone(), page.key.clone()), summary);
                    changed = true;
                }
            }
            memo.bodies[i] = rendered[i].as_ref().map(|(_, body)| Arc::clone(body));
        }
    }
    let summaries = Arc::clone(&memo.summaries);
    cache.summaries = Some(memo);
    (summaries, changed)
}

/// Folder key → the output pages directly inside it (subfolders by their folder page).
fn children(planned: &[OutputPage<'_>]) -> PageMap<Vec<String>> {
    let mut children: PageMap<Vec<String>> = PageMap::default();
    for output in planned {
        let dir = url_path(&output.key);
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
    let pages: Vec<&Arc<Page>> = site.locales.iter().flat_map(|content| content.pages.values()).collect();
    pages
        .par_iter()
        .filter_map(|page| {
            let raw = page.facts().bad_date.as_ref()?;
            let message = format!("`ms.date: {raw}` is not a date in M/D/YYYY form; it is shown as written");
            Some(Diagnostic::warning("bad-date", &page.source_path, message).with_help("write it like `10/21/2019`"))
        })
        .collect()
}

/// The anchor problem of one link between pages, checked against the anchors of the
/// page actually served in the link's locale (the translation, or the fallback).
struct AnchorIndex<'a> {
    planned: &'a [OutputPage<'a>],
    rendered: &'a [Option<&'a RenderedPage>],
    index: HashMap<(&'a Locale, &'a str), usize>,
}

impl<'a> AnchorIndex<'a> {
    fn new(planned: &'a [OutputPage<'a>], rendered: &'a [Option<&'a RenderedPage>]) -> AnchorIndex<'a> {
        let index = planned.iter().enumerate().map(|(i, p)| ((p.locale, p.key.as_str()), i)).collect();
        AnchorIndex { planned, rendered, index }
    }

    fn check(&self, locale: &Locale, path: &str, link: &PageLink) -> Option<Diagnostic> {
        let target = *self.index.get(&(locale, link.key.as_str()))?;
        let anchors = self.rendered[target].map(|r| &r.anchors);
        if anchors.is_some_and(|a| a.contains(&link.fragment)) {
            return None;
        }
        let target_path = self.planned[target].page().map_or_else(|| link.key.clone(), |p| p.source_path.clone());
        let near = anchors.and_then(|a| a.iter().find(|id| id.eq_ignore_ascii_case(&link.fragment)));
        Some(
            match near {
                Some(actual) => Diagnostic::warning(
                    "case-mismatch",
                    path,
                    format!("`#{}` matches the anchor `#{actual}` in {target_path} only ignoring case", link.fragment),
                )
                .with_help(format!("write `#{actual}`")),
                None => {
                    let mut diagnostic = Diagnostic::warning(
                        "broken-anchor",
                        path,
                        format!("`#{}` is not an anchor in {target_path}", link.fragment),
                    );
                    diagnostic.help = anchors.and_then(|a| crate::check::suggest::anchor_help(&link.fragment, a));
                    diagnostic
                }
            }
            .at(link.line, link.column),
        )
    }
}

/// Checks the `#fragment`s of every page's links to other pages. A page whose body is the
/// one `previous` checked keeps its problems from then: the caller passes `previous` only
/// when no page's anchors and no page's place in `planned` changed.
fn anchor_checks(
    planned: &[OutputPage<'_>],
    rendered: &[Option<(Fingerprint, Arc<RenderedPage>)>],
    bodies: &[Option<&RenderedPage>],
    previous: Option<cache::AnchorChecks>,
) -> Vec<Option<(Arc<RenderedPage>, Vec<Diagnostic>)>> {
    let previous = previous.map(|checks| checks.pages).unwrap_or_default();
    let kept = |i: usize| -> Option<&(Arc<RenderedPage>, Vec<Diagnostic>)> {
        let (_, body) = rendered[i].as_ref()?;
        previous.get(i)?.as_ref().filter(|(checked, _)| Arc::ptr_eq(checked, body))
    };
    // The index of every page's anchors costs more than the checks of an edit's few pages:
    // made only when a page has to be checked.
    let needed = (0..planned.len()).any(|i| matches!(planned[i].source, Source::Own(_)) && kept(i).is_none());
    let index = needed.then(|| AnchorIndex::new(planned, bodies));
    (0..planned.len())
        .into_par_iter()
        .map(|i| {
            let (Source::Own(page), Some((_, body))) = (planned[i].source, &rendered[i]) else { return None };
            if let Some(kept) = kept(i) {
                return Some(kept.clone());
            }
            let index = index.as_ref()?;
            let found = body
                .page_links
                .iter()
                .filter_map(|link| index.check(planned[i].locale, &page.source_path, link))
                .collect();
            Some((Arc::clone(body), found))
        })
        .collect()
}

/// Checks the `#fragment`s of the TOCs' links to pages.
fn toc_anchor_diagnostics(
    planned: &[OutputPage<'_>],
    rendered: &[Option<&RenderedPage>],
    toc_links: &[(String, PageLink)],
) -> Vec<Diagnostic> {
    if toc_links.is_empty() {
        return Vec::new();
    }
    let index = AnchorIndex::new(planned, rendered);
    let mut diagnostics = Vec::new();
    for (origin, link) in toc_links {
        let locale_name = origin.trim_start_matches("content/").split('/').next().unwrap_or("");
        if let Some(locale) = planned.iter().map(|p| p.locale).find(|l| l.as_str() == locale_name) {
            diagnostics.extend(index.check(locale, origin, link));
        }
    }
    diagnostics
}

/// Renders every output page's template — unless every input it shows, navigation
/// included, is unchanged since the cached rendering — and writes it. Returns the pages
/// whose templates ran.
#[allow(clippy::too_many_arguments)] // The build's shared inputs, each needed here.
fn write_pages(
    context: &RenderContext<'_>,
    options: &BuildOptions,
    fingerprints: &InputFingerprints,
    navigation: &HashMap<Locale, Fingerprint>,
    cache: &mut BuildCache,
    output: &dyn Output,
    planned: &[OutputPage<'_>],
    rendered: &[Option<(Fingerprint, Arc<RenderedPage>)>],
) -> Result<Vec<String>> {
    let bar = progress(options, "pages", planned.len());
    let cached = &cache.pages;
    let cache_ref = &*cache;
    let (retain, keep_html) = (cache.retain, cache.keep_html);
    let outcomes: Vec<PageOutcome> = planned
        .par_iter()
        .zip(rendered)
        .inspect(|_| advance(&bar))
        .map(|(page, body)| {
            let path = page.index_path();
            let body_fingerprint = body.as_ref().map(|(f, _)| f);
            let cheap = cheap_fingerprint(fingerprints, navigation[page.locale], context, page, body_fingerprint);
            let previous = cached.get(&PageRef(page.locale, &page.key));
            if let Some(previous) = previous.filter(|p| p.cheap == cheap)
                && previous.write_to(output, &path)?
            {
                return Ok(PageOutcome::Unchanged);
            }
            // A body from the build cache has its HTML read only now that it is needed.
            let full_body = match (body, cache_ref.bodies.get(&PageRef(page.locale, &page.key))) {
                (Some(_), Some(cached)) => Some(cache_ref.full_body(cached)?),
                (Some(_), None) => anyhow::bail!("the body of {} is not in the build cache", page.dir()),
                (None, _) => None,
            };
            let page_context = context
                .page_context(page, full_body.as_deref())
                .with_context(|| format!("rendering {}", page.dir()))?;
            if !retain {
                let html = context.render_page(&page_context).with_context(|| format!("rendering {}", page.dir()))?;
                output.write_owned(&path, html.into_bytes())?;
                return Ok(PageOutcome::Rendered(None));
            }
            let exact = exact_fingerprint(fingerprints, &page_context, body_fingerprint);
            if let Some(previous) = previous.filter(|p| p.exact == exact)
                && previous.write_to(output, &path)?
            {
                return Ok(PageOutcome::Same(CachedPage { cheap, exact, ..previous.clone() }));
            }
            let html = context.render_page(&page_context).with_context(|| format!("rendering {}", page.dir()))?;
            let len = html.len() as u64;
            let html = if keep_html {
                let html = Bytes::from(html.into_bytes());
                output.write(&path, Arc::clone(&html))?;
                Some(html)
            } else {
                // Only its length is kept (the file is the copy): no shared copy to make.
                output.write_owned(&path, html.into_bytes())?;
                None
            };
            Ok(PageOutcome::Rendered(Some(CachedPage { cheap, exact, html, len })))
        })
        .collect::<Result<_>>()?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let rendered_dirs = planned
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| matches!(outcome, PageOutcome::Rendered(_)))
        .map(|(p, _)| p.dir())
        .collect();
    if !cache.retain {
        return Ok(rendered_dirs);
    }
    // Only what changed goes into the cache; what no planned page uses any more goes out.
    let mut gone = cache.pages.len() - outcomes.iter().filter(|o| matches!(o, PageOutcome::Unchanged)).count();
    for (page, outcome) in planned.iter().zip(outcomes) {
        let (PageOutcome::Same(entry) | PageOutcome::Rendered(Some(entry))) = outcome else { continue };
        cache.dirty = true;
        if cache.pages.insert((page.locale.clone(), page.key.clone()), entry).is_some() {
            gone -= 1;
        }
    }
    if gone > 0 {
        forget_unplanned(&mut cache.pages, planned);
        cache.dirty = true;
    }
    Ok(rendered_dirs)
}

/// Drops the entries of pages this build does not produce (removed or renamed).
fn forget_unplanned<V>(map: &mut PageMap<V>, planned: &[OutputPage<'_>]) {
    let keys: std::collections::HashSet<(&Locale, &str)> =
        planned.iter().map(|page| (page.locale, page.key.as_str())).collect();
    map.retain(|(locale, key), _| keys.contains(&(locale, key.as_str())));
}

/// What became of one page's template: its cached HTML still holds as is, holds under a
/// new cheap fingerprint, or the template ran (the HTML is cached only by `retain`ing
/// builds).
enum PageOutcome {
    Unchanged,
    Same(CachedPage),
    Rendered(Option<CachedPage>),
}

/// Per locale, a fingerprint of everything its navigation is made from, and so of all it
/// shows: the set of files and the config (`inputs.site`), the TOC in force, and every
/// page's title and description. The last build's fingerprints stand while the first two
/// are the same and no summary changed (`summaries_changed`).
fn navigation_fingerprints(
    site: &Site,
    inputs: &InputFingerprints,
    planned: &[OutputPage<'_>],
    summaries: &PageMap<Summary>,
    summaries_changed: bool,
    cache: &mut BuildCache,
) -> HashMap<Locale, Fingerprint> {
    let structures: HashMap<Locale, Fingerprint> = site
        .locales
        .iter()
        .map(|content| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(inputs.site.as_bytes());
            hasher.update(format!("{:?}", content.toc.as_ref().or(site.source().toc.as_ref())).as_bytes());
            (content.locale.clone(), hasher.finalize())
        })
        .collect();
    if let Some((before, fingerprints)) = &cache.navigation
        && !summaries_changed
        && *before == structures
    {
        return fingerprints.clone();
    }
    let mut hashers: HashMap<&Locale, blake3::Hasher> = structures
        .iter()
        .map(|(locale, structure)| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(structure.as_bytes());
            (locale, hasher)
        })
        .collect();
    let streams = locale_streams(planned, |at, stream| {
        let page = &planned[at];
        let Some(summary) = summaries.get(&PageRef(page.locale, &page.key)) else { return };
        for part in [page.key.as_str(), &summary.title, &summary.description] {
            stream.extend_from_slice(part.as_bytes());
            stream.push(0);
        }
    });
    for (locale, stream) in &streams {
        if let Some(hasher) = hashers.get_mut(locale) {
            hasher.update(stream);
        }
    }
    let fingerprints: HashMap<Locale, Fingerprint> =
        hashers.into_iter().map(|(locale, hasher)| (locale.clone(), hasher.finalize())).collect();
    if cache.retain {
        cache.navigation = Some((structures, fingerprints.clone()));
    }
    fingerprints
}

/// Per locale of `planned`, what `write` puts out for each of its pages (by index into
/// `planned`), in `planned`'s order (which is fixed, so nothing needs sorting): the bytes
/// a fingerprint over every page of a locale is hashed from. Runs of pages are written out
/// in parallel. Every locale with a planned page has a stream, if only an empty one.
fn locale_streams<'a>(
    planned: &[OutputPage<'a>],
    write: impl Fn(usize, &mut Vec<u8>) + Sync,
) -> Vec<(&'a Locale, Vec<u8>)> {
    const RUN: usize = 512;
    let runs: Vec<Vec<(&Locale, Vec<u8>)>> = planned
        .par_chunks(RUN)
        .enumerate()
        .map(|(run_index, run)| {
            let mut streams: Vec<(&Locale, Vec<u8>)> = Vec::new();
            for (offset, page) in run.iter().enumerate() {
                if streams.last().is_none_or(|(locale, _)| *locale != page.locale) {
                    streams.push((page.locale, Vec::new()));
                }
                write(run_index * RUN + offset, &mut streams.last_mut().expect("a stream for the locale").1);
            }
            streams
        })
        .collect();
    let mut streams: Vec<(&Locale, Vec<u8>)> = Vec::new();
    for (locale, run) in runs.into_iter().flatten() {
        match streams.iter_mut().find(|(known, _)| *known == locale) {
            Some((_, stream)) => stream.extend_from_slice(&run),
            None => streams.push((locale, run)),
        }
    }
    streams
}

/// Covers what a page shows through shared inputs plus its own body and status.
fn cheap_fingerprint(
    fingerprints: &InputFingerprints,
    navigation: Fingerprint,
    context: &RenderContext<'_>,
    page: &OutputPage<'_>,
    body: Option<&Fingerprint>,
) -> Fingerprint {
    let mut hasher = blake3::Hasher::new();
    hasher.update(fingerprints.site.as_bytes());
    hasher.update(fingerprints.theme.as_bytes());
    hasher.update(fingerprints.strings[page.locale.as_str()].as_bytes());
    hasher.update(navigation.as_bytes());
    hasher.update(page.locale.as_str().as_bytes());
    hasher.update(page.key.as_bytes());
    hasher.update(page.source.kind().as_bytes());
    if let Some(body) = body {
        hasher.update(body.as_bytes());
    }
    use std::io::Write as _;
    let (status, machine_translated, handoff) = context.status_of(page);
    hasher.update(status.as_bytes());
    hasher.update(&[u8::from(machine_translated), u8::from(handoff.is_some())]);
    if let Some(date) = handoff {
        hasher.update(&date.year().to_le_bytes());
        hasher.update(&[date.month() as u8, date.day() as u8]);
    }
    // The stale banner lists what changed in the source since the translation.
    if let Some(changes) = context.source_changes.get(&PageRef(page.locale, &page.key)) {
        let _ = write!(HashWriter(&mut hasher), "{changes:?}");
    }
    hasher.finalize()
}

/// The fingerprint of everything a page's template shows: the body (by its own
/// fingerprint), the page's context apart from the body, the locale's UI strings and the
/// theme.
fn exact_fingerprint(
    fingerprints: &InputFingerprints,
    context: &render::context::PageContext<'_>,
    body: Option<&Fingerprint>,
) -> Fingerprint {
    let mut hasher = blake3::Hasher::new();
    hasher.update(fingerprints.site.as_bytes());
    hasher.update(fingerprints.theme.as_bytes());
    hasher.update(fingerprints.strings[context.locale].as_bytes());
    if let Some(body) = body {
        hasher.update(body.as_bytes());
    }
    // The body is covered by its fingerprint; everything else is serialized.
    let shown = (&context.page.title, &context.page.description, &context.page.status, &context.page.children);
    let rest = (&context.canonical, &context.alternates, &context.languages, &context.nav, &context.redirect_url);
    let page_meta = (
        &context.page.date,
        &context.page.handoff_date,
        context.page.machine_translated,
        &context.page.kind,
        &context.page.changed_sections,
    );
    let _ = serde_json::to_writer(HashWriter(&mut hasher), &(shown, rest, page_meta, &context.root));
    if let Some(sidebar) = &context.slots.sidebar {
        hasher.update(sidebar.html.as_bytes());
        hasher.update(format!("{:?}", sidebar.current_at).as_bytes());
    }
    hasher.finalize()
}

/// Lets serde (and `Hash`) write straight into a hasher.
struct HashWriter<'a>(&'a mut blake3::Hasher);

impl std::hash::Hasher for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Unused: the blake3 hasher gives the fingerprint.
    fn finish(&self) -> u64 {
        0
    }
}

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the site-wide files, replaying the previous build's when every input they are
/// made from (the set of files, the config, navigation and titles, UI strings, theme, the
/// pages' translation statuses) is unchanged. Asset files are copied by path, so their bytes need no fingerprint.
#[allow(clippy::too_many_arguments)] // The build's shared inputs, each needed here.
fn write_site_files_cached(
    context: &RenderContext<'_>,
    options: &BuildOptions,
    inputs: &InputFingerprints,
    navigation: &HashMap<Locale, Fingerprint>,
    cache: &mut BuildCache,
    output: &dyn Output,
    planned: &[OutputPage<'_>],
) -> Result<()> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(inputs.site.as_bytes());
    hasher.update(inputs.theme.as_bytes());
    let mut locales: Vec<(&Locale, &Fingerprint)> = navigation.iter().collect();
    locales.sort_by_key(|(locale, _)| *locale);
    for (locale, fingerprint) in locales {
        hasher.update(locale.as_str().as_bytes());
        hasher.update(fingerprint.as_bytes());
        hasher.update(inputs.strings[locale.as_str()].as_bytes());
    }
    hasher.update(format!("{:?}", options.locales).as_bytes());
    // The translation dashboard shows every page's status, which a source edit that
    // changes no title still changes.
    std::hash::Hash::hash(&context.report.locales, &mut HashWriter(&mut hasher));
    let fingerprint = hasher.finalize();
    if let Some((cached, files)) = &cache.site_files
        && *cached == fingerprint
        && replay(output, files)?
    {
        return Ok(());
    }
    let recorder = Recorder { output, files: std::sync::Mutex::new(Vec::new()) };
    write_site_files(context, options, &recorder, planned)?;
    cache.dirty = true;
    let mut files = recorder.files.into_inner().expect("recorder lock");
    if !cache.builds_again() {
        // In the output folder now (the sitemap, the navigation JSON and the dashboard
        // run to tens of megabytes on a large site): the next build needs their lengths.
        files = cache::settled(files);
    }
    cache.site_files = Some((fingerprint, files));
    Ok(())
}

/// What is left of writing the search indexes once `plan_search_index` has kept or
/// patched what it could: the locales whose index is assembled anew
/// (`assemble_search_indexes`, beside the phases after the Markdown), and what the cache
/// then learns (`finish_search_index`).
#[cfg(feature = "search")]
struct SearchIndexPlan {
    outcomes: BTreeMap<Locale, (IndexOutcome, usize)>,
    /// Every locale's index with what it was made from.
    fingerprints: Vec<(Locale, Fingerprint)>,
    /// The indexes kept or patched: their files and pages.
    written: Vec<(Locale, RecordedFiles, IndexPages)>,
    assemble: Vec<IndexAssembly>,
    /// Whether the index files land in an output folder (not `serve`'s memory).
    on_disk: bool,
}

/// A locale whose index is assembled anew from its records.
#[cfg(feature = "search")]
struct IndexAssembly {
    locale: Locale,
    fingerprint: Fingerprint,
    pages: IndexPages,
    /// Per planned page, where its record is (`None` for pages of other locales and pages
    /// not indexed).
    sources: Vec<Option<crate::search::RecordSource>>,
}

/// Plans every locale's search index from the pages' records — made while their bodies
/// were rendered, or now from a cached body that has none: an index whose records are
/// those the cached one was made from keeps its files, one few of whose pages changed is
/// patched now, the others are left to `assemble_search_indexes`.
#[cfg(feature = "search")]
fn plan_search_index(
    indexer: &Indexer,
    config: &Config,
    cache: &mut BuildCache,
    output: &dyn Output,
    planned: &[OutputPage<'_>],
    replaced: &PageMap<SearchRecord>,
) -> Result<SearchIndexPlan> {
    let mut outcomes = BTreeMap::new();
    let cache_ref = &*cache;
    // Each page's record (or where the body store has it) with the fingerprint of the body
    // it was made from; made now for a body cached without one (by a build without
    // search), which the cache then keeps.
    let looked_up: Vec<(Option<SearchRecord>, Option<Fingerprint>, bool)> = planned
        .par_iter()
        .map(|page| {
            let Some(cached) = cache_ref.bodies.get(&PageRef(page.locale, &page.key)) else {
                return Ok((None, None, false));
            };
            let (search, made) = match &cached.search {
                SearchRecord::Unmade => {
                    let body = cache_ref.full_body(cached)?;
                    (SearchRecord::Made(search_record(indexer, config, page, &body)), true)
                }
                known => (known.clone(), false),
            };
            let indexed = !matches!(search, SearchRecord::Made(None));
            Ok((Some(search), indexed.then_some(cached.fingerprint), made))
        })
        .collect::<Result<_>>()?;
    for (page, (search, _, made)) in planned.iter().zip(&looked_up) {
        if let (true, Some(search)) = (*made, search)
            && let Some(cached) = cache.bodies.get_mut(&PageRef(page.locale, &page.key))
        {
            cached.search = search.clone();
            cache.dirty = true;
        }
    }
    // Per locale, what its records were made from, hashed in one go.
    let mut streams = locale_streams(planned, |at, stream| {
        if let (page, (_, Some(fingerprint), _)) = (&planned[at], &looked_up[at]) {
            stream.extend_from_slice(page.key.as_bytes());
            stream.extend_from_slice(fingerprint.as_bytes());
        }
    });
    streams.sort_by_key(|(locale, _)| *locale);
    // Each locale's index is made again only when one of its records changed.
    let fingerprints: Vec<(&Locale, Fingerprint)> =
        streams.into_iter().map(|(locale, stream)| (locale, blake3::hash(&stream))).collect();
    let on_disk = !cache.builds_again();
    let mut written: Vec<(Locale, RecordedFiles, IndexPages)> = Vec::new();
    let mut assemble = Vec::new();
    for &(locale, fingerprint) in &fingerprints {
        if let Some((cached, files)) = cache.search_files.get(locale)
            && *cached == fingerprint
            && replay(output, files)?
        {
            outcomes.insert(locale.clone(), (IndexOutcome::Kept, 0));
            continue;
        }
        // The index's pages in id order (planned order), with their records' fingerprints.
        let indexed: Vec<(usize, Fingerprint)> = (0..planned.len())
            .filter(|&at| planned[at].locale == locale)
            .filter_map(|at| Some((at, looked_up[at].1?)))
            .collect();
        let pages: Vec<(String, Fingerprint)> =
            indexed.iter().map(|&(at, fingerprint)| (planned[at].key.clone(), fingerprint)).collect();
        let cache_ref = &*cache;
        let record_of = |at: usize| match &looked_up[at].0 {
            Some(search) => cache_ref.search_record(search),
            None => Ok(None),
        };
        if let Some((files, new)) =
            patch_search_index(locale, &pages, &indexed, &record_of, replaced, cache_ref, output)?
        {
            outcomes.insert(locale.clone(), (IndexOutcome::Patched, new));
            written.push((locale.clone(), (fingerprint, files), pages));
            continue;
        }
        // The locale's records, those in the body store read when the index gets to them.
        let sources = (0..planned.len())
            .map(|at| match &looked_up[at].0 {
                Some(search) if planned[at].locale == locale => cache_ref.record_source(search),
                _ => Ok(None),
            })
            .collect::<Result<_>>()?;
        assemble.push(IndexAssembly { locale: locale.clone(), fingerprint, pages, sources });
    }
    let fingerprints = fingerprints.into_iter().map(|(locale, fingerprint)| (locale.clone(), fingerprint)).collect();
    Ok(SearchIndexPlan { outcomes, fingerprints, written, assemble, on_disk })
}

/// Assembles the indexes `plan` left to do and writes them. One locale after the other:
/// assembling an index is parallel inside, and two at once would hold both in memory. It
/// reads only the records and writes only the index's folder, so it runs beside the
/// phases after the Markdown (`run`), taking the time their serial parts leave a core idle.
#[cfg(feature = "search")]
fn assemble_search_indexes(plan: &mut SearchIndexPlan, output: &dyn Output, planned: &[OutputPage<'_>]) -> Result<()> {
    for IndexAssembly { locale, fingerprint, pages, sources } in std::mem::take(&mut plan.assemble) {
        let recorder = Recorder { output, files: std::sync::Mutex::new(Vec::new()) };
        crate::search::write_index(&locale, planned, sources, &recorder)?;
        let mut files = recorder.files.into_inner().expect("recorder lock");
        if plan.on_disk {
            // Written into the output folder: what the next build needs to know of
            // them is their length, and the index's bytes leave memory.
            files = cache::settled(files);
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        // (`serve` makes the files when first asked for: none is written yet.)
        let count = if plan.on_disk { files.len() } else { 0 };
        plan.outcomes.insert(locale.clone(), (IndexOutcome::Assembled, count));
        plan.written.push((locale, (fingerprint, files), pages));
    }
    Ok(())
}

/// Tells the cache which files each locale's index now has, and gives what became of
/// each index.
#[cfg(feature = "search")]
fn finish_search_index(cache: &mut BuildCache, plan: SearchIndexPlan) -> BTreeMap<Locale, (IndexOutcome, usize)> {
    let SearchIndexPlan { outcomes, fingerprints, written, .. } = plan;
    cache.search_files.retain(|locale, _| fingerprints.iter().any(|(l, _)| l == locale));
    cache.search_pages.retain(|locale, _| fingerprints.iter().any(|(l, _)| l == locale));
    for (locale, files, pages) in written {
        cache.search_files.insert(locale.clone(), files);
        cache.search_pages.insert(locale, pages);
        cache.dirty = true;
    }
    outcomes
}

/// How many of an index's pages may change for a patch to be worth it: past that,
/// assembling the index anew reads fewer files.
#[cfg(feature = "search")]
const PATCH_AT_MOST: f64 = 0.05;

/// Patches `locale`'s index in the previous output with the pages whose records changed
/// since it was made (`search::index::patch`), writing the files that changed and keeping
/// the others; the index's files then and how many were written, or `None` when it cannot be patched (the pages are
/// not the same ones, too many changed, a record or a previous file is missing, `serve`'s
/// in-memory output), and nothing was written.
#[cfg(feature = "search")]
fn patch_search_index(
    locale: &Locale,
    pages: &[(String, Fingerprint)],
    indexed: &[(usize, Fingerprint)],
    record_of: &(dyn Fn(usize) -> Result<Option<Arc<cache::PageRecord>>> + Sync),
    replaced: &PageMap<SearchRecord>,
    cache: &BuildCache,
    output: &dyn Output,
) -> Result<Option<(Vec<RecordedFile>, usize)>> {
    use crate::search::index::{Change, patch};
    let (Some(before), Some((_, files))) = (cache.search_pages.get(locale), cache.search_files.get(locale)) else {
        return Ok(None);
    };
    if before.len() != pages.len() || before.iter().zip(pages).any(|(a, b)| a.0 != b.0) {
        return Ok(None);
    }
    let mut changes = Vec::new();
    for (id, ((key, then), &(at, now))) in before.iter().zip(indexed).enumerate() {
        if *then == now {
            continue;
        }
        if changes.len() as f64 >= PATCH_AT_MOST * pages.len() as f64 {
            return Ok(None);
        }
        let Some(Some(then)) =
            replaced.get(&PageRef(locale, key)).map(|search| cache.search_record(search)).transpose()?
        else {
            return Ok(None);
        };
        let Some(now) = record_of(at)? else { return Ok(None) };
        changes.push(Change { id: id as u32, url: url_path(key), before: then, after: now });
    }
    let folder = format!("{locale}/{}/", crate::search::FOLDER);
    let lengths: HashMap<&str, u64> = files
        .iter()
        .filter_map(|(path, file)| match file {
            Written::Previous(len) => Some((path.strip_prefix(&folder)?, *len)),
            _ => None,
        })
        .collect();
    let previous = |name: &str| {
        let len = *lengths.get(name)?;
        output.previous(&format!("{folder}{name}")).filter(|bytes| bytes.len() as u64 == len)
    };
    let Some(patched) = patch(&previous, pages.len() as u32, &changes) else { return Ok(None) };
    let new: HashMap<&str, u64> =
        patched.written.iter().map(|(name, bytes)| (name.as_str(), bytes.len() as u64)).collect();
    let mut recorded = Vec::with_capacity(patched.files.len());
    for name in &patched.files {
        let path = format!("{folder}{name}");
        if let Some(&len) = new.get(name.as_str()) {
            recorded.push((path, Written::Previous(len)));
            continue;
        }
        let Some(&len) = lengths.get(name.as_str()) else { return Ok(None) };
        if !output.reuse(&path, len)? {
            return Ok(None);
        }
        recorded.push((path, Written::Previous(len)));
    }
    let count = patched.written.len();
    for (name, bytes) in patched.written {
        output.write_owned(&format!("{folder}{name}"), bytes)?;
    }
    Ok(Some((recorded, count)))
}

/// Writes the recorded files again; false when one of them is not at hand any more (the
/// previous output lost it), and they must be made anew.
fn replay(output: &dyn Output, files: &[(String, Written)]) -> Result<bool> {
    for (path, file) in files {
        match file {
            Written::Bytes(bytes) => output.write(path, Arc::clone(bytes))?,
            Written::Copy(from) => output.copy(path, from)?,
            Written::Deferred(deferred) => output.write_deferred(path, Arc::clone(deferred))?,
            Written::Previous(len) => {
                if !output.reuse(path, *len)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

/// The files beside the pages: assets, diagrams, navigation JSON, 404s, the theme's
/// files, `static/`, the locale chooser, sitemap and robots.txt.
fn write_site_files(
    context: &RenderContext<'_>,
    options: &BuildOptions,
    output: &dyn Output,
    planned: &[OutputPage<'_>],
) -> Result<()> {
    let config = context.config;
    let site = context.site;
    let text = |s: String| Bytes::from(s.into_bytes());
    for content in site.locales.iter().filter(|content| options.includes(&content.locale)) {
        let locale = &content.locale;
        for (lower, asset) in &content.assets {
            output.copy(&format!("{locale}/{lower}"), &asset.file)?;
        }
        write_diagrams(context, output, locale)?;
        output.write(&format!("{locale}/toc.json"), text(context.toc_json(locale)))?;
        output.write(&format!("{locale}/404.html"), text(context.not_found_html(locale)?))?;
    }
    for (name, bytes) in &context.theme.files {
        output.write(name, Bytes::from(bytes.as_slice()))?;
    }
    copy_static(config, output)?;
    output.write("index.html", text(context.chooser_html()?))?;
    output.write("404.html", text(context.not_found_html(&config.default_locale)?))?;
    output.write("sitemap.xml", text(context.sitemap(planned)))?;
    output.write("robots.txt", text(context.robots_txt()))?;
    write_l10n_dashboard(context, options, output)
}

/// The translation dashboard at `/_l10n/`, for the built translation locales, unless
/// site.toml says `[l10n] dashboard = false`.
fn write_l10n_dashboard(context: &RenderContext<'_>, options: &BuildOptions, output: &dyn Output) -> Result<()> {
    let config = context.config;
    let built: Vec<Locale> =
        config.locales.iter().map(|l| l.locale.clone()).filter(|locale| options.includes(locale)).collect();
    let translations: Vec<Locale> = built.iter().filter(|l| **l != config.default_locale).cloned().collect();
    if !config.l10n.dashboard || translations.is_empty() {
        return Ok(());
    }
    let statuses = l10n::report::locale_statuses(context.site, context.report, &translations);
    let dashboard = l10n::report::dashboard(config, &statuses, "../", &built);
    let html = context.theme.render("l10n.html", &dashboard)?;
    output.write("_l10n/index.html", Bytes::from(html.into_bytes()))
}

/// Renders each diagram template once for the locale, with the locale's UI strings,
/// unless the locale ships its own file at that path.
fn write_diagrams(context: &RenderContext<'_>, output: &dyn Output, locale: &Locale) -> Result<()> {
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
        output.write(&format!("{locale}/{lower}"), Bytes::from(svg.into_bytes()))?;
    }
    Ok(())
}

/// Copies the site's `static/` folder to the output root as is (the theme's stylesheet and
/// script, which the theme fingerprints, excepted).
fn copy_static(config: &Config, output: &dyn Output) -> Result<()> {
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
        output.copy(&rel, entry.path())?;
    }
    Ok(())
}
