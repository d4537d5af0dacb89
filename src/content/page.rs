//! `Page`: one source file of one locale, split into front matter and body, plus the keys
//! that pair it with its translations (the same lowercase path under another locale folder).

use std::path::PathBuf;
use std::sync::OnceLock;

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
    /// The text after the front matter (`Page::body`).
    pub body: PageBody,
    /// The 1-based line of the file on which `body` starts.
    pub body_line: usize,
    /// SHA-1 digests of the file's bytes with LF and with CRLF line endings: what DocFX
    /// localization stamps into `ms.openlocfilehash`. Computed at load, while the bytes are
    /// at hand, so status checks never re-read files; only for source-locale pages (empty
    /// for translations), since only a source is ever compared with a stamp.
    pub digests: LineEndingDigests,
    /// `text_hash`, made on first use and kept with the page (which a rebuild reuses while
    /// its file is unchanged).
    pub text_hash: std::sync::OnceLock<blake3::Hash>,
    /// `facts`, read from the front matter on first use and kept like `text_hash`.
    pub facts: std::sync::OnceLock<PageFacts>,
}

/// A page's body: read with the file, or, for a page a build takes from its load cache
/// (the file is unchanged since the last build read it), read from the file only when
/// this build needs it. Most builds after an edit render one page and never do.
#[derive(Clone, Debug, Default)]
pub struct PageBody {
    text: OnceLock<String>,
    /// Where to read it from, and whether the file is a landing page (whose body is all
    /// of it); `None` when the text was given.
    unread: Option<(PathBuf, bool)>,
}

impl From<String> for PageBody {
    fn from(text: String) -> PageBody {
        PageBody { text: OnceLock::from(text), unread: None }
    }
}

impl From<&str> for PageBody {
    fn from(text: &str) -> PageBody {
        PageBody::from(text.to_string())
    }
}

impl PageBody {
    /// The body of the page file `file`, read when first asked for.
    pub fn unread(file: PathBuf, landing: bool) -> PageBody {
        PageBody { text: OnceLock::new(), unread: Some((file, landing)) }
    }

    fn get(&self) -> &str {
        self.text.get_or_init(|| match &self.unread {
            // The file was unchanged when the build looked, and is read as it is now: if it
            // changed since, this build shows the new text and the next one renders it
            // again (its stamp changed). A file gone meanwhile reads as empty.
            Some((file, landing)) => read_body(file, *landing),
            None => String::new(),
        })
    }
}

fn read_body(file: &std::path::Path, landing: bool) -> String {
    let Ok(bytes) = std::fs::read(file) else { return String::new() };
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes)).into_owned();
    if landing {
        return text;
    }
    match super::front_matter::split(&text) {
        Ok(split) => split.body.to_string(),
        Err(_) => text,
    }
}

/// What the load cache keeps of a page between builds: all of it but the body, which is
/// read again only when a build needs it (`PageBody::unread`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PageSnapshot {
    locale: String,
    rel_path: String,
    source_path: String,
    /// The front matter as JSON (what `text_hash` hashes): parsed again much faster than
    /// its YAML.
    front_matter: String,
    body_line: usize,
    digests: (String, String, String),
    text_hash: [u8; 32],
}

impl Page {
    /// The page as the load cache keeps it.
    pub fn snapshot(&self) -> PageSnapshot {
        let text_hash = *self.text_hash().as_bytes();
        PageSnapshot {
            locale: self.locale.to_string(),
            rel_path: self.rel_path.clone(),
            source_path: self.source_path.clone(),
            front_matter: serde_json::to_string(self.front_matter.meta()).unwrap_or_default(),
            body_line: self.body_line,
            digests: (self.digests.as_is.clone(), self.digests.lf.clone(), self.digests.crlf.clone()),
            text_hash,
        }
    }

