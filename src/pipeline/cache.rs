//! What a build keeps for the next one: each output page's body and HTML with the
//! fingerprint of every input they were made from, the highlighter with its cache, the
//! load cache and the site-wide files. `serve` keeps one in memory across rebuilds.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::HashMap;
use rayon::prelude::*;

use crate::content::page::url_path;
use crate::content::{FileStamp, LoadCache, Locale, PageMap, SavedPage};
use crate::markdown::highlight::BlockKey;
use crate::markdown::{Highlighter, RenderedPage};
use crate::output::{Bytes, Deferred, Output};
use crate::render::nav::LocaleNav;

use anyhow::{Context as _, Result};

/// What a process keeps between builds of one site (`serve` rebuilds with it): each
/// output page's body and HTML with the fingerprint of every input they were made from,
/// and the highlighter with its cache. A build reuses an entry only when the fingerprint
/// of the current inputs is identical, so reuse can never serve stale output.
#[derive(Default)]
pub struct BuildCache {
    pub(super) bodies: PageMap<CachedBody>,
    pub(super) pages: PageMap<CachedPage>,
    pub(super) highlighter: Option<Arc<Highlighter>>,
    /// The theme of the last build, reused while its files are the same (`serve` only).
    pub(super) theme: Option<Arc<crate::render::theme::Theme>>,
    pub(super) files: LoadCache,
    /// The output pages in each folder, with the fingerprint they were made from (`serve`).
    pub(super) children: Option<(Fingerprint, Arc<PageMap<Vec<String>>>)>,
    /// Each locale's navigation as last built (`serve` only).
    pub(super) navs: HashMap<Locale, BuiltNav>,
    /// Every page's title and description as of the last build (`serve` only).
    pub(super) summaries: Option<SummaryMemo>,
    /// Per locale, what the navigation fingerprints of the last build covered apart from
    /// the summaries, and the fingerprints (`serve` only).
    pub(super) navigation: Option<(HashMap<Locale, Fingerprint>, HashMap<Locale, Fingerprint>)>,
    /// The anchor checks of the last build (`serve` only).
    pub(super) anchor_checks: Option<AnchorChecks>,
    /// The stale banners' source changes of the last build.
    pub(super) changes: crate::l10n::ChangesMemo,
    /// The site-wide files (sitemap, navigation JSON, 404s, …) and the fingerprint of the
    /// inputs they were made from.
    pub(super) site_files: Option<RecordedFiles>,
    /// Per locale, the search index's files and the fingerprint of the records they were
    /// made from.
    pub(super) search_files: HashMap<Locale, RecordedFiles>,
    /// Per locale, the pages of its search index in id order, each with the fingerprint of
    /// the body its record was made from: what tells a build which pages of the index
    /// changed, so it can patch the index rather than assemble it again.
    pub(super) search_pages: HashMap<Locale, IndexPages>,
    /// Whether pages' fingerprints are kept for a next build (a one-off `run` skips
    /// computing them).
    pub(super) retain: bool,
    /// Whether pages keep their HTML in memory (`serve`), or leave it in the output folder
    /// they were written to, where the next build keeps what did not change.
    pub(super) keep_html: bool,
    /// The body store of the cache this one was loaded from.
    pub(super) store: Option<Arc<BodyStore>>,
    /// The folder of the persistent cache (`build` only).
    pub(super) store_dir: Option<PathBuf>,
    /// The body store while a build appends to it.
    pub(super) writer: Option<std::sync::Mutex<StoreWriter>>,
    /// Whether this build changed anything worth saving.
    pub(super) dirty: bool,
    /// When this build began to read the site's files (what the load cache's stamps are
    /// trusted against in the next process).
    pub(super) load_started: Option<std::time::SystemTime>,
    /// Whether the last build's highlighted blocks were read into the highlighter.
    pub(super) highlights: Highlights,
}

/// The highlighted blocks a build cache stored, as far as this build read them.
#[derive(Default)]
pub(super) enum Highlights {
    /// There are none (no stored cache, or `serve`'s, which keeps its highlighter).
    #[default]
    None,
    /// Stored, not read (yet).
    Unread,
    /// Read into the highlighter, for a build that renders again all its bodies (or half of
    /// them: what it did not use is then forgotten) or only some (the others' blocks are kept).
    Read { keep_unused: bool },
}

impl BuildCache {
    /// A cache for a process that builds the same site again and again (`serve`).
    pub fn for_rebuilds() -> BuildCache {
        BuildCache { retain: true, keep_html: true, ..BuildCache::default() }
    }

