//! `Site`: the input as read from disk — every locale's pages, TOC, assets, diagram
//! templates and include files — and the lookups that resolve a link written in one file
//! to what it names, with source-locale fallback and case-insensitive matching. Loading is
//! the only I/O here; a `Site` never changes after `load`.

pub mod front_matter;
mod locale;
pub mod page;
pub mod toc;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};
use rayon::prelude::*;
use walkdir::WalkDir;

pub use locale::Locale;
pub use page::{Page, PageFacts, parse_us_date};
pub use toc::TocItem;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use page::{LineEndingDigests, PageSnapshot, parent_folder};
use toc::{TocFile, TocFiles};

/// A map keyed by a page of a locale, `(locale, page key)`, that `PageRef` looks up
/// without building an owned key: the pipeline looks up every page several times a build.
pub type PageMap<V> = hashbrown::HashMap<(Locale, String), V, foldhash::fast::RandomState>;

/// A borrowed `(locale, page key)` for looking up a `PageMap`. It hashes as the owned key
/// does: a tuple struct hashes its fields in order, and `&str` as `String`.
#[derive(Hash)]
pub struct PageRef<'a>(pub &'a Locale, pub &'a str);

impl hashbrown::Equivalent<(Locale, String)> for PageRef<'_> {
    fn equivalent(&self, key: &(Locale, String)) -> bool {
        *self.0 == key.0 && self.1 == key.1
    }
}

/// Every locale's content, the default locale first.
#[derive(Debug)]
pub struct Site {
    pub locales: Vec<LocaleContent>,
    /// Problems found while loading (malformed front matter, unknown locale folders, …).
    pub diagnostics: Vec<Diagnostic>,
}

/// One locale folder.
#[derive(Debug)]
pub struct LocaleContent {
    pub locale: Locale,
    /// By lowercase path under the locale folder (`about/containers-vs-vm.md`). Shared,
    /// so a rebuild takes unchanged pages from the `LoadCache` without copying them.
    pub pages: BTreeMap<String, Arc<Page>>,
    /// Files copied beside the pages (`about/media/diagram.png`), by lowercase path.
    pub assets: BTreeMap<String, Asset>,
    /// `*.svg.tera` diagram templates, by the lowercase path of the SVG they produce.
    pub diagrams: BTreeMap<String, Diagram>,
    /// Files under an `includes/` folder, by lowercase path.
    pub includes: BTreeMap<String, IncludeFile>,
    /// The navigation from the locale's root TOC file, if it has one.
    pub toc: Option<Vec<TocItem>>,
    /// Every folder that holds a page, lowercase, with a trailing `/` (the root is ``).
    pub folders: BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct Asset {
    /// As on disk, under the locale folder.
    pub rel_path: String,
    pub file: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Diagram {
    /// The SVG's path as on disk, under the locale folder, without `.tera`.
    pub rel_path: String,
    /// The template file, relative to the site root.
    pub source_path: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct IncludeFile {
    pub rel_path: String,
    pub source_path: String,
    pub text: String,
}

/// How one locale folder is read.
#[derive(Clone, Copy)]
struct LoadMode<'a> {
    is_source: bool,
    reading: Reading,
    cache: Option<&'a LoadCache>,
}

/// Pages read by earlier loads (`serve` keeps one across rebuilds), reused while their
/// file's size and modification time are unchanged, so a rebuild after one edit reads one
/// file instead of the whole site.
#[derive(Default)]
pub struct LoadCache {
    /// By the file's full path as bytes: `Path`'s own hashing goes component by component,
    /// which a rebuild would pay for every page of the site.
    pages: std::sync::RwLock<foldhash::HashMap<OsString, CachedFile>>,
    /// Each locale folder's files as last listed, with the listing's diagnostics; kept
    /// only while a file watcher vouches that no file came or went (`expect_changes`).
    listings: std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<Listing>>>,
    /// The files that may have changed since the last load, as the watcher saw them; every
    /// other file is taken as it was without a look at the disk. `None`: look at each.
    changed: std::sync::Mutex<Option<Arc<foldhash::HashSet<OsString>>>>,
    /// For pages another process read (`from_stored`): files modified after this time are
    /// read again even with the same stamp (see `STAMP_SETTLES`).
    settled_before: Option<std::time::SystemTime>,
    /// The files the current load asked for: what it keeps (`keep_loaded`).
    loaded: std::sync::Mutex<foldhash::HashSet<OsString>>,
}

/// A locale folder's files, (path under the folder, full path), and the warnings listing
/// them raised.
type Listing = (Vec<(String, PathBuf)>, Vec<Diagnostic>);

/// A loaded page with its file's stamp, and the page as a build cache stores it when it
/// came from one.
struct CachedFile {
    stamp: FileStamp,
    page: Arc<LoadedPage>,
    snapshot: Option<Arc<PageSnapshot>>,
}

type LoadedPage = (Option<Arc<Page>>, Vec<Diagnostic>);

/// What tells an unchanged file from a changed one: its modification time and size, and
/// where the system has them, its inode and change time (which no tool sets back, unlike
/// the modification time that `cp -p`, `rsync -t` or `touch -d` restore).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileStamp {
    modified: std::time::SystemTime,
    len: u64,
    /// Inode and change time (seconds, nanoseconds); zero where there are none.
    inode: u64,
    changed: (i64, i64),
}

/// The stamp of `file`, or `None` when it cannot be read.
pub fn file_stamp(file: &Path) -> Option<FileStamp> {
    let metadata = std::fs::metadata(file).ok()?;
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt as _;
        (metadata.ino(), (metadata.ctime(), metadata.ctime_nsec()))
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, (0, 0));
    Some(FileStamp { modified: metadata.modified().ok()?, len: metadata.len(), inode, changed })
}

