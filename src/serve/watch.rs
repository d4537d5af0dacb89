//! The rebuilding side of `serve`: a `Builder` owns the `BuildCache` and turns the site on
//! disk into a `Snapshot`; a watcher thread waits for file events (debounced, so an
//! editor's save-by-rename burst is one change), rebuilds, and publishes the result to the
//! HTTP side — a new snapshot and a reload event, or the errors for the overlay while the
//! last good snapshot stays served.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::livereload::Event;
use super::{MemoryOutput, ServerState, Snapshot};
use crate::config::Config;
use crate::pipeline::{self, BuildCache, BuildOptions};

/// Rebuilds the site through one `BuildCache`.
pub(super) struct Builder {
    root: PathBuf,
    cache: BuildCache,
    /// The diagnostics last printed, so a rebuild repeats them only when they change.
    printed: Vec<String>,
    /// The files changed since the last build that read the pages (`None`: unknown). A
    /// rebuild that stops before (a broken `site.toml`) leaves them for the next one.
    unread: Option<Vec<PathBuf>>,
}

/// What a rebuild produced.
pub(super) enum Outcome {
    Built {
        snapshot: Snapshot,
        rendered: Vec<String>,
        elapsed: Duration,
    },
    /// The content (or config) has errors: rendered diagnostics for the overlay.
    Failed {
        errors: Vec<String>,
    },
}

impl Builder {
    pub(super) fn new(root: &Path) -> Result<Builder> {
        // An unusable site at start-up is a usage error, as for `build`.
        Config::load(root)?;
        Ok(Builder { root: root.to_path_buf(), cache: BuildCache::for_rebuilds(), printed: Vec::new(), unread: None })
    }

    /// Builds the site again. `changed`: the files that changed since the last build,
    /// relative to the site root, as the watcher saw them (`None`: unknown, look at every
    /// file).
    pub(super) fn rebuild(&mut self, changed: Option<&[PathBuf]>) -> Outcome {
        self.unread = match (self.unread.take(), changed) {
            (Some(mut unread), Some(changed)) => {
                unread.extend_from_slice(changed);
                Some(unread)
            }
            _ => None,
        };
        self.cache.expect_changes(&self.root, self.unread.as_deref());
        let config = match Config::load(&self.root) {
            Ok(config) => config,
            Err(error) => return Outcome::Failed { errors: vec![format!("error: {error:#}")] },
        };
        let output = MemoryOutput::default();
        let options = BuildOptions { out_dir: None, locales: Vec::new(), progress: false, search: true };
        let summary = match pipeline::run(&config, &options, &mut self.cache, Some(&output)) {
            Ok(summary) => summary,
            Err(error) => return Outcome::Failed { errors: vec![format!("error: {error:#}")] },
        };
        // The pages were read (those with content errors too): nothing is left unread.
        self.unread = Some(Vec::new());
        let rendered: Vec<String> = summary.diagnostics.iter().map(|d| d.render(&config.root)).collect();
        if rendered != self.printed {
            eprint!("{}", rendered.concat());
            self.printed = rendered.clone();
        }
        if !summary.written {
            let errors =
                summary.diagnostics.iter().zip(rendered).filter(|(d, _)| d.is_error()).map(|(_, r)| r).collect();
            return Outcome::Failed { errors };
        }
        let snapshot = Snapshot {
            files: output.files.into_inner().expect("output lock"),
            deferred: output.deferred.into_inner().expect("output lock"),
            locales: config.locales.iter().map(|l| l.locale.clone()).collect(),
            default_locale: Some(config.default_locale.clone()),
        };
        if std::env::var_os("POLYDOC_TIMINGS").is_some() {
            let phases: Vec<String> =
                summary.timings.iter().map(|(name, d)| format!("{name} {} ms", d.as_millis())).collect();
            eprintln!("timings: {}", phases.join(", "));
        }
        Outcome::Built { snapshot, rendered: summary.rendered, elapsed: summary.elapsed }
    }
}