    /// Whether this cache is kept by a process that builds the same site again (`serve`):
    /// it keeps outputs in memory and gains from remembering what a build read. A one-off
    /// `build` writes to disk and keeps only what the next process will need.
    pub(super) fn builds_again(&self) -> bool {
        self.keep_html
    }

    /// Tells the next build which files changed since the last one (see
    /// `LoadCache::expect_changes`).
    pub fn expect_changes(&self, site_root: &Path, changed: Option<&[PathBuf]>) {
        self.files.expect_changes(site_root, changed);
    }
}

/// A locale's navigation, what building it reported, and the fingerprint of what it was
/// built from.
#[derive(Clone)]
pub(super) struct BuiltNav {
    pub(super) fingerprint: Fingerprint,
    pub(super) nav: Arc<LocaleNav>,
    pub(super) diagnostics: Vec<crate::diagnostic::Diagnostic>,
    pub(super) toc_links: crate::render::nav::TocLinks,
}

/// The summaries of the last build, with the body each planned page had then, in the
/// order of the planned pages, which `key` (the set of pages) fixes.
pub(super) struct SummaryMemo {
    pub(super) key: Fingerprint,
    pub(super) bodies: Vec<Option<Arc<RenderedPage>>>,
    pub(super) summaries: Arc<PageMap<crate::render::Summary>>,
}

/// Each planned page's body as checked and the problems found in its links' anchors,
/// in the order of the planned pages, which `key` (the set of pages) fixes.
pub(super) struct AnchorChecks {
    pub(super) key: Fingerprint,
    pub(super) pages: Vec<Option<(Arc<RenderedPage>, Vec<crate::diagnostic::Diagnostic>)>>,
}

/// One file as handed to an `Output`.
#[derive(Clone)]
pub(super) enum Written {
    Bytes(Bytes),
    Copy(PathBuf),
    /// The same file in the previous output (`Output::reuse`), of this many bytes.
    Previous(u64),
    /// A folder of files made when first asked for (`Output::write_deferred`).
    Deferred(Arc<Deferred>),
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

    fn write_deferred(&self, rel_dir: &str, deferred: Arc<Deferred>) -> Result<()> {
        let recorded = Written::Deferred(Arc::clone(&deferred));
        self.files.lock().expect("recorder lock").push((rel_dir.to_string(), recorded));
        self.output.write_deferred(rel_dir, deferred)
    }
}

pub(super) type Fingerprint = blake3::Hash;

/// One file written through a `Recorder`, by output path.
pub(super) type RecordedFile = (String, Written);
/// Files written through a `Recorder`, with the fingerprint of what they were made from.
pub(super) type RecordedFiles = (Fingerprint, Vec<RecordedFile>);

/// A rendered page body, the fingerprint of its inputs, and the files it read while
/// rendering (code snippets) with their stamps at the time.
#[derive(Clone)]
pub(super) struct CachedBody {
    pub(super) fingerprint: Fingerprint,
    /// What the page's HTML depends on through this body: `fingerprint` and the stamps of
    /// the files it read (see `output_fingerprint`).
    pub(super) output: Fingerprint,
    /// The body without its HTML (`BuildCache::full_body` puts it back).
    pub(super) body: Arc<RenderedPage>,
    pub(super) read_files: Vec<(PathBuf, Option<FileStamp>)>,
    /// The HTML, lz4-compressed, when it is in memory: a large site's bodies would be
    /// most of a build's memory otherwise.
    pub(super) html: Option<Arc<[u8]>>,
    /// Where the compressed HTML is in the body store, when it is there.
    pub(super) blob: Option<BlobRef>,
    /// What the page adds to its locale's search index.
    pub(super) search: SearchRecord,
}

/// A page's search record as the cache has it.
#[derive(Clone)]
pub(super) enum SearchRecord {
    /// No build with search has made it yet.
    Unmade,
    /// In memory; `None` when the page is not indexed.
    Made(Option<Arc<PageRecord>>),
    /// In the body store (postcard, lz4-compressed): read only when its locale's index is
    /// made again. Most of what a build caches is search records; in the state file,
    /// every build would read and write all of them.
    Stored(BlobRef),
}

/// A page's contribution to the search index.
#[cfg(feature = "search")]
pub(super) use crate::search::PageRecord;

/// Without the `search` feature there is no index, and no record.
#[cfg(not(feature = "search"))]
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct PageRecord;

