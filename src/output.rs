//! The output folder: the URL layout (every page is `<locale>/<path>/index.html`, every URL
//! between files is relative) and the safe write. A build writes into a staging folder
//! beside the target and puts it in place only when the build succeeded, so a failed
//! build leaves the previous output untouched.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use anyhow::{Context as _, Result};

/// The bytes of one output file, shared between a build's cache and its output.
pub type Bytes = Arc<[u8]>;

/// Where a build puts its files: a staging folder on disk (`build`) or memory (`serve`).
pub trait Output: Sync {
    /// Stores `bytes` at `rel_path` (relative to the output root, `/`-separated).
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()>;
    /// Stores `bytes` at `rel_path` when the caller keeps no copy: the staging folder
    /// writes them as they are, without first moving them into a shared `Bytes`.
    fn write_owned(&self, rel_path: &str, bytes: Vec<u8>) -> Result<()> {
        self.write(rel_path, bytes.into())
    }
    /// Stores the file `from` at `rel_path`.
    fn copy(&self, rel_path: &str, from: &Path) -> Result<()>;
    /// Stores at `rel_path` the previous output's file there, if it has one of `len` bytes;
    /// false when it has not (the caller then writes the file).
    fn reuse(&self, _rel_path: &str, _len: u64) -> Result<bool> {
        Ok(false)
    }
    /// The previous output's file at `rel_path`, when there is one to read (a build that
    /// patches a file of the last build reads it here; `None` makes it write the file anew).
    fn previous(&self, _rel_path: &str) -> Option<Vec<u8>> {
        None
    }
    /// Stores under the folder `rel_dir` (`/`-terminated) the files `deferred` makes. The
    /// default writes each as it is made, keeping only its length; `serve` keeps them
    /// unmade until a request asks for one, so work no page shows (the search index) stays
    /// out of the edit-to-reload path.
    fn write_deferred(&self, rel_dir: &str, deferred: Arc<Deferred>) -> Result<()> {
        deferred.write_each(&|name, bytes| self.write(&format!("{rel_dir}{name}"), bytes))
    }
}

/// The recipe of a folder's files, run once: when the files are first asked for
/// (`files`, `serve`), or to write each out as it is made (`write_each`, `build`: a large
/// site's search index is hundreds of megabytes, never all in memory at once).
pub struct Deferred {
    make: Mutex<Option<MakeFiles>>,
    files: std::sync::OnceLock<Vec<(String, Bytes)>>,
    /// Each file's name and length, when `write_each` made them.
    written: std::sync::OnceLock<Vec<(String, u64)>>,
}

/// Where made files go, one by one, from any thread: a recipe may hand several over at once.
pub type FileSink<'a> = dyn Fn(String, Bytes) -> Result<()> + Sync + 'a;

/// Makes the files, handing each to the sink as soon as it is made.
type MakeFiles = Box<dyn FnOnce(&FileSink<'_>) -> Result<()> + Send>;

impl Deferred {
    pub fn new(make: impl FnOnce(&FileSink<'_>) -> Result<()> + Send + 'static) -> Arc<Deferred> {
        Arc::new(Deferred {
            make: Mutex::new(Some(Box::new(make))),
            files: std::sync::OnceLock::new(),
            written: std::sync::OnceLock::new(),
        })
    }

    /// The files by name inside the folder (sorted), made on the first call.
    pub fn files(&self) -> &[(String, Bytes)] {
        self.files.get_or_init(|| {
            let files = Mutex::new(Vec::new());
            if let Some(make) = self.make.lock().expect("deferred lock").take() {
                // Collecting into memory cannot fail.
                let _ = make(&|name, bytes| {
                    files.lock().expect("deferred files lock").push((name, bytes));
                    Ok(())
                });
            }
            let mut files = files.into_inner().expect("deferred files lock");
            files.sort_by(|a, b| a.0.cmp(&b.0));
            files
        })
    }

    /// Hands each file to `sink`: each as it is made (perhaps several at once, from
    /// several threads), keeping only names and lengths, or the files made already.
    pub fn write_each(&self, sink: &(dyn Fn(&str, Bytes) -> Result<()> + Sync)) -> Result<()> {
        let make = self.make.lock().expect("deferred lock").take();
        if let Some(make) = make {
            let lengths = Mutex::new(Vec::new());
            make(&|name, bytes| {
                lengths.lock().expect("deferred lengths lock").push((name.clone(), bytes.len() as u64));
                sink(&name, bytes)
            })?;
            let mut lengths = lengths.into_inner().expect("deferred lengths lock");
            lengths.sort();
            let _ = self.written.set(lengths);
            return Ok(());
        }
        anyhow::ensure!(self.written.get().is_none(), "the files of a deferred folder were written once and not kept");
        self.files().iter().try_for_each(|(name, bytes)| sink(name, Arc::clone(bytes)))
    }

    /// Each file's name and length, made now if need be.
    pub fn lengths(&self) -> Vec<(String, u64)> {
        match self.written.get() {
            Some(written) => written.clone(),
            None => self.files().iter().map(|(name, bytes)| (name.clone(), bytes.len() as u64)).collect(),
        }
    }

    /// The file `name` inside the folder.
    pub fn file(&self, name: &str) -> Option<&Bytes> {
        self.files().iter().find(|(file, _)| file == name).map(|(_, bytes)| bytes)
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred").field("made", &self.files.get().map(Vec::len)).finish()
    }
}

/// The relative URL from the folder `from_dir` to `to`, both relative to the output root.
/// `from_dir` is empty or ends with `/`; `to` ends with `/` when it is a folder.
pub fn relative_url(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to_segments: Vec<&str> = to.split('/').collect();
    let common = from.iter().zip(&to_segments).take_while(|(a, b)| a == b).count();
    // The last segment of `to` is a file name (or empty for a folder), never shared.
    let common = common.min(to_segments.len().saturating_sub(1));
    let mut url = "../".repeat(from.len() - common);
    url.push_str(&encode_path(&to_segments[common..].join("/")));
    if url.is_empty() { "./".to_string() } else { url }
}

/// Percent-encodes what may not appear raw in a URL path.
pub fn encode_path(path: &str) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    percent_encoding::utf8_percent_encode(path, PATH).to_string()
}

/// A folder being filled with a new build's output, beside the previous output (the
/// target), which stays untouched until `commit`.
///
/// Files the build keeps from the previous output as they are (`reuse`) are not copied:
/// when there are any, `commit` moves the new and changed files into the target and
/// deletes the files the build no longer produces, so a build that changed little
/// touches little. Otherwise the staging folder replaces the target whole.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    /// Paths (relative to the output root) written into the staging folder.
    written: Mutex<HashSet<String>>,
    /// Paths of the previous output this build keeps unchanged.
    kept: Mutex<HashSet<String>>,
}

