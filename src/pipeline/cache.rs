//! What a build keeps for the next one: each output page's body and HTML with the
//! fingerprint of every input they were made from, the highlighter with its cache, the
//! load cache and the site-wide files. `serve` keeps one in memory across rebuilds.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::content::{FileStamp, LoadCache, Locale};
use crate::markdown::{Highlighter, RenderedPage};
use crate::output::{Bytes, Output};

use anyhow::{Context as _, Result};

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
    /// Whether pages keep their HTML in memory (`serve`), or leave it in the output folder
    /// they were written to, from where the next build hard-links what did not change.
    pub(super) keep_html: bool,
}

impl BuildCache {
    /// A cache for a process that builds the same site again and again (`serve`).
    pub fn for_rebuilds() -> BuildCache {
        BuildCache { retain: true, keep_html: true, ..BuildCache::default() }
    }
}

/// One file as handed to an `Output`.
#[derive(Clone)]
pub(super) enum Written {
    Bytes(Bytes),
    Copy(PathBuf),
    /// The same file in the previous output (`Output::reuse`), of this many bytes.
    Previous(u64),
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
    /// The HTML, or `None` when it is only in the previous output folder.
    pub(super) html: Option<Bytes>,
    pub(super) len: u64,
}

impl CachedPage {
    /// Writes the cached HTML at `path`; false when it is not at hand (the previous output
    /// lacks the file, or it changed size), so the page must be rendered.
    pub(super) fn write_to(&self, output: &dyn Output, path: &str) -> Result<bool> {
        match &self.html {
            Some(html) => output.write(path, Arc::clone(html)).map(|()| true),
            None => output.reuse(path, self.len),
        }
    }
}

/// Where `build` keeps its cache, under the site root (beside the external-link cache).
const CACHE_DIR: &str = ".polydoc-cache/build";
const CACHE_FILE: &str = "state.bin";
/// First line of the file; the second is polydoc's version. Either differing means the
/// file is ignored, so a new polydoc never reuses what an older one made.
const MAGIC: &str = "polydoc build cache 1";

/// The cache as stored: bodies with their metadata, pages by fingerprint (their HTML is
/// in `output`), the site-wide files, and the highlighted code blocks this build used.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<B> {
    /// The output folder the pages were written to.
    output: PathBuf,
    bodies: Vec<StoredBody<B>>,
    pages: Vec<StoredPage>,
    site_files: Option<StoredSiteFiles>,
    highlights: Vec<(crate::markdown::highlight::BlockKey, String)>,
}