impl CachedBody {
    /// A body just rendered: its HTML is taken out and compressed.
    pub(super) fn new(
        fingerprint: Fingerprint,
        mut body: RenderedPage,
        read_files: Vec<(PathBuf, Option<FileStamp>)>,
        search: SearchRecord,
    ) -> CachedBody {
        let html = std::mem::take(&mut body.html);
        let html = Some(lz4_flex::compress_prepend_size(html.as_bytes()).into());
        let output = output_fingerprint(&fingerprint, &read_files);
        CachedBody { fingerprint, output, body: Arc::new(body), read_files, html, blob: None, search }
    }
}

/// What a page's HTML depends on through its body: the body's inputs and the files it read.
fn output_fingerprint(fingerprint: &Fingerprint, read_files: &[(PathBuf, Option<FileStamp>)]) -> Fingerprint {
    let mut hasher = blake3::Hasher::new();
    hasher.update(fingerprint.as_bytes());
    for (file, stamp) in read_files {
        hasher.update(file.as_os_str().as_encoded_bytes());
        hasher.update(format!("{stamp:?}").as_bytes());
    }
    hasher.finalize()
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
/// Everything but the bodies' HTML: read whole by every build.
const STATE_FILE: &str = "state.bin";
/// The bodies' HTML, each compressed on its own, appended as bodies change and read only
/// for the pages whose templates run again.
const BODIES_FILE: &str = "bodies.bin";
/// The highlighted code blocks, read only by a build that renders many bodies again.
const HIGHLIGHTS_FILE: &str = "highlights.bin";
/// First line of the state file; the second is polydoc's version. Either differing means
/// the cache is ignored, so a new polydoc never reuses what an older one made.
const MAGIC: &str = "polydoc build cache 6";

/// Where one body's compressed HTML is in the body store.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct BlobRef {
    offset: u64,
    len: u32,
}

/// The body store of the cache a build started from.
pub(super) struct BodyStore {
    file: std::fs::File,
    /// Taken around a seek and a read where there is no positioned read.
    #[cfg(not(unix))]
    position: std::sync::Mutex<()>,
    /// Matches the state file's, so the two files are known to belong together.
    generation: u64,
    len: u64,
}

impl BodyStore {
    fn open(path: &Path, generation: u64) -> Option<BodyStore> {
        let mut file = std::fs::File::open(path).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let len = file.metadata().ok()?.len();
        (u64::from_le_bytes(header) == generation).then(|| BodyStore {
            file,
            #[cfg(not(unix))]
            position: std::sync::Mutex::new(()),
            generation,
            len,
        })
    }

    /// The compressed HTML at `blob`.
    fn read(&self, blob: BlobRef) -> Result<Vec<u8>> {
        let mut compressed = vec![0u8; blob.len as usize];
        // A positioned read: threads reading bodies side by side never take turns.
        #[cfg(unix)]
        std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut compressed, blob.offset)?;
        #[cfg(not(unix))]
        {
            use std::io::Seek as _;
            let _turn = self.position.lock().expect("body store lock");
            let mut file = &self.file;
            file.seek(std::io::SeekFrom::Start(blob.offset))?;
            file.read_exact(&mut compressed)?;
        }
        Ok(compressed)
    }
}

impl BuildCache {
    /// `cached`'s body with its HTML, read from the body store if it is not in memory.
    pub(super) fn full_body(&self, cached: &CachedBody) -> Result<Arc<RenderedPage>> {
        let compressed = match (&cached.html, &self.store, cached.blob) {
            (Some(html), _, _) => std::borrow::Cow::Borrowed(&**html),
            (None, Some(store), Some(blob)) => std::borrow::Cow::Owned(store.read(blob)?),
            _ => anyhow::bail!("a body of the build cache has no HTML (delete .polydoc-cache to rebuild)"),
        };
        let html = lz4_flex::decompress_size_prepended(&compressed)
            .ok()
            .and_then(|html| String::from_utf8(html).ok())
            .context("a damaged body in the build cache (delete .polydoc-cache to rebuild)")?;
        Ok(Arc::new(RenderedPage { html, ..(*cached.body).clone() }))
    }
}

/// The cache as stored: bodies with their metadata, pages by fingerprint (their HTML is
/// in `output`), the site-wide files, and the highlighted code blocks this build used.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<B, L> {
    /// The body store's generation.
    generation: u64,
    /// The output folder the pages were written to.
    output: PathBuf,
    bodies: Vec<StoredBody<B>>,
    pages: Vec<StoredPage>,
    site_files: Option<StoredSiteFiles>,
    search_files: Vec<(String, StoredSiteFiles)>,
    search_pages: Vec<(String, StoredIndexPages)>,
    /// The pages the build read, without their bodies, and when it began to read them.
    loaded: L,
    read_at: std::time::SystemTime,
}