impl Staging {
    /// Creates an empty staging folder beside `target`.
    pub fn create(target: &Path) -> Result<Staging> {
        let name = target.file_name().map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
        let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let dir = parent.join(format!(".{name}.polydoc-staging"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the stale staging folder {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            written: Mutex::new(HashSet::new()),
            kept: Mutex::new(HashSet::new()),
        })
    }

    /// Makes the new output the target. `previous`: every file the previous build put in
    /// the target, when known (from the build cache); the files of it this build neither
    /// kept nor wrote are deleted by that list instead of by a walk of the whole target.
    pub fn commit(self, previous: Option<&[String]>) -> Result<()> {
        let kept = self.kept.into_inner().expect("kept lock");
        if kept.is_empty() || !self.target.is_dir() {
            return swap(&self.dir, &self.target);
        }
        let written = self.written.into_inner().expect("written lock");
        let mut paths: Vec<&String> = written.iter().collect();
        paths.sort();
        for rel_path in paths {
            let to = self.target.join(rel_path);
            make_parent(&self.target, &to)?;
            if to.is_dir() {
                std::fs::remove_dir_all(&to).with_context(|| format!("cannot replace {}", to.display()))?;
            }
            std::fs::rename(self.dir.join(rel_path), &to).with_context(|| format!("cannot write {}", to.display()))?;
        }
        if let Some(previous) = previous {
            for rel_path in previous.iter().filter(|p| !kept.contains(*p) && !written.contains(*p)) {
                let file = self.target.join(rel_path);
                match std::fs::remove_file(&file) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(error).with_context(|| format!("cannot remove {}", file.display()));
                    }
                    _ => {}
                }
                // Folders left empty go too, up to the first that is not.
                for folder in file.ancestors().skip(1).take_while(|folder| *folder != self.target) {
                    if std::fs::remove_dir(folder).is_err() {
                        break;
                    }
                }
            }
            return std::fs::remove_dir_all(&self.dir).with_context(|| format!("cannot remove {}", self.dir.display()));
        }
        // What the previous output has and this build did not produce goes away; folders
        // come after their contents, and only empty ones are removed.
        for entry in walkdir::WalkDir::new(&self.target).min_depth(1).contents_first(true) {
            let entry = entry.with_context(|| format!("cannot read {}", self.target.display()))?;
            let rel_path = crate::content::relative_to(&self.target, entry.path());
            if entry.file_type().is_dir() {
                let _ = std::fs::remove_dir(entry.path());
            } else if !kept.contains(&rel_path) && !written.contains(&rel_path) {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            }
        }
        std::fs::remove_dir_all(&self.dir).with_context(|| format!("cannot remove {}", self.dir.display()))
    }

    /// Deletes the staging folder, leaving the target untouched.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    fn write_file(&self, rel_path: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging_path(rel_path)?;
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The staging path for `rel_path`, its folder created.
    fn staging_path(&self, rel_path: &str) -> Result<PathBuf> {
        let path = self.dir.join(rel_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        self.written.lock().expect("written lock").insert(rel_path.to_string());
        Ok(path)
    }
}