    /// The page of the file `file` that `snapshot` describes, its body unread; `None`
    /// when the snapshot is damaged.
    pub fn from_snapshot(snapshot: &PageSnapshot, file: PathBuf) -> Option<Page> {
        let meta = serde_json::from_str(&snapshot.front_matter).ok()?;
        let mut page = Page {
            locale: Locale::parse(&snapshot.locale)?,
            key: snapshot.rel_path.to_lowercase(),
            rel_path: snapshot.rel_path.clone(),
            source_path: snapshot.source_path.clone(),
            front_matter: FrontMatter::new(meta),
            body: PageBody::default(),
            body_line: snapshot.body_line,
            digests: LineEndingDigests {
                as_is: snapshot.digests.0.clone(),
                lf: snapshot.digests.1.clone(),
                crlf: snapshot.digests.2.clone(),
            },
            text_hash: OnceLock::from(blake3::Hash::from_bytes(snapshot.text_hash)),
            facts: OnceLock::new(),
        };
        page.body = PageBody::unread(file, page.is_landing());
        Some(page)
    }
}

/// The front-matter values every build reads from every page. Read once per page, so a
/// rebuild, which reuses the pages of unchanged files, does not search 20,000 front
/// matters for the same few keys again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageFacts {
    pub title: Option<String>,
    /// `description`, empty when there is none.
    pub description: String,
    /// `ms.date` as written, when it is not a date in DocFX's M/D/YYYY form.
    pub bad_date: Option<String>,
    /// Whether the page only sends readers elsewhere (`redirect_url`).
    pub redirects: bool,
    pub stamp: LocalizationStamp,
}

/// The localization keys a translation carries (SPEC §5).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalizationStamp {
    /// `ms.openlocfilehash`: the SHA-1 of the source file that was translated.
    pub source_hash: Option<String>,
    /// `ms.translationtype: MT`.
    pub machine_translated: bool,
    /// `ms.lasthandoff`, when it is a date.
    pub last_handoff: Option<jiff::civil::Date>,
    /// `ms.sourcegitcommit`.
    pub source_commit: Option<String>,
}

impl PageFacts {
    pub fn of(front_matter: &FrontMatter) -> PageFacts {
        let date = front_matter.text("ms.date");
        PageFacts {
            title: front_matter.title(),
            description: front_matter.text("description").unwrap_or_default(),
            bad_date: date.filter(|raw| parse_us_date(raw).is_none()),
            redirects: front_matter.text("redirect_url").is_some(),
            stamp: LocalizationStamp {
                source_hash: front_matter.text("ms.openlocfilehash"),
                machine_translated: front_matter
                    .text("ms.translationtype")
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("MT")),
                last_handoff: front_matter.text("ms.lasthandoff").and_then(|raw| parse_us_date(&raw)),
                source_commit: front_matter.text("ms.sourcegitcommit"),
            },
        }
    }
}