/// A search index's pages in id order, each with its record's fingerprint.
pub(super) type IndexPages = Vec<(String, Fingerprint)>;
type StoredIndexPages = Vec<(String, [u8; 32])>;

/// The fingerprint of the site-wide files' inputs, and each file by output path.
type StoredSiteFiles = ([u8; 32], Vec<(String, StoredFile)>);

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredBody<B> {
    locale: String,
    key: String,
    fingerprint: [u8; 32],
    read_files: Vec<(PathBuf, Option<FileStamp>)>,
    blob: BlobRef,
    /// The body, its `html` empty.
    body: B,
    /// Its search record: `Some(None)` not indexed, `Some(Some(blob))` in the body store.
    search: Option<Option<BlobRef>>,
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
    /// one when there is none, it is unreadable, or another polydoc version wrote it.
    pub fn load(site_root: &Path, output: &Path) -> BuildCache {
        let dir = site_root.join(CACHE_DIR);
        let mut cache = BuildCache { retain: true, store_dir: Some(dir.clone()), ..BuildCache::default() };
        let Ok(bytes) = std::fs::read(dir.join(STATE_FILE)) else { return cache };
        let Some(stored) = decode(&bytes) else { return cache };
        let Some(store) = BodyStore::open(&dir.join(BODIES_FILE), stored.generation) else { return cache };
        // A body store cut short (a full disk, a crash) cannot serve these bodies.
        let blobs = stored.bodies.iter().flat_map(|b| [Some(b.blob), b.search.flatten()]).flatten();
        let end = blobs.map(|blob| blob.offset + u64::from(blob.len)).max().unwrap_or(0);
        if end > store.len {
            return cache;
        }
        cache.store = Some(Arc::new(store));
        cache.files = LoadCache::from_stored(stored.loaded, stored.read_at);
        cache.highlighter = Some(Arc::new(Highlighter::new()));
        cache.highlights = Highlights::Unread;
        for body in stored.bodies {
            let Some(locale) = Locale::parse(&body.locale) else { continue };
            let fingerprint = blake3::Hash::from_bytes(body.fingerprint);
            let cached = CachedBody {
                fingerprint,
                output: output_fingerprint(&fingerprint, &body.read_files),
                body: Arc::new(body.body),
                read_files: body.read_files,
                html: None,
                blob: Some(body.blob),
                search: match body.search {
                    None => SearchRecord::Unmade,
                    Some(None) => SearchRecord::Made(None),
                    Some(Some(blob)) => SearchRecord::Stored(blob),
                },
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
            cache.site_files = stored.site_files.map(recorded_files);
            cache.search_files = stored
                .search_files
                .into_iter()
                .filter_map(|(locale, files)| Some((Locale::parse(&locale)?, recorded_files(files))))
                .collect();
            cache.search_pages = stored
                .search_pages
                .into_iter()
                .filter_map(|(locale, pages)| {
                    let pages = pages.into_iter().map(|(key, hash)| (key, blake3::Hash::from_bytes(hash))).collect();
                    Some((Locale::parse(&locale)?, pages))
                })
                .collect();
        }
        cache
    }

    /// Every file the cached build put in its output folder (`None` when the cache does not
    /// describe that folder): what a build that keeps files of it must delete the rest of.
    pub fn previous_outputs(&self) -> Option<Vec<String>> {
        if self.pages.is_empty() {
            return None;
        }
        let pages = self.pages.keys().map(|(locale, key)| format!("{locale}/{}index.html", url_path(key)));
        let recorded = self.site_files.iter().chain(self.search_files.values()).flat_map(|(_, files)| files);
        let files = recorded.flat_map(|(path, file)| match file {
            Written::Deferred(deferred) => deferred_files(path, deferred).map(|(path, _)| path).collect(),
            _ => vec![path.clone()],
        });
        Some(pages.chain(files).collect())
    }

    /// Forgets the cache stored in `site_root`.
    pub fn discard(site_root: &Path) {
        let _ = std::fs::remove_file(site_root.join(CACHE_DIR).join(STATE_FILE));
    }

    /// Stores the cache in `site_root` after a build wrote its pages to `output`, unless
    /// the build changed nothing. New bodies are appended to the body store (rewritten
    /// when most of it is dead); the state file is written to a temporary file and renamed.
    pub fn save(&mut self, site_root: &Path, output: &Path) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let dir = site_root.join(CACHE_DIR);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let generation = self.store_bodies(&dir.join(BODIES_FILE))?;
        let mut bodies: Vec<StoredBody<&RenderedPage>> = self
            .bodies
            .iter()
            .filter_map(|((locale, key), cached)| {
                Some(StoredBody {
                    locale: locale.to_string(),
                    key: key.clone(),
                    fingerprint: *cached.fingerprint.as_bytes(),
                    read_files: cached.read_files.clone(),
                    blob: cached.blob?,
                    // Its HTML is in the body store: `CachedBody::new` took it out.
                    body: &*cached.body,
                    search: match cached.search {
                        SearchRecord::Unmade => None,
                        SearchRecord::Made(None) => Some(None),
                        SearchRecord::Stored(blob) => Some(Some(blob)),
                        // `store_bodies` has put every record made into the store.
                        SearchRecord::Made(Some(_)) => return None,
                    },
                })
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
        let site_files = self.site_files.as_ref().map(stored_files);
        let mut search_files: Vec<(String, StoredSiteFiles)> =
            self.search_files.iter().map(|(locale, files)| (locale.to_string(), stored_files(files))).collect();
        search_files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut search_pages: Vec<(String, StoredIndexPages)> = self
            .search_pages
            .iter()
            .map(|(locale, pages)| {
                (locale.to_string(), pages.iter().map(|(key, hash)| (key.clone(), *hash.as_bytes())).collect())
            })
            .collect();
        search_pages.sort_by(|a, b| a.0.cmp(&b.0));
        let output = output.to_path_buf();
        let loaded = self.files.to_store();
        let read_at = self.load_started.unwrap_or(std::time::UNIX_EPOCH);
        let stored =
            Stored { generation, output, bodies, pages, site_files, search_files, search_pages, loaded, read_at };
        write_frame(&dir.join(STATE_FILE), &stored)?;
        self.save_highlights(&dir)
    }

    /// Makes the highlighted blocks of the last build available to this one's highlighter,
    /// when it will render enough bodies to gain from them: reading them all costs about
    /// as much as highlighting a hundred pages again.
    pub(super) fn want_highlights(&mut self, bodies_to_render: usize, bodies: usize) {
        const WORTH_IT: usize = 100;
        if !matches!(self.highlights, Highlights::Unread) || bodies_to_render < WORTH_IT {
            return;
        }
        self.highlights = Highlights::Read { keep_unused: bodies_to_render * 2 < bodies };
        let (Some(dir), Some(highlighter)) = (&self.store_dir, &self.highlighter) else { return };
        let Ok(bytes) = std::fs::read(dir.join(HIGHLIGHTS_FILE)) else { return };
        let Some(blocks) = decode_frame::<Vec<(BlockKey, serde_bytes::ByteBuf)>>(&bytes) else { return };
        highlighter.preload(blocks.into_iter().map(|(key, html)| (key, html.into_vec())).collect());
    }

    /// Stores the blocks this build highlighted or took from the last one's, unless it
    /// never read those (few bodies rendered): the stored ones then stay as they are, for
    /// the build that renders many again (the few pages' new blocks are not kept). Blocks are keyed by their code and language, so
    /// a stored block is right whichever build stored it.
    fn save_highlights(&self, dir: &Path) -> Result<()> {
        let keep_unused = match self.highlights {
            Highlights::Unread => return Ok(()),
            Highlights::Read { keep_unused } => keep_unused,
            Highlights::None => false,
        };
        let blocks = self.highlighter.as_ref().map(|h| h.used_blocks(keep_unused)).unwrap_or_default();
        let blocks: Vec<(BlockKey, &serde_bytes::Bytes)> =
            blocks.iter().map(|(key, html)| (*key, serde_bytes::Bytes::new(html))).collect();
        write_frame(&dir.join(HIGHLIGHTS_FILE), &blocks)
    }

    /// Opens the body store for appending the bodies this build renders (`build` only:
    /// they then leave memory as soon as they are rendered).
    pub(super) fn begin_store(&mut self) -> Result<()> {
        let Some(dir) = &self.store_dir else { return Ok(()) };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(BODIES_FILE);
        let writer = match &self.store {
            Some(store) => {
                let file = std::fs::OpenOptions::new().append(true).open(&path)?;
                StoreWriter { file: std::io::BufWriter::new(file), offset: store.len, generation: store.generation }
            }
            None => {
                let generation = new_generation();
                let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                file.write_all(&generation.to_le_bytes())?;
                StoreWriter { file, offset: 8, generation }
            }
        };
        self.writer = Some(std::sync::Mutex::new(writer));
        Ok(())
    }

    /// Appends a body's compressed HTML to the store, if one is open for this build.
    pub(super) fn put(&self, compressed: &[u8]) -> Result<Option<BlobRef>> {
        let Some(writer) = &self.writer else { return Ok(None) };
        let mut writer = writer.lock().expect("body store writer lock");
        writer.file.write_all(compressed)?;
        let len = u32::try_from(compressed.len()).context("a page body over 4 GB")?;
        let blob = BlobRef { offset: writer.offset, len };
        writer.offset += u64::from(len);
        Ok(Some(blob))
    }

    /// Closes the store opened by `begin_store` and opens it for reading.
    pub(super) fn end_store(&mut self) -> Result<()> {
        let (Some(writer), Some(dir)) = (self.writer.take(), &self.store_dir) else { return Ok(()) };
        let mut writer = writer.into_inner().expect("body store writer lock");
        writer.file.flush()?;
        drop(writer.file);
        self.store = BodyStore::open(&dir.join(BODIES_FILE), writer.generation).map(Arc::new);
        anyhow::ensure!(self.store.is_some(), "cannot read back {}", dir.join(BODIES_FILE).display());
        Ok(())
    }

    /// Makes sure every body is in the store at `path` and returns the store's generation.
    /// Bodies still in memory are appended; when more than half of the store is bodies no
    /// page shows any more, the live ones are copied into a new store that replaces it.
    fn store_bodies(&mut self, path: &Path) -> Result<u64> {
        let record_blob = |body: &CachedBody| match body.search {
            SearchRecord::Stored(blob) => Some(blob),
            _ => None,
        };
        // Records made by this build go in now; what they take counts as live, like the
        // bodies rendered by this build (already appended).
        let mut made: HashMap<(Locale, String), Vec<u8>> = self
            .bodies
            .par_iter()
            .filter_map(|(key, body)| match &body.search {
                SearchRecord::Made(Some(record)) => Some(encode_record(record).map(|bytes| (key.clone(), bytes))),
                _ => None,
            })
            .collect::<Result<_>>()?;
        let live: u64 = self
            .bodies
            .values()
            .flat_map(|b| [b.blob, record_blob(b)])
            .flatten()
            .map(|b| u64::from(b.len))
            .sum::<u64>()
            + made.values().map(|bytes| bytes.len() as u64).sum::<u64>();
        let compact = self.store.as_ref().is_some_and(|store| store.len.saturating_sub(8) > live * 2);
        let (file_path, generation, mut offset) = match (&self.store, compact) {
            (Some(store), false) => (path.to_path_buf(), store.generation, store.len),
            _ => (path.with_extension("bin.tmp"), new_generation(), 8),
        };
        let mut file = if file_path == path {
            std::io::BufWriter::new(std::fs::OpenOptions::new().append(true).open(&file_path)?)
        } else {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&file_path)?);
            file.write_all(&generation.to_le_bytes())?;
            file
        };
        let rewrite = file_path != path;
        let unstored =
            |body: &CachedBody| rewrite || body.blob.is_none() || matches!(body.search, SearchRecord::Made(Some(_)));
        let mut keys: Vec<(Locale, String)> =
            self.bodies.iter().filter(|(_, body)| unstored(body)).map(|(key, _)| key.clone()).collect();
        keys.sort();
        let mut append = |bytes: &[u8]| -> Result<BlobRef> {
            file.write_all(bytes)?;
            let len = u32::try_from(bytes.len()).context("a page body over 4 GB")?;
            let blob = BlobRef { offset, len };
            offset += u64::from(len);
            Ok(blob)
        };
        for key in keys {
            let body = &self.bodies[&key];
            let html = match (&body.html, &self.store, body.blob) {
                (_, _, Some(_)) if !rewrite => None,
                (Some(html), _, _) => Some(html.to_vec()),
                (None, Some(store), Some(blob)) => Some(store.read(blob)?),
                _ => anyhow::bail!("a body with no HTML"),
            };
            let record = match (&body.search, &self.store) {
                (SearchRecord::Made(Some(_)), _) => made.remove(&key),
                (SearchRecord::Stored(blob), Some(store)) if rewrite => Some(store.read(*blob)?),
                _ => None,
            };
            let html = html.map(|html| append(&html)).transpose()?;
            let record = record.map(|record| append(&record)).transpose()?;
            if let Some(body) = self.bodies.get_mut(&key) {
                if let Some(blob) = html {
                    body.blob = Some(blob);
                }
                if let Some(blob) = record {
                    body.search = SearchRecord::Stored(blob);
                }
            }
        }
        file.flush()?;
        drop(file);
        if rewrite {
            std::fs::rename(&file_path, path)?;
        }
        Ok(generation)
    }
}