/// The fingerprint of the site-wide files' inputs, and each file by output path.
type StoredSiteFiles = ([u8; 32], Vec<(String, StoredFile)>);

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredBody<B> {
    locale: String,
    key: String,
    fingerprint: [u8; 32],
    read_files: Vec<(PathBuf, Option<FileStamp>)>,
    body: B,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPage {
    locale: String,
    key: String,
    cheap: [u8; 32],
    exact: [u8; 32],
    len: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum StoredFile {
    Copy(PathBuf),
    Previous(u64),
}

impl BuildCache {
    /// The cache `build` left in `site_root` for the output folder `output`, or an empty
    /// one when there is none, it is unreadable, or an other polydoc version wrote it.
    pub fn load(site_root: &Path, output: &Path) -> BuildCache {
        let mut cache = BuildCache { retain: true, ..BuildCache::default() };
        let Ok(bytes) = std::fs::read(site_root.join(CACHE_DIR).join(CACHE_FILE)) else { return cache };
        let Some(stored) = decode(&bytes) else { return cache };
        let highlighter = Highlighter::new();
        highlighter.preload(stored.highlights);
        cache.highlighter = Some(Arc::new(highlighter));
        for body in stored.bodies {
            let Some(locale) = Locale::parse(&body.locale) else { continue };
            let cached = CachedBody {
                fingerprint: blake3::Hash::from_bytes(body.fingerprint),
                body: Arc::new(body.body),
                read_files: body.read_files,
            };
            cache.bodies.insert((locale, body.key), cached);
        }
        // Pages point into the output folder: only the one they were written to.
        if stored.output == output {
            for page in stored.pages {
                let Some(locale) = Locale::parse(&page.locale) else { continue };
                let cached = CachedPage {
                    cheap: blake3::Hash::from_bytes(page.cheap),
                    exact: blake3::Hash::from_bytes(page.exact),
                    html: None,
                    len: page.len,
                };
                cache.pages.insert((locale, page.key), cached);
            }
            cache.site_files = stored.site_files.map(|(fingerprint, files)| {
                let files = files
                    .into_iter()
                    .map(|(path, file)| {
                        let file = match file {
                            StoredFile::Copy(from) => Written::Copy(from),
                            StoredFile::Previous(len) => Written::Previous(len),
                        };
                        (path, file)
                    })
                    .collect();
                (blake3::Hash::from_bytes(fingerprint), files)
            });
        }
        cache
    }

    /// Stores the cache in `site_root` after a build wrote its pages to `output`; written
    /// to a temporary file and renamed, so a crash leaves the old cache or none.
    pub fn save(&self, site_root: &Path, output: &Path) -> Result<()> {
        let mut bodies: Vec<StoredBody<&RenderedPage>> = self
            .bodies
            .iter()
            .map(|((locale, key), cached)| StoredBody {
                locale: locale.to_string(),
                key: key.clone(),
                fingerprint: *cached.fingerprint.as_bytes(),
                read_files: cached.read_files.clone(),
                body: &*cached.body,
            })
            .collect();
        bodies.sort_by(|a, b| (&a.locale, &a.key).cmp(&(&b.locale, &b.key)));
        let mut pages: Vec<StoredPage> = self
            .pages
            .iter()
            .map(|((locale, key), page)| StoredPage {
                locale: locale.to_string(),
                key: key.clone(),
                cheap: *page.cheap.as_bytes(),
                exact: *page.exact.as_bytes(),
                len: page.len,
            })
            .collect();
        pages.sort_by(|a, b| (&a.locale, &a.key).cmp(&(&b.locale, &b.key)));
        let site_files = self.site_files.as_ref().map(|(fingerprint, files)| {
            let files = files
                .iter()
                .map(|(path, file)| {
                    let file = match file {
                        Written::Bytes(bytes) => StoredFile::Previous(bytes.len() as u64),
                        Written::Copy(from) => StoredFile::Copy(from.clone()),
                        Written::Previous(len) => StoredFile::Previous(*len),
                    };
                    (path.clone(), file)
                })
                .collect();
            (*fingerprint.as_bytes(), files)
        });
        let highlights = self.highlighter.as_ref().map(|h| h.used_blocks()).unwrap_or_default();
        let stored = Stored { output: output.to_path_buf(), bodies, pages, site_files, highlights };
        let dir = site_root.join(CACHE_DIR);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let temporary = dir.join(format!("{CACHE_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            // Streamed: the encoded cache is as big as every page body together.
            let mut file = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
            file.write_all(format!("{MAGIC}\n{}\n", env!("CARGO_PKG_VERSION")).as_bytes())?;
            let mut compressor = lz4_flex::frame::FrameEncoder::new(file);
            postcard::to_io(&stored, &mut compressor).map_err(std::io::Error::other)?;
            compressor.finish().map_err(std::io::Error::other)?.flush()
        };
        write().with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, dir.join(CACHE_FILE)).with_context(|| format!("cannot write {}", dir.display()))
    }
}

/// The stored cache, if `bytes` is one this polydoc wrote.
fn decode(bytes: &[u8]) -> Option<Stored<RenderedPage>> {
    let header = format!("{MAGIC}\n{}\n", env!("CARGO_PKG_VERSION"));
    let compressed = bytes.strip_prefix(header.as_bytes())?;
    let mut encoded = Vec::new();
    lz4_flex::frame::FrameDecoder::new(compressed).read_to_end(&mut encoded).ok()?;
    postcard::from_bytes(&encoded).ok()
}
