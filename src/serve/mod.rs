//! `polydoc serve`: builds the site into memory, serves every locale over HTTP, watches the
//! site for changes and rebuilds through the same pipeline as `build` with a `BuildCache`,
//! so only pages whose inputs changed are re-rendered. Browsers reload when a page they
//! show changed; while the content has errors they show an overlay over the last good
//! pages. Requests are answered only from the in-memory output, never from the disk by the
//! request's path, so no path can reach a file outside the site.

mod http;
mod livereload;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context as _, Result};
// Keys are the site's own output paths: a fast hasher, not a DoS-resistant one.
use foldhash::HashMap;

use crate::content::Locale;
use crate::output::{Bytes, Deferred, Output};

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: std::net::IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    pub open: bool,
}

/// One file of the served site.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    Bytes(Bytes),
    /// An asset, served from its source file (copying every image into memory would only
    /// cost memory). The path comes from the content scan, never from a request.
    File(PathBuf),
}

/// Everything one successful build produced, by output path (`zh-cn/about/x/index.html`).
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(crate) files: HashMap<String, Entry>,
    /// Folders whose files are made when first asked for (the search indexes), by path
    /// with a trailing `/`.
    pub(crate) deferred: HashMap<String, Arc<Deferred>>,
    pub(crate) locales: Vec<Locale>,
    pub(crate) default_locale: Option<Locale>,
}

impl Snapshot {
    /// The file at `path` in a deferred folder, made now if it was not yet.
    pub(crate) fn deferred_file(&self, path: &str) -> Option<Entry> {
        let (dir, name) = path.rsplit_once('/')?;
        let deferred = self.deferred.get(&format!("{dir}/"))?;
        deferred.file(name).map(|bytes| Entry::Bytes(Arc::clone(bytes)))
    }

    /// The output paths whose content differs from `previous` (a deferred folder by its
    /// path, when it is not the same recipe).
    fn changed_since(&self, previous: &Snapshot) -> Vec<String> {
        let mut changed: Vec<String> = self
            .files
            .iter()
            .filter(|(path, entry)| match (entry, previous.files.get(*path)) {
                (Entry::Bytes(new), Some(Entry::Bytes(old))) => !Arc::ptr_eq(new, old) && new[..] != old[..],
                (Entry::File(new), Some(Entry::File(old))) => new != old,
                _ => true,
            })
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(previous.files.keys().filter(|path| !self.files.contains_key(*path)).cloned());
        let folder_changed = |(dir, deferred): (&String, &Arc<Deferred>)| {
            previous.deferred.get(dir).is_none_or(|old| !Arc::ptr_eq(old, deferred)).then(|| dir.clone())
        };
        changed.extend(self.deferred.iter().filter_map(folder_changed));
        changed.sort();
        changed
    }
}

/// The in-memory `Output` a rebuild fills.
#[derive(Default)]
struct MemoryOutput {
    files: Mutex<HashMap<String, Entry>>,
    deferred: Mutex<HashMap<String, Arc<Deferred>>>,
}

impl Output for MemoryOutput {
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()> {
        self.files.lock().expect("output lock").insert(rel_path.to_string(), Entry::Bytes(bytes));
        Ok(())
    }

    fn copy(&self, rel_path: &str, from: &Path) -> Result<()> {
        self.files.lock().expect("output lock").insert(rel_path.to_string(), Entry::File(from.to_path_buf()));
        Ok(())
    }

    fn write_deferred(&self, rel_dir: &str, deferred: Arc<Deferred>) -> Result<()> {
        self.deferred.lock().expect("output lock").insert(rel_dir.to_string(), deferred);
        Ok(())
    }
}

/// What the HTTP side shares with the rebuilding side.
pub(crate) struct ServerState {
    pub(crate) snapshot: RwLock<Arc<Snapshot>>,
    /// The diagnostics of the last build when it failed, rendered for the overlay.
    pub(crate) errors: RwLock<Vec<String>>,
    pub(crate) events: tokio::sync::broadcast::Sender<livereload::Event>,
    /// The canonical site root: assets must stay inside it.
    pub(crate) site_root: PathBuf,
}

/// Runs the preview server until interrupted.
pub fn serve(options: &ServeOptions) -> Result<()> {
    let mut builder = watch::Builder::new(&options.root)?;
    let first = builder.rebuild(None);
    let site_root =
        std::fs::canonicalize(&options.root).with_context(|| format!("cannot read {}", options.root.display()))?;
    let (events, _) = tokio::sync::broadcast::channel(64);
    let state = Arc::new(ServerState {
        snapshot: RwLock::new(Arc::new(Snapshot::default())),
        errors: RwLock::new(Vec::new()),
        events,
        site_root,
    });
    watch::publish(&state, first);

    // Watch before announcing the address, so no edit made after the announcement is missed.
    let watcher = watch::spawn(builder, Arc::clone(&state))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let address = SocketAddr::new(options.bind, options.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}; is another server using it? Try --port"))?;
        let local = listener.local_addr()?;
        eprintln!("serving {} on http://{local}/ (Ctrl-C to stop)", options.root.display());
        if options.open {
            let _ = opener::open(format!("http://{local}/"));
        }
        let app = http::router(Arc::clone(&state));
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        drop(watcher);
        Ok(())
    })
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