/// How much of the search records a build makes it keeps in memory (they are read back
/// from the body store when their locale's index is made). `serve` keeps those of small
/// sites all (about 5 KB a page; on a site of 100,000 pages they would take a few
/// hundred MB) and patches its index from memory. A one-off `build` keeps none: it has
/// to store them for the next build anyway, and stored as they are made (on every core)
/// they are not left for the cache save at the end, which runs on one.
/// `POLYDOC_RECORDS_HELD_BYTES` overrides it (tests set 0 to store every record).
pub(super) fn records_held_limit(builds_again: bool) -> usize {
    const RECORDS_HELD_BYTES: usize = 64 << 20;
    let default = if builds_again { RECORDS_HELD_BYTES } else { 0 };
    std::env::var("POLYDOC_RECORDS_HELD_BYTES").ok().and_then(|bytes| bytes.parse().ok()).unwrap_or(default)
}

impl BuildCache {
    /// A record just made: kept in memory while the records held so far (`held`, in bytes)
    /// stay under `limit`, else appended to the body store when one is open
    /// (and kept in memory when it cannot be: like a body, it is written again at save).
    pub(super) fn record_made(
        &self,
        record: Option<Arc<PageRecord>>,
        held: &std::sync::atomic::AtomicUsize,
        limit: usize,
    ) -> SearchRecord {
        #[cfg(feature = "search")]
        if let Some(made) = &record {
            use std::sync::atomic::Ordering;
            let size = made.heap_bytes();
            if held.fetch_add(size, Ordering::Relaxed) + size > limit {
                held.fetch_sub(size, Ordering::Relaxed);
                if let Ok(Some(blob)) = encode_record(made).and_then(|bytes| self.put(&bytes)) {
                    return SearchRecord::Stored(blob);
                }
            }
        }
        let _ = (held, limit);
        SearchRecord::Made(record)
    }
}