/// A page of the load cache as a build cache stores it: its file, the file's stamp, and
/// the page without its body.
pub type SavedPage = (PathBuf, FileStamp, Arc<PageSnapshot>);

/// The load cache's pages, serialized as a sequence of `SavedPage`s (`LoadCache::to_store`).
pub struct StoredPages<'a>(std::sync::RwLockReadGuard<'a, foldhash::HashMap<OsString, CachedFile>>);

impl serde::Serialize for StoredPages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let pages = storable(&self.0);
        let mut seq = serializer.serialize_seq(Some(pages.len()))?;
        for (file, cached, page) in pages {
            let snapshot = cached.snapshot.clone().unwrap_or_else(|| Arc::new(page.snapshot()));
            seq.serialize_element(&(Path::new(file), cached.stamp, snapshot))?;
        }
        seq.end()
    }
}

/// The pages of `known` a build cache stores, by path: those that loaded without a problem.
fn storable(known: &foldhash::HashMap<OsString, CachedFile>) -> Vec<(&OsString, &CachedFile, &Arc<Page>)> {
    let mut pages: Vec<_> = known
        .iter()
        .filter_map(|(file, cached)| match &*cached.page {
            (Some(page), diagnostics) if diagnostics.is_empty() => Some((file, cached, page)),
            _ => None,
        })
        .collect();
    pages.sort_unstable_by(|a, b| a.0.cmp(b.0));
    pages
}

/// How long after its modification a file's stamp is trusted by a later process: a file
/// written in the same tick of the file system's clock as the build read it (or within a
/// FAT volume's two seconds) may have changed with the same stamp.
const STAMP_SETTLES: std::time::Duration = std::time::Duration::from_secs(3);

impl LoadCache {
    /// Tells the next load which files may have changed since the last one: `changed` are
    /// paths relative to `site_root`, as a file watcher reported them (`None` when it
    /// cannot tell, after a lost event). The load reads those files again and takes every
    /// other file as it was, so a rebuild after an edit looks at one file rather than at
    /// every file of the site. When a file appeared or vanished, or a folder changed, the
    /// folders are listed again.
    pub fn expect_changes(&self, site_root: &Path, changed: Option<&[PathBuf]>) {
        let mut listings = self.listings.lock().expect("load cache lock");
        let Some(changed) = changed else {
            listings.clear();
            *self.changed.lock().expect("load cache lock") = None;
            return;
        };
        let files: foldhash::HashSet<OsString> =
            changed.iter().map(|rel| site_root.join(rel).into_os_string()).collect();
        let listed = |file: &OsString| {
            listings.values().any(|listing| listing.0.iter().any(|(_, listed)| listed.as_os_str() == file))
        };
        // A changed file that is there now was there before, and the other way round.
        let same_files = files.iter().all(|file| match std::fs::symlink_metadata(file) {
            Ok(meta) if meta.is_file() => listed(file),
            Ok(_) => false,
            Err(_) => !listed(file),
        });
        if !same_files {
            listings.clear();
        }
        *self.changed.lock().expect("load cache lock") = Some(Arc::new(files));
    }

    /// The files of `folder` as last listed, while no file came or went since.
    fn listing(
        &self,
        folder: &Path,
        list: impl FnOnce(&mut Vec<Diagnostic>) -> Vec<(String, PathBuf)>,
    ) -> Arc<Listing> {
        if let Some(listing) = self.listings.lock().expect("load cache lock").get(folder) {
            return Arc::clone(listing);
        }
        let mut diagnostics = Vec::new();
        let files = list(&mut diagnostics);
        let listing = Arc::new((files, diagnostics));
        self.listings.lock().expect("load cache lock").insert(folder.to_path_buf(), Arc::clone(&listing));
        listing
    }

    /// A load cache of the pages a build cache stored (`stored_pages`), trusted for files
    /// modified well before `read_at`, when the build that stored them began to read. Their
    /// front matter is parsed again in parallel; bodies are read when a build needs them.
    pub fn from_stored(pages: Vec<SavedPage>, read_at: std::time::SystemTime) -> LoadCache {
        let known: foldhash::HashMap<OsString, CachedFile> = pages
            .into_par_iter()
            .filter_map(|(file, stamp, snapshot)| {
                let page = Page::from_snapshot(&snapshot, file.clone())?;
                let cached =
                    CachedFile { stamp, page: Arc::new((Some(Arc::new(page)), Vec::new())), snapshot: Some(snapshot) };
                Some((file.into_os_string(), cached))
            })
            .collect();
        LoadCache {
            pages: std::sync::RwLock::new(known),
            settled_before: read_at.checked_sub(STAMP_SETTLES),
            ..LoadCache::default()
        }
    }

