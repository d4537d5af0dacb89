//! `polydoc check`: the whole pipeline run without writing, its diagnostics given the
//! severities SPEC §1 sets for `check` (links pointing nowhere become errors), plus, on
//! request, every `http(s)` link fetched (`external`). The internal checks are the
//! pipeline's own; this module owns the verdict, the did-you-mean lookups the producers use
//! (`suggest`), and the network.

#[cfg(feature = "external-links")]
pub mod external;
pub mod suggest;

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::config::Config;
use crate::content::{Site, TocItem};
use crate::diagnostic::{self, Diagnostic, Mode};
use crate::markdown::ExternalLink;
use crate::pipeline::{self, BuildOptions};

/// What `check` looks at besides the content itself.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Fetch every `http(s)` link (off by default: it needs the network and takes time).
    pub external: bool,
    /// Show progress bars on a terminal.
    pub progress: bool,
}

/// What `check` found.
#[derive(Debug)]
pub struct CheckReport {
    /// Every problem, sorted by file and position, with `check` severities.
    pub diagnostics: Vec<Diagnostic>,
    /// Output pages looked at (own and fallback, every locale).
    pub pages: usize,
    /// Distinct external URLs looked at (fetched or found fresh in the cache); 0 without
    /// `--external`.
    pub external_urls: usize,
    pub elapsed: Duration,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Checks the site. `Err` means the site is unusable (SPEC §1's exit 2), or external links
/// were asked for in a binary built without them.
pub fn check(config: &Config, options: &CheckOptions) -> Result<CheckReport> {
    let started = Instant::now();
    if options.external && !cfg!(feature = "external-links") {
        anyhow::bail!("--external: this polydoc was built without the `external-links` feature");
    }
    let build_options = BuildOptions { out_dir: None, locales: Vec::new(), progress: options.progress, search: false };
    let summary = pipeline::build(config, &build_options)?;
    let mut diagnostics = summary.diagnostics;
    let mut external_urls = 0;
    if options.external {
        let (external_diagnostics, urls) = check_external(config, &summary.external_links);
        diagnostics.extend(external_diagnostics);
        external_urls = urls;
    }
    diagnostic::apply_mode(&mut diagnostics, Mode::Check);
    diagnostic::sort(&mut diagnostics);
    let pages = summary.pages.values().map(|(own, fallback)| own + fallback).sum();
    Ok(CheckReport { diagnostics, pages, external_urls, elapsed: started.elapsed() })
}

/// Fetches the external links: (problems, distinct URLs looked at).
#[cfg(feature = "external-links")]
fn check_external(config: &Config, links: &[ExternalLink]) -> (Vec<Diagnostic>, usize) {
    let outcome = external::check(links, &external::Settings::for_site(&config.root));
    (outcome.diagnostics, outcome.urls)
}

#[cfg(not(feature = "external-links"))]
fn check_external(_: &Config, _: &[ExternalLink]) -> (Vec<Diagnostic>, usize) {
    unreachable!("`check` refuses --external without the feature")
}

/// The `http(s)` entries of every locale's own TOC (site-root entries through `link_root`),
/// located in their TOC file.
pub fn toc_external_links(config: &Config, site: &Site) -> Vec<ExternalLink> {
    fn walk(items: &[TocItem], link_root: Option<&str>, out: &mut Vec<ExternalLink>) {
        for item in items {
            let url = match (item.href.as_deref(), link_root) {
                (Some(href), _) if is_http(href) => Some(href.to_string()),
                (Some(href), Some(root)) if href.starts_with('/') && !href.starts_with("//") => {
                    Some(format!("{root}{href}"))
                }
                _ => None,
            };
            if let Some(url) = url {
                out.push(ExternalLink { url, path: item.origin.clone(), line: item.line, column: 1 });
            }
            walk(&item.children, link_root, out);
        }
    }
    let mut links = Vec::new();
    for content in &site.locales {
        if let Some(toc) = &content.toc {
            walk(toc, config.link_root.as_deref(), &mut links);
        }
    }
    links
}

fn is_http(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