/// A search record as the body store holds it: postcard, not compressed. Its words
/// compress by only a third and cost more to compress than to make (13 us against 2.5 us
/// a record of the benchmark corpus).
fn encode_record(record: &PageRecord) -> Result<Vec<u8>> {
    postcard::to_stdvec(record).context("a search record")
}

#[cfg(feature = "search")]
impl BuildCache {
    /// The search record `search` names, read from the body store when it is there
    /// (`None` when the page is not indexed, or no record was made).
    pub(super) fn search_record(&self, search: &SearchRecord) -> Result<Option<Arc<PageRecord>>> {
        self.record_source(search)?.map(|record| record()).transpose()
    }

    /// Where the search record `search` names is: in memory, or in the body store, read
    /// when the index asks for it.
    pub(super) fn record_source(&self, search: &SearchRecord) -> Result<Option<crate::search::RecordSource>> {
        match (search, &self.store) {
            (SearchRecord::Made(record), _) => Ok(record.clone().map(|record| {
                let source: crate::search::RecordSource = Box::new(move || Ok(Arc::clone(&record)));
                source
            })),
            (SearchRecord::Unmade, _) => Ok(None),
            (SearchRecord::Stored(blob), Some(store)) => {
                let (store, blob) = (Arc::clone(store), *blob);
                Ok(Some(Box::new(move || {
                    let bytes = store.read(blob)?;
                    let record = postcard::from_bytes(&bytes)
                        .ok()
                        .context("a damaged search record in the build cache (delete .polydoc-cache to rebuild)")?;
                    Ok(Arc::new(record))
                })))
            }
            (SearchRecord::Stored(_), None) => {
                anyhow::bail!("a search record of the build cache is missing (delete .polydoc-cache to rebuild)")
            }
        }
    }
}

