//! The output folder: the URL layout (every page is `<locale>/<path>/index.html`, every URL
//! between files is relative) and the atomic write. A build writes into a staging folder
//! beside the target and swaps it in only when the build succeeded, so a failed build
//! leaves the previous output untouched.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};

/// The bytes of one output file, shared between a build's cache and its output.
pub type Bytes = Arc<[u8]>;

/// Where a build puts its files: a staging folder on disk (`build`) or memory (`serve`).
pub trait Output: Sync {
    /// Stores `bytes` at `rel_path` (relative to the output root, `/`-separated).
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()>;
    /// Stores the file `from` at `rel_path`.
    fn copy(&self, rel_path: &str, from: &Path) -> Result<()>;
    /// Stores at `rel_path` the previous output's file there, if it has one of `len` bytes;
    /// false when it has not (the caller then writes the file).
    fn reuse(&self, _rel_path: &str, _len: u64) -> Result<bool> {
        Ok(false)
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

/// A folder being filled with a new build's output.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
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
        Ok(Staging { dir, target: target.to_path_buf() })
    }

    /// Replaces the target folder with the staging folder.
    pub fn commit(self) -> Result<()> {
        let old =
            self.dir.with_file_name(format!("{}.old", self.dir.file_name().unwrap_or_default().to_string_lossy()));
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
        }
        let had_target = self.target.exists();
        if had_target {
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("cannot move the previous output {} aside", self.target.display()))?;
        }
        if let Err(error) = std::fs::rename(&self.dir, &self.target) {
            if had_target {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(error).with_context(|| format!("cannot move the new output into {}", self.target.display()));
        }
        if had_target {
            std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove the previous output at {}", old.display()))?;
        }
        Ok(())
    }

    /// Deletes the staging folder, leaving the target untouched.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Staging {
    /// The staging path for `rel_path`, its folder created. A file already there may be a
    /// hard link into the previous output (`reuse`): it is unlinked, never written
    /// through, so the previous output stays intact whatever happens to this build.
    fn fresh_path(&self, rel_path: &str) -> Result<PathBuf> {
        let path = self.dir.join(rel_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("cannot replace {}", path.display()))
            }
            _ => Ok(path),
        }
    }
}

impl Output for Staging {
    fn write(&self, rel_path: &str, bytes: Bytes) -> Result<()> {
        let path = self.fresh_path(rel_path)?;
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    fn copy(&self, rel_path: &str, from: &Path) -> Result<()> {
        let path = self.fresh_path(rel_path)?;
        std::fs::copy(from, &path).with_context(|| format!("cannot copy {} to {}", from.display(), path.display()))?;
        Ok(())
    }

    /// Hard-links the previous output's file (it is still in place: the staging folder
    /// replaces it only at the end), or copies it where links are not supported.
    fn reuse(&self, rel_path: &str, len: u64) -> Result<bool> {
        let previous = self.target.join(rel_path);
        match std::fs::symlink_metadata(&previous) {
            Ok(metadata) if metadata.is_file() && metadata.len() == len => {}
            _ => return Ok(false),
        }
        let path = self.fresh_path(rel_path)?;
        if std::fs::hard_link(&previous, &path).is_err() {
            std::fs::copy(&previous, &path)
                .with_context(|| format!("cannot copy {} to {}", previous.display(), path.display()))?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