    /// The pages of the last load that loaded without a problem, as a build cache stores
    /// them (the others are read again by every build, which reports their problems).
    pub fn stored_pages(&self) -> Vec<SavedPage> {
        let known = self.pages.read().expect("load cache lock");
        storable(&known)
            .into_iter()
            .map(|(file, cached, page)| {
                let snapshot = cached.snapshot.clone().unwrap_or_else(|| Arc::new(page.snapshot()));
                (PathBuf::from(file), cached.stamp, snapshot)
            })
            .collect()
    }

    /// `stored_pages` to serialize, each page's snapshot made as it is written: on a large
    /// site, all of them at once would take a hundred megabytes more at the end of a build.
    pub fn to_store(&self) -> StoredPages<'_> {
        StoredPages(self.pages.read().expect("load cache lock"))
    }

    /// Forgets the pages the last load did not ask for (files gone or renamed), so the
    /// cache holds the site as it is.
    fn keep_loaded(&self) {
        let loaded = std::mem::take(&mut *self.loaded.lock().expect("load cache lock"));
        self.pages.write().expect("load cache lock").retain(|file, _| loaded.contains(file));
    }

    /// The pages of `files`, each taken from the cache while its file is unchanged (or, when
    /// the watcher vouches for it, without looking), else read by `load`. The cache is read
    /// without a lock per page, so the parallel loaders never wait on each other.
    fn pages(&self, files: &[&(String, PathBuf)], load: impl Fn(&str, &Path) -> LoadedPage + Sync) -> Vec<LoadedPage> {
        let changed = self.changed.lock().expect("load cache lock").clone();
        let known = self.pages.read().expect("load cache lock");
        let outcomes: Vec<(LoadedPage, Option<CachedFile>)> = files
            .par_iter()
            .map(|(rel_path, file)| {
                let vouched = changed.as_ref().is_some_and(|changed| !changed.contains(file.as_os_str()));
                if vouched && let Some(cached) = known.get(file.as_os_str()) {
                    return ((*cached.page).clone(), None);
                }
                let stamp = file_stamp(file);
                let settled = |stamp: &FileStamp| self.settled_before.is_none_or(|before| stamp.modified < before);
                if let Some(cached) =
                    known.get(file.as_os_str()).filter(|cached| Some(cached.stamp) == stamp && settled(&cached.stamp))
                {
                    return ((*cached.page).clone(), None);
                }
                let loaded = load(rel_path, file);
                let cached = stamp.map(|stamp| CachedFile { stamp, page: Arc::new(loaded.clone()), snapshot: None });
                (loaded, cached)
            })
            .collect();
        drop(known);
        self.loaded.lock().expect("load cache lock").extend(files.iter().map(|(_, file)| file.as_os_str().to_owned()));
        let mut known = self.pages.write().expect("load cache lock");
        let mut pages = Vec::with_capacity(outcomes.len());
        for ((_, file), (loaded, cached)) in files.iter().zip(outcomes) {
            if let Some(cached) = cached {
                known.insert(file.as_os_str().to_owned(), cached);
            }
            pages.push(loaded);
        }
        pages
    }
}

/// What a relative link written in a page names.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A page of the output locale (translated or fallback) by its key, or a folder's
    /// listing page (`key` then ends with `/`).
    Page { key: String },
    /// A file, by its path relative to the output root (`en-us/about/media/x.png`).
    Asset { output_path: String },
}

/// The text of an asset that a code snippet quotes.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetText {
    pub text: String,
    pub case_mismatch: Option<CaseMismatch>,
    /// The file read, so caches can tell when it changes.
    pub file: PathBuf,
}

/// A resolved link: the target, plus both spellings when the link matched only ignoring case.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    pub target: Target,
    pub case_mismatch: Option<CaseMismatch>,
}

/// A link that names a file only ignoring case: both paths relative to the locale folder.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseMismatch {
    pub written: String,
    pub actual: String,
}

fn mismatch(written: &str, actual: &str) -> Option<CaseMismatch> {
    (written != actual).then(|| CaseMismatch { written: written.to_string(), actual: actual.to_string() })
}

/// How much of each page `Site::load_with` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Every byte: what `build` and `check` need.
    Whole,
    /// Front matter, and the source pages' digests (which need every byte of a source);
    /// bodies are left empty and a translation is read only up to the end of its front
    /// matter. What `l10n status` needs: it judges stamps and renders nothing.
    Stamps,
}

impl Site {
    /// Reads every locale folder under `content/`.
    pub fn load(config: &Config) -> Result<Site> {
        Site::load_with(config, Reading::Whole)
    }

    /// Reads every locale folder, reusing pages of `cache` whose file is unchanged.
    pub fn load_cached(config: &Config, cache: &LoadCache) -> Result<Site> {
        Site::load_from(config, Reading::Whole, Some(cache))
    }

    /// Reads every locale folder under `content/`, its pages as far as `reading` says.
    pub fn load_with(config: &Config, reading: Reading) -> Result<Site> {
        Site::load_from(config, reading, None)
    }