/// The body store open for appending during a build.
pub(super) struct StoreWriter {
    file: std::io::BufWriter<std::fs::File>,
    offset: u64,
    generation: u64,
}

/// The files a `Deferred` made in the folder `dir`: each one's output path and length.
fn deferred_files<'a>(dir: &'a str, deferred: &'a Deferred) -> impl Iterator<Item = (String, u64)> + 'a {
    deferred.lengths().into_iter().map(move |(name, len)| (format!("{dir}{name}"), len))
}

/// Recorded files once they are in the output folder: each file written or made by a
/// `Deferred` becomes a file of the previous output, known by its length, and its bytes
/// leave memory. (What the state file would store, taken back.)
pub(super) fn settled(files: Vec<(String, Written)>) -> Vec<(String, Written)> {
    as_stored(&files).into_iter().map(|(path, file)| (path, file.into())).collect()
}

/// Recorded output files as stored: what was written is in the output folder now.
fn stored_files((fingerprint, files): &RecordedFiles) -> StoredSiteFiles {
    (*fingerprint.as_bytes(), as_stored(files))
}

fn as_stored(files: &[(String, Written)]) -> Vec<(String, StoredFile)> {
    files
        .iter()
        .flat_map(|(path, file)| match file {
            Written::Bytes(bytes) => vec![(path.clone(), StoredFile::Previous(bytes.len() as u64))],
            Written::Copy(from) => vec![(path.clone(), StoredFile::Copy(from.clone()))],
            Written::Previous(len) => vec![(path.clone(), StoredFile::Previous(*len))],
            // A build has written them by now: they are in the output folder.
            Written::Deferred(deferred) => {
                deferred_files(path, deferred).map(|(path, len)| (path, StoredFile::Previous(len))).collect()
            }
        })
        .collect()
}

