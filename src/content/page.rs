//! `Page`: one source file of one locale, split into front matter and body, plus the keys
//! that pair it with its translations (the same lowercase path under another locale folder).

use sha1::{Digest as _, Sha1};

use super::front_matter::FrontMatter;
use super::locale::Locale;

/// One page source file as read from disk.
#[derive(Clone, Debug)]
pub struct Page {
    pub locale: Locale,
    /// The path under the locale folder as written on disk, `/`-separated
    /// (`about/Containers-vs-VM.md`).
    pub rel_path: String,
    /// `rel_path` lowercased: the key that pairs translations and names the output URL.
    pub key: String,
    /// The file, relative to the site root (`content/zh-cn/about/containers-vs-vm.md`), for
    /// diagnostics.
    pub source_path: String,
    pub front_matter: FrontMatter,
    pub body: String,
    /// The 1-based line of the file on which `body` starts.
    pub body_line: usize,
    /// SHA-1 digests of the file's bytes with LF and with CRLF line endings: what DocFX
    /// localization stamps into `ms.openlocfilehash`. Computed at load, while the bytes are
    /// at hand, so status checks never re-read files.
    pub digests: LineEndingDigests,
}

impl Page {
    /// Whether the page is a DocFX landing page (YAML) rather than Markdown.
    pub fn is_landing(&self) -> bool {
        self.rel_path.len() > 4 && self.rel_path[self.rel_path.len() - 4..].eq_ignore_ascii_case(".yml")
    }
}

/// The SHA-1 of a file's bytes as they are on disk, and with line endings normalized to LF
/// and to CRLF, lowercase hex.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineEndingDigests {
    pub as_is: String,
    pub lf: String,
    pub crlf: String,
}

impl LineEndingDigests {
    pub fn of(bytes: &[u8]) -> LineEndingDigests {
        let lf: Vec<u8> = without_carriage_returns(bytes);
        let mut crlf = Vec::with_capacity(lf.len() + lf.len() / 32);
        for &byte in &lf {
            if byte == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(byte);
        }
        LineEndingDigests { as_is: sha1_hex(bytes), lf: sha1_hex(&lf), crlf: sha1_hex(&crlf) }
    }

    /// Whether `hash` (from `ms.openlocfilehash`) names this file's content.
    pub fn matches(&self, hash: &str) -> bool {
        let hash = hash.trim();
        [&self.as_is, &self.lf, &self.crlf].iter().any(|digest| digest.eq_ignore_ascii_case(hash))
    }
}

fn without_carriage_returns(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let is_crlf = bytes[index] == b'\r' && bytes.get(index + 1) == Some(&b'\n');
        if !is_crlf {
            out.push(bytes[index]);
        }
        index += 1;
    }
    out
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    let digest = Sha1::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The output folder of a page key, relative to its locale folder: `a/b.md` → `a/b/`,
/// `a/index.md` → `a/`, `index.md` → ``.
pub fn url_path(key: &str) -> String {
    let stem = key.strip_suffix(".md").or_else(|| key.strip_suffix(".yml")).unwrap_or(key);
    match stem.rsplit_once('/') {
        Some((folder, "index")) => format!("{folder}/"),
        None if stem == "index" => String::new(),
        _ => format!("{stem}/"),
    }
}

/// The folder (with a trailing `/`, or empty) that holds `rel_path`.
pub fn parent_folder(rel_path: &str) -> &str {
    rel_path.rfind('/').map_or("", |slash| &rel_path[..=slash])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_are_folders() {
        assert_eq!(url_path("about/containers-vs-vm.md"), "about/containers-vs-vm/");
        assert_eq!(url_path("about/index.md"), "about/");
        assert_eq!(url_path("index.md"), "");
        assert_eq!(url_path("index.yml"), "");
        assert_eq!(url_path("faq.md"), "faq/");
    }

    #[test]
    fn digests_normalize_line_endings() {
        let lf = LineEndingDigests::of(b"a\nb\n");
        let crlf = LineEndingDigests::of(b"a\r\nb\r\n");
        assert_eq!(lf.lf, crlf.lf);
        assert_eq!(lf.crlf, crlf.crlf);
        assert_eq!(lf.as_is, lf.lf);
        assert_eq!(crlf.as_is, crlf.crlf);
        // `printf 'a\nb\n' | sha1sum`
        assert_eq!(lf.lf, "05dec960e24d918b8a73a1c53bcbbaac2ee5c2e0");
        assert!(lf.matches(&crlf.crlf.to_uppercase()));
    }
}