    fn load_from(config: &Config, reading: Reading, cache: Option<&LoadCache>) -> Result<Site> {
        let content_dir = config.content_dir();
        let default_dir = content_dir.join(config.default_locale.as_str());
        if !default_dir.is_dir() {
            bail!("no folder for the default locale `{}`: expected {}", config.default_locale, default_dir.display());
        }
        let mut diagnostics = Vec::new();
        report_unknown_locale_folders(config, &content_dir, &mut diagnostics);
        let mut locales = Vec::new();
        for locale_config in &config.locales {
            let folder = content_dir.join(locale_config.locale.as_str());
            let is_source = locale_config.locale == config.default_locale;
            let content = load_locale(
                &config.root,
                &folder,
                &locale_config.locale,
                LoadMode { is_source, reading, cache },
                &mut diagnostics,
            );
            locales.push(content);
        }
        if let Some(cache) = cache {
            cache.keep_loaded();
        }
        Ok(Site { locales, diagnostics })
    }

    pub fn source(&self) -> &LocaleContent {
        &self.locales[0]
    }

    pub fn locale(&self, locale: &Locale) -> Option<&LocaleContent> {
        self.locales.iter().find(|l| &l.locale == locale)
    }

    /// Resolves a relative link `path` (no fragment, percent-decoded) written in the file
    /// `from_rel_path`, for a page served in `locale`: the locale's own page or asset, else
    /// the source locale's. Returns `None` when nothing matches.
    pub fn resolve(&self, locale: &Locale, from_rel_path: &str, path: &str) -> Option<Resolution> {
        let joined = join(parent_folder(from_rel_path), path)?;
        let own = self.locale(locale)?;
        let source = self.source();
        let is_page_link = joined.is_empty()
            || joined.ends_with('/')
            || has_extension(&joined, ".md")
            || has_extension(&joined, ".yml");
        if is_page_link {
            return resolve_page(own, source, &joined);
        }
        if let Some(resolution) = resolve_asset(own, &joined, locale) {
            return Some(resolution);
        }
        if let Some(resolution) = resolve_asset(source, &joined, locale) {
            return Some(resolution);
        }
        // An extension-less link may still name a page or folder (`../about`).
        resolve_page(own, source, &format!("{joined}/")).or_else(|| resolve_page(own, source, &format!("{joined}.md")))
    }

    /// The text of the asset a relative `path` written in `from_rel_path` names, for a page
    /// served in `locale` (that locale's file, else the source locale's): what a code
    /// snippet quotes. Reads the file now, so only pages with snippets pay for it; an error
    /// is a message for a diagnostic.
    pub fn asset_text(&self, locale: &Locale, from_rel_path: &str, path: &str) -> Result<AssetText, String> {
        let joined = join(parent_folder(from_rel_path), path)
            .ok_or_else(|| format!("`{path}` points outside the content root"))?;
        let lower = joined.to_lowercase();
        for content in self.locale(locale).into_iter().chain([self.source()]) {
            let Some(asset) = content.assets.get(&lower) else { continue };
            let bytes =
                std::fs::read(&asset.file).map_err(|error| format!("cannot read `{}`: {error}", asset.rel_path))?;
            let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
            let text = String::from_utf8_lossy(bytes).into_owned();
            return Ok(AssetText { text, case_mismatch: mismatch(&joined, &asset.rel_path), file: asset.file.clone() });
        }
        Err(format!("`{path}` does not exist"))
    }
}

impl LocaleContent {
    /// A locale folder with nothing in it yet.
    pub fn empty(locale: Locale) -> LocaleContent {
        LocaleContent {
            locale,
            pages: BTreeMap::new(),
            assets: BTreeMap::new(),
            diagrams: BTreeMap::new(),
            includes: BTreeMap::new(),
            toc: None,
            folders: BTreeSet::new(),
        }
    }

    /// Whether `folder` (lowercase, trailing `/`) holds a page.
    pub fn has_folder(&self, folder: &str) -> bool {
        self.folders.contains(folder)
    }
}

fn resolve_page(own: &LocaleContent, source: &LocaleContent, joined: &str) -> Option<Resolution> {
    let lower = joined.to_lowercase();
    let candidates: Vec<String> = if lower.is_empty() || lower.ends_with('/') {
        vec![format!("{lower}index.md"), format!("{lower}index.yml")]
    } else {
        vec![lower.clone()]
    };
    for candidate in &candidates {
        for content in [own, source] {
            if let Some(page) = content.pages.get(candidate) {
                let is_folder = lower.ends_with('/') || lower.is_empty();
                let case_mismatch = if is_folder { None } else { mismatch(joined, &page.rel_path) };
                return Some(Resolution { target: Target::Page { key: page.key.clone() }, case_mismatch });
            }
        }
    }
    let is_folder = lower.is_empty() || lower.ends_with('/');
    (is_folder && (own.has_folder(&lower) || source.has_folder(&lower)))
        .then(|| Resolution { target: Target::Page { key: lower.clone() }, case_mismatch: None })
}

fn resolve_asset(content: &LocaleContent, joined: &str, output_locale: &Locale) -> Option<Resolution> {
    let lower = joined.to_lowercase();
    if let Some(asset) = content.assets.get(&lower) {
        let case_mismatch = mismatch(joined, &asset.rel_path);
        return Some(Resolution {
            target: Target::Asset { output_path: format!("{}/{lower}", content.locale) },
            case_mismatch,
        });
    }
    // A diagram template is rendered for every locale, so it is found in the output locale.
    let diagram = content.diagrams.get(&lower)?;
    let case_mismatch = mismatch(joined, &diagram.rel_path);
    Some(Resolution { target: Target::Asset { output_path: format!("{output_locale}/{lower}") }, case_mismatch })
}