impl From<StoredFile> for Written {
    fn from(file: StoredFile) -> Written {
        match file {
            StoredFile::Copy(from) => Written::Copy(from),
            StoredFile::Previous(len) => Written::Previous(len),
        }
    }
}

fn recorded_files((fingerprint, files): StoredSiteFiles) -> RecordedFiles {
    let files = files.into_iter().map(|(path, file)| (path, file.into())).collect();
    (blake3::Hash::from_bytes(fingerprint), files)
}

/// A number that tells this body store from any earlier one.
fn new_generation() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seed = format!("{}:{}", now.as_nanos(), std::process::id());
    u64::from_le_bytes(blake3::hash(seed.as_bytes()).as_bytes()[..8].try_into().expect("8 bytes"))
}

/// The stored cache, if `bytes` is one this polydoc wrote.
fn decode(bytes: &[u8]) -> Option<Stored<RenderedPage, Vec<SavedPage>>> {
    decode_frame(bytes)
}

/// A value `write_frame` stored, if this polydoc wrote it: the header, then postcard in
/// an lz4 frame.
fn decode_frame<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let header = format!("{MAGIC}\n{}\n", env!("CARGO_PKG_VERSION"));
    let compressed = bytes.strip_prefix(header.as_bytes())?;
    let mut encoded = Vec::new();
    lz4_flex::frame::FrameDecoder::new(compressed).read_to_end(&mut encoded).ok()?;
    postcard::from_bytes(&encoded).ok()
}

/// Stores `value` at `path` (through a temporary file, renamed): polydoc's version
/// header, then postcard in an lz4 frame.
fn write_frame(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
        file.write_all(format!("{MAGIC}\n{}\n", env!("CARGO_PKG_VERSION")).as_bytes())?;
        // postcard writes field by field: a buffer in front of the encoder makes each write
        // a copy, not a call into the frame's block logic.
        let mut compressor = std::io::BufWriter::with_capacity(1 << 16, lz4_flex::frame::FrameEncoder::new(file));
        postcard::to_io(value, &mut compressor).map_err(std::io::Error::other)?;
        let compressor = compressor.into_inner().map_err(|e| e.into_error())?;
        compressor.finish().map_err(std::io::Error::other)?.flush()
    };
    write().with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(all(test, feature = "search"))]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn records_over_the_limit_go_to_the_body_store_and_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = BuildCache { store_dir: Some(dir.path().to_path_buf()), ..BuildCache::default() };
        cache.begin_store().unwrap();
        let tokenizer = crate::search::tokenize::Tokenizer::new();
        let record = Arc::new(PageRecord::new(&tokenizer, "Containers", "<p>Containers share the host kernel.</p>"));
        let held = AtomicUsize::new(0);
        let under = cache.record_made(Some(Arc::clone(&record)), &held, usize::MAX);
        assert!(matches!(under, SearchRecord::Made(Some(_))));
        let over = cache.record_made(Some(Arc::clone(&record)), &held, record.heap_bytes());
        assert!(matches!(over, SearchRecord::Stored(_)), "the second record passes the limit");
        cache.end_store().unwrap();
        assert_eq!(cache.search_record(&over).unwrap().as_deref(), Some(&*record));
    }
}