/// Replaces `target` with `dir`: the previous output is moved aside first and deleted
/// once the new one is in place.
fn swap(dir: &Path, target: &Path) -> Result<()> {
    let old = dir.with_file_name(format!("{}.old", dir.file_name().unwrap_or_default().to_string_lossy()));
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    let had_target = target.exists();
    if had_target {
        std::fs::rename(target, &old)
            .with_context(|| format!("cannot move the previous output {} aside", target.display()))?;
    }
    if let Err(error) = std::fs::rename(dir, target) {
        if had_target {
            let _ = std::fs::rename(&old, target);
        }
        return Err(error).with_context(|| format!("cannot move the new output into {}", target.display()));
    }
    if had_target {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the previous output at {}", old.display()))?;
    }
    Ok(())
}

/// Creates the folder of `path` inside `root`, removing files of the previous output that
/// stand where a folder must now be.
fn make_parent(root: &Path, path: &Path) -> Result<()> {
    let Some(parent) = path.parent() else { return Ok(()) };
    if std::fs::create_dir_all(parent).is_ok() {
        return Ok(());
    }
    let mut folder = root.to_path_buf();
    for component in parent.strip_prefix(root).unwrap_or(parent).components() {
        folder.push(component);
        if folder.is_file() {
            std::fs::remove_file(&folder).with_context(|| format!("cannot replace {}", folder.display()))?;
        }
    }
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))
}

impl Output for Staging {
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()> {
        self.write_file(rel_path, &bytes)
    }

    fn write_owned(&self, rel_path: &str, bytes: Vec<u8>) -> Result<()> {
        self.write_file(rel_path, &bytes)
    }

    fn copy(&self, rel_path: &str, from: &Path) -> Result<()> {
        let path = self.staging_path(rel_path)?;
        std::fs::copy(from, &path).with_context(|| format!("cannot copy {} to {}", from.display(), path.display()))?;
        Ok(())
    }

    fn previous(&self, rel_path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.target.join(rel_path)).ok()
    }

    /// Keeps the previous output's file when it is there with the expected size.
    fn reuse(&self, rel_path: &str, len: u64) -> Result<bool> {
        let previous = self.target.join(rel_path);
        match std::fs::symlink_metadata(&previous) {
            Ok(metadata) if metadata.is_file() && metadata.len() == len => {
                self.kept.lock().expect("kept lock").insert(rel_path.to_string());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_files() -> Arc<Deferred> {
        Deferred::new(|sink| {
            sink("a.json".to_string(), Arc::from(&b"[1]"[..]))?;
            sink("b.json".to_string(), Arc::from(&b"[2,3]"[..]))
        })
    }

    #[test]
    fn deferred_files_are_streamed_once_and_remembered_by_length() {
        let deferred = two_files();
        let seen = Vec::new();
        let seen = Mutex::new(seen);
        deferred
            .write_each(&|name, bytes| {
                seen.lock().unwrap().push((name.to_string(), bytes.to_vec()));
                Ok(())
            })
            .unwrap();
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen, [("a.json".to_string(), b"[1]".to_vec()), ("b.json".to_string(), b"[2,3]".to_vec())]);
        assert_eq!(deferred.lengths(), [("a.json".to_string(), 3), ("b.json".to_string(), 5)]);
        // Not kept, so not written twice by mistake.
        assert!(deferred.write_each(&|_, _| Ok(())).is_err());
        // Made in memory first (serve), they can be written any number of times.
        let kept = two_files();
        assert_eq!(kept.file("b.json").map(|b| b.len()), Some(5));
        for _ in 0..2 {
            let count = std::sync::atomic::AtomicUsize::new(0);
            kept.write_each(&|_, _| {
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            })
            .unwrap();
            assert_eq!(count.into_inner(), 2);
        }
    }

    #[test]
    fn relative_urls_between_output_folders() {
        assert_eq!(relative_url("zh-cn/about/containers-vs-vm/", "zh-cn/about/"), "../");
        assert_eq!(
            relative_url("zh-cn/about/containers-vs-vm/", "zh-cn/manage-containers/hyperv-container/"),
            "../../manage-containers/hyperv-container/"
        );
        assert_eq!(
            relative_url("zh-cn/about/containers-vs-vm/", "en-us/about/media/x.png"),
            "../../../en-us/about/media/x.png"
        );
        assert_eq!(relative_url("zh-cn/", "zh-cn/"), "./");
        assert_eq!(relative_url("", "polydoc.css"), "polydoc.css");
        assert_eq!(relative_url("zh-cn/a/", "zh-cn/a/media/my file.png"), "media/my%20file.png");
        assert_eq!(relative_url("zh-cn/a/", "zh-cn/a/"), "./");
    }
}