/// Joins a relative `path` onto `folder` (trailing `/`), resolving `.` and `..`. `None`
/// when the result would leave the locale folder.
pub fn join(folder: &str, path: &str) -> Option<String> {
    let mut segments: Vec<&str> = folder.split('/').filter(|s| !s.is_empty()).collect();
    let trailing_slash = path.ends_with('/') || path.ends_with("/.") || path == "." || path.is_empty();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            other => segments.push(other),
        }
    }
    let mut joined = segments.join("/");
    if trailing_slash && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

fn has_extension(path: &str, extension: &str) -> bool {
    // Bytes, not a `str` slice: the cut may fall inside a multi-byte character (found by
    // fuzzing: a link ending in `png\u{fffd}\u{fffd}`).
    let (path, extension) = (path.as_bytes(), extension.as_bytes());
    path.len() > extension.len() && path[path.len() - extension.len()..].eq_ignore_ascii_case(extension)
}

fn report_unknown_locale_folders(config: &Config, content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) {
    let Ok(entries) = std::fs::read_dir(content_dir) else { return };
    let mut unknown: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
        .filter(|name| !name.starts_with('.'))
        .filter(|name| Locale::parse(name).is_none_or(|locale| config.locale(&locale).is_none()))
        .collect();
    unknown.sort();
    for name in unknown {
        diagnostics.push(
            Diagnostic::warning(
                "unknown-locale",
                format!("content/{name}"),
                format!("folder `content/{name}` is not a locale in site.toml; it is skipped"),
            )
            .with_help(format!("add `[locales.{}]` to site.toml to publish it", name.to_lowercase())),
        );
    }
}

/// What one file under a locale folder is.
enum FileKind {
    Page,
    Toc,
    Include,
    Diagram,
    /// A `.yml` file: a landing page when it starts with `### YamlMime:Landing`, else an asset.
    Yaml,
    Asset,
}

fn classify(rel_path: &str) -> FileKind {
    let file_name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    let markdown = has_extension(rel_path, ".md");
    // Markdown under an `includes/` folder is included text; anything else there (the
    // includes' images) is an asset like any other.
    if markdown && rel_path.split('/').rev().skip(1).any(|folder| folder.eq_ignore_ascii_case("includes")) {
        return FileKind::Include;
    }
    if toc::is_toc_file(file_name) {
        FileKind::Toc
    } else if markdown {
        FileKind::Page
    } else if has_extension(rel_path, ".svg.tera") {
        FileKind::Diagram
    } else if has_extension(rel_path, ".yml") {
        FileKind::Yaml
    } else {
        FileKind::Asset
    }
}

/// A file's text: the UTF-8 BOM removed, invalid UTF-8 replaced (with a warning).
fn decode(bytes: &[u8], source_path: &str, diagnostics: &mut Vec<Diagnostic>) -> String {
    decode_owned(bytes.to_vec(), source_path, diagnostics)
}