/// Hands a rebuild's outcome to the HTTP side and tells the browsers.
pub(super) fn publish(state: &ServerState, outcome: Outcome) {
    match outcome {
        Outcome::Built { snapshot, rendered, elapsed } => {
            let snapshot = Arc::new(snapshot);
            let previous =
                std::mem::replace(&mut *state.snapshot.write().expect("snapshot lock"), Arc::clone(&snapshot));
            state.errors.write().expect("errors lock").clear();
            let changed = snapshot.changed_since(&previous);
            if previous.files.is_empty() {
                eprintln!("built {} files in {} ms", snapshot.files.len(), elapsed.as_millis());
            } else {
                eprintln!(
                    "rebuilt in {} ms: {} pages re-rendered, {} files changed",
                    elapsed.as_millis(),
                    rendered.len(),
                    changed.len()
                );
                for page in &rendered {
                    eprintln!("  re-rendered {page}");
                }
            }
            let _ = state.events.send(Event::Reload { paths: changed });
        }
        Outcome::Failed { errors } => {
            eprintln!("build failed: {} errors; serving the last good pages", errors.len());
            *state.errors.write().expect("errors lock") = errors.clone();
            let _ = state.events.send(Event::Errors { errors });
        }
    }
}

/// Watches the site folder and rebuilds on every change until the returned watcher is
/// dropped.
pub(super) fn spawn(
    mut builder: Builder,
    state: Arc<ServerState>,
) -> Result<Debouncer<notify::RecommendedWatcher, RecommendedCache>> {
    let (sender, receiver) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer =
        new_debouncer(Duration::from_millis(40), None, sender).context("cannot watch the site folder")?;
    // Events name paths under the folder as watched: the canonical root, so that they
    // can be told apart from paths outside it.
    let root = std::fs::canonicalize(&builder.root).unwrap_or_else(|_| builder.root.clone());
    debouncer.watch(&root, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", root.display()))?;
    std::thread::Builder::new().name("polydoc-rebuild".into()).spawn(move || {
        // Files saved between the first build and the start of watching were seen by
        // neither: the first rebuild looks at every file.
        let mut watched_since_last_build = false;
        while let Ok(batch) = receiver.recv() {
            let mut changed = changed_inputs(&root, &batch);
            // Events that arrived while the last rebuild ran are one more change.
            while let Ok(more) = receiver.try_recv() {
                changed = match (changed, changed_inputs(&root, &more)) {
                    (Some(mut paths), Some(more)) => {
                        paths.extend(more);
                        Some(paths)
                    }
                    _ => None,
                };
            }
            if changed.as_ref().is_none_or(|paths| !paths.is_empty()) {
                let changed = changed.filter(|_| watched_since_last_build);
                let outcome = builder.rebuild(changed.as_deref());
                watched_since_last_build = true;
                publish(&state, outcome);
            }
        }
    })?;
    Ok(debouncer)
}

/// The site's input files a batch of events touches (content, templates, static files, UI
/// strings, the config — not version-control folders, build output or editor swap files),
/// relative to the site root; `None` when the watcher lost track and every file must be
/// looked at.
fn changed_inputs(root: &Path, batch: &DebounceEventResult) -> Option<Vec<PathBuf>> {
    let Ok(events) = batch else { return None };
    if events.iter().any(|event| event.need_rescan()) {
        return None;
    }
    // Reading files is an event too on some platforms; a rebuild reads every file.
    let changes = events.iter().filter(|event| !matches!(event.kind, notify::EventKind::Access(_)));
    let mut paths = Vec::new();
    for path in changes.flat_map(|event| event.paths.iter()) {
        // The watcher was given the canonical root; a path outside it is unaccounted for.
        let Ok(rel) = path.strip_prefix(root) else { return None };
        let mut components = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
        let Some(first) = components.next() else { continue };
        let ignored_folder = matches!(first.as_str(), "public" | "target") || first.starts_with('.');
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let editor_file = name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx") || name == "4913";
        let hidden = components.any(|c| c.starts_with('.'));
        if !(ignored_folder || editor_file || hidden) {
            paths.push(rel.to_path_buf());
        }
    }
    Some(paths)
}