/// Parses DocFX's `M/D/YYYY` (one- or two-digit parts, blanks around ignored).
pub fn parse_us_date(text: &str) -> Option<jiff::civil::Date> {
    let mut parts = text.trim().split('/').map(|part| part.trim().parse::<i16>().ok());
    let (month, day, year) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || !(1000..=9999).contains(&year) {
        return None;
    }
    jiff::civil::Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
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

impl Page {
    /// The text after the front matter (all of a landing page's YAML).
    pub fn body(&self) -> &str {
        self.body.get()
    }

    /// The front-matter values every build reads (see `PageFacts`).
    pub fn facts(&self) -> &PageFacts {
        self.facts.get_or_init(|| PageFacts::of(&self.front_matter))
    }

    /// A hash of everything the page says: its body and every front-matter key.
    pub fn text_hash(&self) -> blake3::Hash {
        *self.text_hash.get_or_init(|| {
            let mut hasher = blake3::Hasher::new();
            hasher.update(self.body().as_bytes());
            if let Ok(meta) = serde_json::to_vec(self.front_matter.meta()) {
                hasher.update(&meta);
            }
            hasher.finalize()
        })
    }
}

impl LineEndingDigests {
    /// One pass over the lines feeds the LF and CRLF hashers; a file with a single kind of
    /// line ending feeds its own kind whole, and the as-is digest is one of the two unless
    /// the file mixes endings. Most of `l10n status`'s time on a large site is spent here.
    pub fn of(bytes: &[u8]) -> LineEndingDigests {
        // Only a CR right before an LF is a line ending; a lone CR is content.
        let crlf_endings = memchr::memmem::find_iter(bytes, b"\r\n").count();
        let lf_endings = memchr::memchr_iter(b'\n', bytes).count() - crlf_endings;
        let (mut lf, mut crlf) = (Sha1::new(), Sha1::new());
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', bytes) {
            let end = if newline > 0 && bytes[newline - 1] == b'\r' { newline - 1 } else { newline };
            if crlf_endings > 0 {
                lf.update(&bytes[start..end]);
                lf.update(b"\n");
            }
            if lf_endings > 0 {
                crlf.update(&bytes[start..end]);
                crlf.update(b"\r\n");
            }
            start = newline + 1;
        }
        if crlf_endings > 0 {
            lf.update(&bytes[start..]);
        } else {
            lf.update(bytes);
        }
        if lf_endings > 0 {
            crlf.update(&bytes[start..]);
        } else {
            crlf.update(bytes);
        }
        let (lf, crlf) = (hex(&lf.finalize()), hex(&crlf.finalize()));
        let as_is = match (lf_endings, crlf_endings) {
            (_, 0) => lf.clone(),
            (0, _) => crlf.clone(),
            _ => sha1_hex(bytes),
        };
        LineEndingDigests { as_is, lf, crlf }
    }

    /// Whether `hash` (from `ms.openlocfilehash`) names this file's content.
    pub fn matches(&self, hash: &str) -> bool {
        let hash = hash.trim();
        [&self.as_is, &self.lf, &self.crlf].iter().any(|digest| digest.eq_ignore_ascii_case(hash))
    }
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(digest.len() * 2);
    for byte in digest {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

/// The output folder of a page key, relative to its locale folder: `a/b.md` → `a/b/`,
/// `a/index.md` → `a/`, `index.md` → ``; a folder key (`a/`, or empty) is its own folder.
pub fn url_path(key: &str) -> String {
    let (head, slash) = url_path_parts(key);
    let mut path = String::with_capacity(head.len() + 1);
    path.push_str(head);
    if slash {
        path.push('/');
    }
    path
}

/// `url_path` without allocating: the folder is `head`, then a `/` when `slash`. A key
/// that already names a folder (`a/`, or empty) is its own folder.
pub fn url_path_parts(key: &str) -> (&str, bool) {
    if key.is_empty() || key.ends_with('/') {
        return (key, false);
    }
    let stem = key.strip_suffix(".md").or_else(|| key.strip_suffix(".yml")).unwrap_or(key);
    match stem.rsplit_once('/') {
        Some((folder, "index")) => (folder, true),
        None if stem == "index" => ("", false),
        _ => (stem, true),
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
    fn parses_docfx_dates() {
        assert_eq!(parse_us_date("10/21/2019"), Some(jiff::civil::date(2019, 10, 21)));
        assert_eq!(parse_us_date(" 1/2/2020 "), Some(jiff::civil::date(2020, 1, 2)));
        assert_eq!(parse_us_date("02/30/2020"), None);
        assert_eq!(parse_us_date("2020-01-02"), None);
        assert_eq!(parse_us_date("1/2/20"), None);
    }

    #[test]
    fn url_paths_are_folders() {
        assert_eq!(url_path("about/containers-vs-vm.md"), "about/containers-vs-vm/");
        assert_eq!(url_path("about/index.md"), "about/");
        assert_eq!(url_path("index.md"), "");
        assert_eq!(url_path("index.yml"), "");
        assert_eq!(url_path("faq.md"), "faq/");
        assert_eq!(url_path("about/"), "about/");
        assert_eq!(url_path(""), "");
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

    #[test]
    fn digests_of_mixed_and_lone_carriage_returns() {
        // `printf 'a\r\nb\nc' | sha1sum` and so on: the as-is digest of a mixed file is its own.
        let mixed = LineEndingDigests::of(b"a\r\nb\nc");
        assert_eq!(mixed.as_is, sha1_hex(b"a\r\nb\nc"));
        assert_eq!(mixed.lf, sha1_hex(b"a\nb\nc"));
        assert_eq!(mixed.crlf, sha1_hex(b"a\r\nb\r\nc"));
        // A CR not before an LF is content, kept in both normalizations.
        let lone = LineEndingDigests::of(b"a\rb\r\r\n");
        assert_eq!(lone.lf, sha1_hex(b"a\rb\r\n"));
        assert_eq!(lone.crlf, sha1_hex(b"a\rb\r\r\n"));
        assert_eq!(lone.as_is, lone.crlf);
        assert_eq!(LineEndingDigests::of(b"").lf, sha1_hex(b""));
    }
}
