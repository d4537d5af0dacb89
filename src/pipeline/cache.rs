//! What a build keeps for the next one: each output page's body and HTML with the
//! fingerprint of every input they were made from, the highlighter with its cache, the
//! load cache and the site-wide files. `serve` keeps one in memory across rebuilds.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::content::{FileStamp, LoadCache, Locale};
use crate::markdown::{Highlighter, RenderedPage};
use crate::output::{Bytes, Output};

use anyhow::Result;

/// What a process keeps between builds of one site (`serve` rebuilds with it): each
/// output page's body and HTML with the fingerprint of every input they were made from,
/// and the highlighter with its cache. A build reuses an entry only when the fingerprint
/// of the current inputs is identical, so reuse can never serve stale output.
#[derive(Default)]
pub struct BuildCache {
    pub(super) bodies: HashMap<(Locale, String), CachedBody>,
    pub(super) pages: HashMap<(Locale, String), CachedPage>,
    pub(super) highlighter: Option<Arc<Highlighter>>,
    pub(super) files: LoadCache,
    /// The site-wide files (sitemap, navigation JSON, 404s, …) and the fingerprint of the
    /// inputs they were made from.
    pub(super) site_files: Option<(Fingerprint, Vec<(String, Written)>)>,
    /// Whether bodies and pages are kept for a next build. A one-off build does not keep
    /// them: every page's HTML at once would be most of its memory.
    pub(super) retain: bool,
}

impl BuildCache {
    /// A cache for a process that builds the same site again and again (`serve`).
    pub fn for_rebuilds() -> BuildCache {
        BuildCache { retain: true, ..BuildCache::default() }
    }
}

/// One file as handed to an `Output`.
#[derive(Clone)]
pub(super) enum Written {
    Bytes(Bytes),
    Copy(PathBuf),
}

/// An `Output` that also keeps what passes through it, so it can be replayed.
pub(super) struct Recorder<'a> {
    pub(super) output: &'a dyn Output,
    pub(super) files: std::sync::Mutex<Vec<(String, Written)>>,
}

impl Output for Recorder<'_> {
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()> {
        self.files.lock().expect("recorder lock").push((rel_path.to_string(), Written::Bytes(Arc::clone(&bytes))));
        self.output.write(rel_path, bytes)
    }

    fn copy(&self, rel_path: &str, from: &std::path::Path) -> Result<()> {
        self.files.lock().expect("recorder lock").push((rel_path.to_string(), Written::Copy(from.to_path_buf())));
        self.output.copy(rel_path, from)
    }
}

pub(super) type Fingerprint = blake3::Hash;

/// A rendered page body, the fingerprint of its inputs, and the files it read while
/// rendering (code snippets) with their stamps at the time.
#[derive(Clone)]
pub(super) struct CachedBody {
    pub(super) fingerprint: Fingerprint,
    pub(super) body: Arc<RenderedPage>,
    pub(super) read_files: Vec<(PathBuf, Option<FileStamp>)>,
}

impl CachedBody {
    /// What the page's HTML depends on through this body: its inputs and the files it read.
    pub(super) fn output_fingerprint(&self) -> Fingerprint {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.fingerprint.as_bytes());
        for (file, stamp) in &self.read_files {
            hasher.update(file.as_os_str().as_encoded_bytes());
            hasher.update(format!("{stamp:?}").as_bytes());
        }
        hasher.finalize()
    }
}

/// A page's HTML with two fingerprints of what it shows: a cheap one over shared inputs
/// (the locale's whole navigation and titles, the page's body and status) that lets an
/// edit of one page skip building every other page's template context, and an exact one
/// over the context itself, used when the cheap one changed (a title edit changes every
/// page's cheap fingerprint, but only the pages showing that title change exactly).
#[derive(Clone)]
pub(super) struct CachedPage {
    pub(super) cheap: Fingerprint,
    pub(super) exact: Fingerprint,
    pub(super) html: Bytes,
}