/// `decode` for bytes the caller gives up: valid UTF-8 becomes the text in place.
fn decode_owned(mut bytes: Vec<u8>, source_path: &str, diagnostics: &mut Vec<Diagnostic>) -> String {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.as_bytes();
            let error = error.utf8_error();
            let line = bytes[..error.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
            diagnostics.push(
                Diagnostic::warning(
                    "encoding",
                    source_path,
                    "the file is not valid UTF-8; invalid bytes are shown as \u{fffd}",
                )
                .at(line, 1),
            );
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

fn load_locale(
    site_root: &Path,
    folder: &Path,
    locale: &Locale,
    mode: LoadMode<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> LocaleContent {
    let mut content = LocaleContent::empty(locale.clone());
    let listing = match mode.cache {
        Some(cache) => cache.listing(folder, |diagnostics| list_files(site_root, folder, diagnostics)),
        None => {
            let mut listing_diagnostics = Vec::new();
            Arc::new((list_files(site_root, folder, &mut listing_diagnostics), listing_diagnostics))
        }
    };
    diagnostics.extend(listing.1.iter().cloned());
    // Pages are most of the work (reading, hashing, front matter), so they load in parallel.
    let (page_files, other_files): (Vec<_>, Vec<_>) =
        listing.0.iter().partition(|(rel, _)| matches!(classify(rel), FileKind::Page));
    let load = |rel_path: &str, file: &Path| {
        let mut page_diagnostics = Vec::new();
        let page = load_page(site_root, locale, rel_path, file, mode.is_source, mode.reading, &mut page_diagnostics);
        (page.map(Arc::new), page_diagnostics)
    };
    let loaded: Vec<LoadedPage> = match mode.cache {
        Some(cache) => cache.pages(&page_files, load),
        None => page_files.par_iter().map(|(rel_path, file)| load(rel_path, file)).collect(),
    };
    let mut pages: Vec<Arc<Page>> = Vec::with_capacity(loaded.len());
    for (page, page_diagnostics) in loaded {
        diagnostics.extend(page_diagnostics);
        pages.extend(page);
    }
    // In key order (stable: of two files with one URL the first listed wins), the map is
    // built without comparing keys, and a duplicate is the entry before.
    pages.sort_by(|a, b| a.key.cmp(&b.key));
    let mut keyed: Vec<(String, Arc<Page>)> = Vec::with_capacity(pages.len());
    for page in pages {
        if let Some((_, existing)) = keyed.last().filter(|(key, _)| *key == page.key) {
            diagnostics.push(
                Diagnostic::error(
                    "duplicate-url",
                    &page.source_path,
                    format!("`{}` and `{}` have the same output URL once lowercased", existing.rel_path, page.rel_path),
                )
                .with_help("rename one of the two files"),
            );
            continue;
        }
        let folder = parent_folder(&page.key);
        if !content.folders.contains(folder) {
            content.folders.insert(folder.to_string());
        }
        keyed.push((page.key.clone(), page));
    }
    content.pages = keyed.into_iter().collect();
    let mut toc_files = TocFiles::new();
    for (rel_path, file) in other_files {
        let (rel_path, file) = (rel_path.clone(), file.clone());
        let source_path = relative_to(site_root, &file);
        let lower = rel_path.to_lowercase();
        match classify(&rel_path) {
            FileKind::Page => unreachable!("pages were partitioned out above"),
            FileKind::Asset => {
                content.assets.insert(lower, Asset { rel_path, file });
            }
            FileKind::Yaml => match load_landing(site_root, locale, &rel_path, &file, diagnostics) {
                Some(page) => {
                    // Markdown pages are loaded first: `x.yml` and `x.md` would share a URL.
                    let markdown_key = format!("{}.md", page.key.trim_end_matches(".yml"));
                    if let Some(existing) = content.pages.get(&markdown_key) {
                        let message =
                            format!("`{}` and `{}` have the same output URL", existing.rel_path, page.rel_path);
                        let error = Diagnostic::error("duplicate-url", &page.source_path, message);
                        diagnostics.push(error.with_help("keep one of the two files"));
                        continue;
                    }
                    content.folders.insert(parent_folder(&page.key).to_string());
                    content.pages.insert(page.key.clone(), Arc::new(page));
                }
                None => {
                    content.assets.insert(lower, Asset { rel_path, file });
                }
            },
            kind => {
                let Ok(bytes) = std::fs::read(&file) else {
                    diagnostics.push(Diagnostic::error("io", &source_path, "cannot read this file"));
                    continue;
                };
                let text = decode_owned(bytes, &source_path, diagnostics);
                match kind {
                    FileKind::Toc => {
                        toc_files.insert(lower, TocFile { rel_path, source_path, text });
                    }
                    FileKind::Include => {
                        content.includes.insert(lower, IncludeFile { rel_path, source_path, text });
                    }
                    _ => {
                        let svg_rel_path = rel_path[..rel_path.len() - ".tera".len()].to_string();
                        content
                            .diagrams
                            .insert(svg_rel_path.to_lowercase(), Diagram { rel_path: svg_rel_path, source_path, text });
                    }
                }
            }
        }
    }
    // Every ancestor of a folder with pages is a folder of the site too.
    let folders: Vec<String> = content.folders.iter().cloned().collect();
    for folder in folders {
        let mut ancestor = folder.as_str();
        while let Some(slash) = ancestor.trim_end_matches('/').rfind('/') {
            ancestor = &folder[..=slash];
            content.folders.insert(ancestor.to_string());
        }
        content.folders.insert(String::new());
    }
    content.toc = toc::load_root(&toc_files, diagnostics);
    content
}

/// Every file under `folder` as (path under the folder with `/` separators, full path),
/// sorted, skipping hidden files. Unreadable entries and symlink loops become warnings, and
/// so do symbolic links leading out of the site, which are not followed: a site never
/// makes polydoc read (and publish) a file outside it, like `/etc/passwd`.
fn list_files(site_root: &Path, folder: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let real_root = site_root.canonicalize().unwrap_or_else(|_| site_root.to_path_buf());
    let mut leaving = Vec::new();
    let walker = WalkDir::new(folder).follow_links(true).sort_by_file_name().into_iter();
    let walker = walker.filter_entry(|entry| {
        if entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.') {
            return false;
        }
        let outside =
            entry.path_is_symlink() && entry.path().canonicalize().is_ok_and(|target| !target.starts_with(&real_root));
        if outside {
            leaving.push(entry.path().to_path_buf());
        }
        !outside
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path =
                    error.path().map(|p| relative_to(site_root, p)).unwrap_or_else(|| relative_to(site_root, folder));
                diagnostics.push(Diagnostic::warning("io", path, format!("skipped: {error}")));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(folder) else { continue };
        let rel_path = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        files.push((rel_path, entry.into_path()));
    }
    for link in leaving {
        let target = std::fs::read_link(&link).map(|t| t.display().to_string()).unwrap_or_default();
        diagnostics.push(
            Diagnostic::warning(
                "io",
                relative_to(site_root, &link),
                format!("skipped: a symbolic link to `{target}`, outside the site"),
            )
            .with_help("copy the file into the site, or link to a file inside it"),
        );
    }
    files
}

fn load_page(
    site_root: &Path,
    locale: &Locale,
    rel_path: &str,
    file: &Path,
    is_source: bool,
    reading: Reading,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Page> {
    let source_path = relative_to(site_root, file);
    let whole = is_source || reading == Reading::Whole;
    let bytes = match if whole { std::fs::read(file) } else { read_front_matter(file) } {
        Ok(bytes) => bytes,
        Err(error) => {
            diagnostics.push(Diagnostic::error("io", &source_path, format!("cannot read this file: {error}")));
            return None;
        }
    };
    // Only a source page's hashes are ever compared with a stamp.
    let digests = if is_source { LineEndingDigests::of(&bytes) } else { LineEndingDigests::default() };
    let mut text = decode_owned(bytes, &source_path, diagnostics);
    let (front_matter, body_start, body_line) = match front_matter::split(&text) {
        Ok(split) => (split.front_matter, text.len() - split.body.len(), split.body_line),
        Err(error) => {
            diagnostics
                .push(Diagnostic::error("front-matter", &source_path, error.message).at(error.line, error.column));
            (Default::default(), 0, 1)
        }
    };
    // The body is the file's text without its front matter, in the buffer it was read into.
    let body = if reading == Reading::Stamps {
        String::new()
    } else {
        text.drain(..body_start);
        text
    };
    Some(Page {
        locale: locale.clone(),
        rel_path: rel_path.to_string(),
        key: rel_path.to_lowercase(),
        source_path,
        front_matter,
        body: body.into(),
        body_line,
        digests,
        text_hash: Default::default(),
        facts: Default::default(),
    })
}

/// A DocFX landing page (`### YamlMime:Landing`), or `None` for any other YAML file.
fn load_landing(
    site_root: &Path,
    locale: &Locale,
    rel_path: &str,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Page> {
    let bytes = std::fs::read(file).ok()?;
    let without_bom = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    if !without_bom.trim_ascii_start().starts_with(front_matter::LANDING_HEADER.as_bytes()) {
        return None;
    }
    let source_path = relative_to(site_root, file);
    let text = decode(&bytes, &source_path, diagnostics);
    let front_matter = front_matter::landing(&text).unwrap_or_else(|error| {
        diagnostics.push(Diagnostic::error("front-matter", &source_path, error.message).at(error.line, error.column));
        Default::default()
    });
    Some(Page {
        locale: locale.clone(),
        rel_path: rel_path.to_string(),
        key: rel_path.to_lowercase(),
        source_path,
        front_matter,
        body: text.into(),
        body_line: 1,
        digests: LineEndingDigests::of(&bytes),
        text_hash: Default::default(),
        facts: Default::default(),
    })
}

/// A page file up to the end of its front matter (its first line when it has none; all of
/// it when the front matter is never closed, which `front_matter::split` then reports).
fn read_front_matter(file: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::BufRead as _;
    // Front matter is a few hundred bytes: a small buffer keeps the body unread.
    let mut reader = std::io::BufReader::with_capacity(2048, std::fs::File::open(file)?);
    let mut head = Vec::new();
    reader.read_until(b'\n', &mut head)?;
    let first_line = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head).trim_ascii_end();
    let fence: &[u8] = match first_line {
        b"---" => b"---",
        b"+++" => b"+++",
        _ => return Ok(head),
    };
    loop {
        let start = head.len();
        if reader.read_until(b'\n', &mut head)? == 0 {
            return Ok(head);
        }
        let line = head[start..].trim_ascii_end();
        if line == fence || (fence == b"---" && line == b"...") {
            return Ok(head);
        }
    }
}

/// `path` relative to the site root with `/` separators, for diagnostics and JSON.
pub fn relative_to(site_root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(site_root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_page_key_finds_what_the_owned_key_stored() {
        let (en, zh) = (Locale::parse("en-us").unwrap(), Locale::parse("zh-cn").unwrap());
        let mut map: PageMap<u32> = PageMap::default();
        map.insert((en.clone(), "about/index.md".to_string()), 1);
        map.insert((zh.clone(), "about/index.md".to_string()), 2);
        assert_eq!(map.get(&PageRef(&en, "about/index.md")), Some(&1));
        assert_eq!(map.get(&PageRef(&zh, "about/index.md")), Some(&2));
        assert_eq!(map.get(&PageRef(&zh, "about/other.md")), None);
    }

    #[test]
    fn join_resolves_dots_and_refuses_to_leave_the_root() {
        assert_eq!(join("about/", "../manage/x.md").as_deref(), Some("manage/x.md"));
        assert_eq!(join("about/", "media/a.svg").as_deref(), Some("about/media/a.svg"));
        assert_eq!(join("", "./about/").as_deref(), Some("about/"));
        assert_eq!(join("about/", "..").as_deref(), Some(""));
        assert_eq!(join("about/", "../../etc/passwd"), None);
        assert_eq!(join("a/", "b\\c.md").as_deref(), Some("a/b/c.md"));
    }

    #[test]
    fn extensions_of_paths_ending_in_multi_byte_characters() {
        assert!(has_extension("a/B.MD", ".md"));
        assert!(!has_extension("guide/media/diagram.png\u{fffd}\u{fffd}", ".md"));
        assert!(!has_extension("容器", ".md"));
        assert!(!has_extension(".md", ".md"));
    }

    #[test]
    fn reading_stamps_stops_after_the_front_matter() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("page.md");
        let unclosed = "---\ntitle: T\nnever closed\n";
        let cases = [
            ("\u{feff}---\r\ntitle: T\r\n---\r\nbody\r\n", "\u{feff}---\r\ntitle: T\r\n---\r\n"),
            ("---\ntitle: T\n...\nbody", "---\ntitle: T\n...\n"),
            ("+++\ntitle = 'T'\n+++\nbody", "+++\ntitle = 'T'\n+++\n"),
            ("# No front matter\nbody\n", "# No front matter\n"),
            (unclosed, unclosed),
        ];
        for (text, head) in cases {
            std::fs::write(&file, text).unwrap();
            assert_eq!(String::from_utf8(read_front_matter(&file).unwrap()).unwrap(), head);
        }
    }

    /// A site of one page in a temporary folder, and its config.
    fn one_page_site(text: &str) -> (tempfile::TempDir, Config, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let config =
            Config::parse(dir.path(), "title='T'\nbase_url='https://x.org/'\ndefault_locale='en-us'\n").unwrap();
        let file = dir.path().join("content/en-us/a.md");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, text).unwrap();
        (dir, config, file)
    }

    fn title_of(site: &Site) -> Option<String> {
        site.source().pages["a.md"].facts().title.clone()
    }

    #[test]
    fn a_stored_page_stands_for_its_file_only_while_the_stamp_holds_and_has_settled() {
        let (_dir, config, file) = one_page_site("---\ntitle: On disk\n---\nBody on disk.\n");
        let first = LoadCache::default();
        let site = Site::load_cached(&config, &first).unwrap();
        assert_eq!(title_of(&site), Some("On disk".into()));
        // What the cache would store had it read another text with this stamp.
        let (path, stamp, _) = first.stored_pages().pop().unwrap();
        let (_other_dir, other_config, _) = one_page_site("---\ntitle: Stored\n---\nStored body.\n");
        let other = LoadCache::default();
        Site::load_cached(&other_config, &other).unwrap();
        let (_, _, snapshot) = other.stored_pages().pop().unwrap();
        let stored = || vec![(path.clone(), stamp, Arc::clone(&snapshot))];
        // Read long after the file was written: the stored page is taken, body unread.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let trusted = Site::load_cached(&config, &LoadCache::from_stored(stored(), later)).unwrap();
        assert_eq!(title_of(&trusted), Some("Stored".into()), "an unchanged stamp vouches for the file");
        // Read just after: the file may have changed within its clock's tick, so it is read.
        let now = std::time::SystemTime::now();
        let unsettled = Site::load_cached(&config, &LoadCache::from_stored(stored(), now)).unwrap();
        assert_eq!(title_of(&unsettled), Some("On disk".into()), "a stamp that has not settled is not trusted");
        // Same size, modification time set back: the change time still tells.
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::fs::write(&file, "---\ntitle: Ed disk\n---\nBody on disk.\n").unwrap();
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(modified).unwrap();
        let edited = Site::load_cached(&config, &LoadCache::from_stored(stored(), later)).unwrap();
        if cfg!(unix) {
            assert_eq!(title_of(&edited), Some("Ed disk".into()), "a restored modification time does not hide an edit");
        }
    }

    #[test]
    fn a_stored_page_reads_its_body_only_when_asked() {
        let (_dir, config, file) = one_page_site("---\ntitle: T\n---\nThe body.\n");
        let first = LoadCache::default();
        let site = Site::load_cached(&config, &first).unwrap();
        let hash = site.source().pages["a.md"].text_hash();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let cache = LoadCache::from_stored(first.stored_pages(), later);
        let site = Site::load_cached(&config, &cache).unwrap();
        let page = &site.source().pages["a.md"];
        assert_eq!(page.text_hash(), hash, "the stored hash");
        assert_eq!(page.body(), "The body.\n");
        assert_eq!(page.body_line, 4);
        // The file is what the body is read from.
        std::fs::remove_file(&file).unwrap();
        let cache = LoadCache::from_stored(first.stored_pages(), later);
        assert_eq!(cache.stored_pages().len(), 1);
        // A later load that does not find the file forgets it.
        let _ = Site::load_cached(&config, &cache).unwrap();
        assert!(cache.stored_pages().is_empty());
    }

    #[test]
    fn classifies_files() {
        assert!(matches!(classify("about/index.md"), FileKind::Page));
        assert!(matches!(classify("TOC.md"), FileKind::Toc));
        assert!(matches!(classify("a/toc.yml"), FileKind::Toc));
        assert!(matches!(classify("includes/x.md"), FileKind::Include));
        assert!(matches!(classify("a/includes/deep/x.md"), FileKind::Include));
        assert!(matches!(classify("includes/media/x.png"), FileKind::Asset));
        assert!(matches!(classify("media/x.svg.tera"), FileKind::Diagram));
        assert!(matches!(classify("Media/X.PNG"), FileKind::Asset));
        assert!(matches!(classify("index.yml"), FileKind::Yaml));
        assert!(matches!(classify("TOC.yml"), FileKind::Toc));
    }
}
