//! Shared test machinery: `TestSite` (a site copied into a temporary folder, built with the
//! real `polydoc` binary), `Run` (what one command printed and returned), small HTML
//! helpers, and `check_links`, which verifies that every internal URL of a built site
//! points at a file (and every `#fragment` at an element id) that exists.

#![allow(dead_code)] // Not every test file uses every helper.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;
use tempfile::TempDir;

/// The repository root: the example site lives there.
pub(crate) const REPO_ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What a site folder of the example site is made of.
const EXAMPLE_SITE_PARTS: &[&str] = &["site.toml", "content", "i18n", "templates", "static"];

/// A site in a temporary folder, deleted when dropped.
pub(crate) struct TestSite {
    dir: TempDir,
}

impl TestSite {
    /// An empty temporary folder.
    pub(crate) fn empty() -> TestSite {
        TestSite { dir: tempfile::Builder::new().prefix("polydoc-it-").tempdir().expect("create a temporary folder") }
    }

    /// A copy of the example site at the repository root.
    pub(crate) fn example() -> TestSite {
        let site = TestSite::empty();
        for part in EXAMPLE_SITE_PARTS {
            let from = Path::new(REPO_ROOT).join(part);
            if from.exists() {
                copy_tree(&from, &site.path(part));
            }
        }
        site
    }

    /// A copy of `tests/fixtures/<name>` (e.g. `links/case-insensitive-assets`).
    pub(crate) fn fixture(name: &str) -> TestSite {
        TestSite::copy_of(&Path::new(REPO_ROOT).join("tests/fixtures").join(name))
    }

    /// A copy of `../shared/corpus/<name>`. The shared folder is only ever read.
    pub(crate) fn corpus(name: &str) -> TestSite {
        TestSite::copy_of(&Path::new(REPO_ROOT).join("../shared/corpus").join(name))
    }

    /// A site whose folder `many/` holds `pages` pages (`p00.md`…, titled `Page 00`…) and
    /// last a subfolder `zsub/` with two pages, in English and Chinese (the Chinese pages
    /// fall back), with no TOC: the sidebar is the folder tree, one long level in it.
    pub(crate) fn with_long_folder(pages: usize) -> TestSite {
        let site = TestSite::empty();
        site.write(
            "site.toml",
            "title = \"Long\"\nbase_url = \"https://long.example/\"\ndefault_locale = \"en-us\"\n\n\
             [locales.en-us]\nname = \"English\"\n\n[locales.zh-cn]\nname = \"中文\"\n",
        );
        let page = |title: &str| format!("---\ntitle: {title}\n---\n\n# {title}\n\nText.\n");
        site.write("content/en-us/index.md", page("Home"));
        site.write("content/en-us/many/index.md", page("Many"));
        for i in 0..pages {
            site.write(&format!("content/en-us/many/p{i:02}.md"), page(&format!("Page {i:02}")));
        }
        site.write("content/en-us/many/zsub/index.md", page("Sub"));
        site.write("content/en-us/many/zsub/inner.md", page("Inner"));
        site.write("content/zh-cn/index.md", page("首页"));
        site
    }

    fn copy_of(from: &Path) -> TestSite {
        assert!(from.is_dir(), "no site folder at {}", from.display());
        let site = TestSite::empty();
        copy_tree(from, site.root());
        site
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the site folder.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        read_text(&self.path(rel))
    }

    /// Writes a file inside the site, creating folders as needed.
    pub(crate) fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("create folders");
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    pub(crate) fn remove(&self, rel: &str) {
        let path = self.path(rel);
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
    }

    /// Replaces the only occurrence of `from` in a file of the site.
    pub(crate) fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert_eq!(text.matches(from).count(), 1, "`{from}` should occur exactly once in {rel}");
        self.write(rel, text.replacen(from, to, 1));
    }

    /// Runs `polydoc ARGS…` in the site folder.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        run_polydoc(self.root(), args)
    }

    /// Runs `polydoc build --root SITE ARGS…`.
    pub(crate) fn build(&self, args: &[&str]) -> Run {
        let root = self.root().to_str().expect("a UTF-8 temporary path").to_string();
        let mut all = vec!["build", "--root", root.as_str()];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Builds with no extra arguments and asserts that the build succeeded.
    pub(crate) fn build_ok(&self) -> Run {
        let run = self.build(&[]);
        run.assert_code(0);
        run
    }

    /// The default output folder, `SITE/public`.
    pub(crate) fn public(&self) -> PathBuf {
        self.path("public")
    }

    /// A file of the default output folder, as text.
    pub(crate) fn output(&self, rel: &str) -> String {
        read_text(&self.public().join(rel))
    }

    pub(crate) fn output_exists(&self, rel: &str) -> bool {
        self.public().join(rel).is_file()
    }
}

/// What one run of the binary gave back.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    #[track_caller]
    pub(crate) fn assert_code(&self, expected: i32) -> &Run {
        assert_eq!(self.code, expected, "unexpected exit code\n{self}");
        self
    }

    /// Asserts that stderr holds `needle`.
    #[track_caller]
    pub(crate) fn assert_stderr_has(&self, needle: &str) -> &Run {
        assert!(self.stderr.contains(needle), "stderr lacks `{needle}`\n{self}");
        self
    }

    #[track_caller]
    pub(crate) fn assert_stderr_lacks(&self, needle: &str) -> &Run {
        assert!(!self.stderr.contains(needle), "stderr has `{needle}`\n{self}");
        self
    }

    /// The headline lines of the diagnostics with `code` (`warning[case-mismatch]`).
    pub(crate) fn diagnostics(&self, code: &str) -> Vec<&str> {
        self.stderr.lines().filter(|line| line.contains(&format!("[{code}]:"))).collect()
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs the binary under test in `cwd`.
pub(crate) fn run_polydoc(cwd: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_polydoc"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run polydoc");
    Run {
        // A signal (no code) must fail every exit code assertion.
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub(crate) fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Copies a file or folder recursively, making every copy writable (the shared corpus
/// may be read-only).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
        make_writable(to);
        return;
    }
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.expect("walk the source folder");
        let target = to.join(entry.path().strip_prefix(from).expect("inside the source"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create a folder");
        } else {
            std::fs::create_dir_all(target.parent().expect("a parent")).expect("create a folder");
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
            make_writable(&target);
        }
    }
}

fn make_writable(path: &Path) {
    let mut permissions = std::fs::metadata(path).expect("metadata").permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        permissions.set_mode(permissions.mode() | 0o600);
    }
    #[cfg(not(unix))]
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(path, permissions).expect("make the copy writable");
}

/// Every file under `dir` by `/`-separated relative path, with its bytes.
pub(crate) fn tree_contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("walk the output"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| (rel_path(dir, entry.path()), std::fs::read(entry.path()).expect("read an output file")))
        .collect()
}

/// Every `.html` file under `dir` by relative path, with its text.
pub(crate) fn html_files(dir: &Path) -> Vec<(String, String)> {
    tree_contents(dir)
        .into_iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(name, bytes)| {
            let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name} is not UTF-8"));
            (name, text)
        })
        .collect()
}

/// Asserts that two folders hold the same files with the same bytes, naming the first
/// difference.
#[track_caller]
pub(crate) fn assert_same_tree(left: &BTreeMap<String, Vec<u8>>, right: &BTreeMap<String, Vec<u8>>) {
    let left_names: Vec<&String> = left.keys().collect();
    let right_names: Vec<&String> = right.keys().collect();
    assert_eq!(left_names, right_names, "the two folders hold different files");
    for (name, bytes) in left {
        assert!(bytes == &right[name], "{name} differs between the two folders");
    }
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).expect("inside the root");
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

// ---------------------------------------------------------------------------------------
// HTML helpers (the output is generated, so simple patterns are enough).

/// The first `<tag …>…</tag>` element of `html`, tags included. Panics when missing.
#[track_caller]
pub(crate) fn element<'a>(html: &'a str, tag: &str) -> &'a str {
    find_element(html, tag, |_| true).unwrap_or_else(|| panic!("no <{tag}> element in:\n{html}"))
}

/// The first `<tag class="… class …">…</tag>` element of `html`. Panics when missing.
#[track_caller]
pub(crate) fn element_with_class<'a>(html: &'a str, tag: &str, class: &str) -> &'a str {
    let has_class = |start_tag: &str| {
        start_tag
            .split(" class=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .is_some_and(|classes| classes.split(' ').any(|c| c == class))
    };
    find_element(html, tag, has_class).unwrap_or_else(|| panic!("no <{tag} class=\"{class}\"> element in:\n{html}"))
}

/// The first element `tag` whose start tag passes `wanted`, up to the first closing tag
/// after it (generated HTML does not nest the elements this is used for).
fn find_element<'a>(html: &'a str, tag: &str, wanted: impl Fn(&str) -> bool) -> Option<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    html.match_indices(&open).map(|(index, _)| index).find_map(|start| {
        let after = &html[start + open.len()..];
        if !after.starts_with([' ', '>', '\n']) {
            return None;
        }
        let start_tag = &html[start..start + open.len() + after.find('>')? + 1];
        if !wanted(start_tag) {
            return None;
        }
        let end = start + html[start..].find(&close)? + close.len();
        Some(&html[start..end])
    })
}

/// The `<html lang>` of a document.
pub(crate) fn html_lang(html: &str) -> &str {
    let start = html.find("<html lang=\"").expect("an <html lang> attribute") + "<html lang=\"".len();
    &html[start..start + html[start..].find('"').expect("a closed attribute")]
}

/// The `lang` attribute of the `<main>` start tag.
pub(crate) fn main_lang(html: &str) -> &str {
    let main = element(html, "main");
    let start_tag = &main[..main.find('>').expect("a start tag")];
    let value = start_tag.split(" lang=\"").nth(1).unwrap_or_else(|| panic!("no lang on {start_tag}"));
    &value[..value.find('"').expect("a closed attribute")]
}

static ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\sid\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("valid regex"));
static ID_OR_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("valid regex"));
static URL_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\s(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("valid regex"));

/// Every `id` attribute value of a document, entities decoded.
pub(crate) fn ids(html: &str) -> HashSet<String> {
    attribute_values(&ID, html)
}

/// Every `id` and `name` attribute value of a document (what a `#fragment` can target),
/// entities decoded.
pub(crate) fn anchors(html: &str) -> HashSet<String> {
    attribute_values(&ID_OR_NAME, html)
}

fn attribute_values(pattern: &Regex, html: &str) -> HashSet<String> {
    pattern
        .captures_iter(html)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|value| decode_entities(value.as_str()))
        .collect()
}

/// Every `href`/`src` value of a document as (attribute, value), entities decoded.
pub(crate) fn urls(html: &str) -> Vec<(String, String)> {
    URL_ATTRIBUTE
        .captures_iter(html)
        .map(|c| {
            let value = c.get(2).or_else(|| c.get(3)).expect("one alternative matches");
            (c[1].to_ascii_lowercase(), decode_entities(value.as_str()))
        })
        .collect()
}

/// Decodes the character references the HTML writers in play produce.
pub(crate) fn decode_entities(text: &str) -> String {
    static REFERENCE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos);").expect("valid regex"));
    REFERENCE
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = &c[1];
            let decoded = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ => name[1..].parse().ok().and_then(char::from_u32),
            };
            decoded.map_or_else(|| c[0].to_string(), String::from)
        })
        .into_owned()
}

/// The `<link rel="…" href>` values of a document, for `rel` `canonical` or `alternate`.
pub(crate) fn head_links(html: &str, rel: &str) -> Vec<String> {
    let pattern = Regex::new(&format!(r#"<link rel="{}"[^>]*>"#, regex::escape(rel))).expect("valid regex");
    pattern.find_iter(html).map(|m| m.as_str().to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// The output link checker.

/// One URL of the output that points nowhere.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LinkFailure {
    /// The HTML file holding the URL, relative to the output folder.
    pub(crate) file: String,
    pub(crate) url: String,
    pub(crate) reason: String,
}

impl fmt::Display for LinkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.file, self.url, self.reason)
    }
}

/// Formats failures one per line, for assertion messages.
pub(crate) fn describe(failures: &[LinkFailure]) -> String {
    failures.iter().map(|f| format!("  {f}\n")).collect()
}

/// Checks every `href` and `src` of every `.html` file under `out`: a relative URL must
/// name a file (a URL ending in `/` names that folder's `index.html`), and a `#fragment`
/// must name an element `id` (or `name`) of the target page. Server-absolute URLs (the 404
/// pages use them) are resolved against `base_path`, the path of the site's `base_url`.
/// External URLs (`http:`, `https:`, `mailto:`, `data:`, `javascript:`, `//host`) are skipped.
pub(crate) fn check_links(out: &Path, base_path: &str) -> Vec<LinkFailure> {
    let mut checker = LinkChecker { out, base_path, anchors: HashMap::new() };
    let mut failures = Vec::new();
    let pages = walkdir::WalkDir::new(out).sort_by_file_name().into_iter().map(|e| e.expect("walk the output"));
    for entry in pages.filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "html")) {
        let file = rel_path(out, entry.path());
        let html = read_text(entry.path());
        for (_, url) in urls(&html) {
            if let Err(reason) = checker.check(&file, &url) {
                failures.push(LinkFailure { file: file.clone(), url, reason });
            }
        }
    }
    failures.sort();
    failures.dedup();
    failures
}

struct LinkChecker<'a> {
    out: &'a Path,
    base_path: &'a str,
    /// Output file → its ids, read once.
    anchors: HashMap<String, HashSet<String>>,
}

impl LinkChecker<'_> {
    fn check(&mut self, from_file: &str, url: &str) -> Result<(), String> {
        let url = url.trim();
        if is_external(url) {
            return Ok(());
        }
        let (rest, fragment) = url.split_once('#').map_or((url, None), |(p, f)| (p, Some(f)));
        let path = rest.split_once('?').map_or(rest, |(p, _)| p);
        let path = percent_decode_str(path).decode_utf8().map_err(|_| "not UTF-8 once percent-decoded".to_string())?;
        let target = if path.starts_with('/') {
            let Some(inside) = path.strip_prefix(self.base_path) else {
                return Err(format!("server-absolute URL outside the base path {}", self.base_path));
            };
            resolve("", inside)?
        } else {
            resolve_url(from_file, rest)?
        };
        let target_path = self.out.join(&target);
        if target_path.is_dir() {
            return Err(format!("{target} is a folder; the URL should end with `/`"));
        }
        if !target_path.is_file() {
            return Err(format!("{target} does not exist"));
        }
        // `#tab/…` selects a DocFX tab through script; it is not an element id.
        let Some(fragment) = fragment.filter(|f| !f.is_empty() && !f.starts_with("tab/")) else { return Ok(()) };
        if !(target.ends_with(".html") || target.ends_with(".svg")) {
            return Ok(());
        }
        let fragment = percent_decode_str(fragment).decode_utf8_lossy().into_owned();
        let out = self.out;
        let ids = self.anchors.entry(target.clone()).or_insert_with(|| anchors(&read_text(&out.join(&target))));
        if ids.contains(&fragment) { Ok(()) } else { Err(format!("no element with id `{fragment}` in {target}")) }
    }
}

fn is_external(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("//")
        || ["http:", "https:", "mailto:", "data:", "javascript:"].iter().any(|scheme| lower.starts_with(scheme))
}

/// The output file a relative URL written in `from_file` names (both relative to the
/// output folder; query and fragment ignored).
pub(crate) fn resolve_url(from_file: &str, url: &str) -> Result<String, String> {
    let path = url.split(['#', '?']).next().unwrap_or("");
    let path = percent_decode_str(path).decode_utf8_lossy();
    if path.is_empty() { Ok(from_file.to_string()) } else { resolve(parent_dir(from_file), &path) }
}

/// The folder of a `/`-separated file path, with a trailing `/` (or empty).
fn parent_dir(file: &str) -> &str {
    file.rfind('/').map_or("", |slash| &file[..=slash])
}

/// Joins a relative URL path onto `dir`; a path ending in `/` names that folder's
/// `index.html`. Fails when the result leaves the output folder.
fn resolve(dir: &str, path: &str) -> Result<String, String> {
    let mut segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop().ok_or_else(|| "leaves the output folder".to_string())?;
            }
            other => segments.push(other),
        }
    }
    let names_folder =
        path.is_empty() || path.ends_with('/') || path.ends_with("/.") || path == "." || path.ends_with("..");
    let mut joined = segments.join("/");
    if names_folder {
        if !joined.is_empty() {
            joined.push('/');
        }
        joined.push_str("index.html");
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_urls() {
        assert_eq!(resolve("zh-cn/about/x/", "../").unwrap(), "zh-cn/about/index.html");
        assert_eq!(resolve("zh-cn/about/x/", "./").unwrap(), "zh-cn/about/x/index.html");
        assert_eq!(resolve("zh-cn/about/x/", "../media/a.svg").unwrap(), "zh-cn/about/media/a.svg");
        assert_eq!(resolve("zh-cn/", "../polydoc.css").unwrap(), "polydoc.css");
        assert_eq!(resolve("zh-cn/", "..").unwrap(), "index.html");
        assert_eq!(resolve("", "").unwrap(), "index.html");
        assert!(resolve("zh-cn/", "../../x").is_err());
    }

    #[test]
    fn link_checker_reports_missing_files_and_anchors() {
        let out = TestSite::empty();
        out.write(
            "en-us/index.html",
            r##"<a href="a/">a</a> <a href="a/#x">x</a> <a href="a/#na%20me">name</a> <a href="#top" id="top">top</a>
<img src="missing.png"> <a href="a/#nope">nope</a> <a href="https://example.org/nope">ext</a>
<a href="mailto:a@b.c">m</a> <link href="/docs/en-us/a/"> <a href="/elsewhere/">out</a> <a href="../../x">up</a> <a href="a">dir</a>"##,
        );
        out.write("en-us/a/index.html", r#"<h2 id="x">X</h2><a name="na me"></a>"#);
        let failures: Vec<(String, String)> =
            check_links(out.root(), "/docs/").into_iter().map(|f| (f.file, f.url)).collect();
        let expected: Vec<(String, String)> = ["../../x", "/elsewhere/", "a", "a/#nope", "missing.png"]
            .iter()
            .map(|url| ("en-us/index.html".to_string(), url.to_string()))
            .collect();
        assert_eq!(failures, expected);
    }

    #[test]
    fn decodes_entities_and_finds_urls() {
        assert_eq!(decode_entities("a&amp;b&#x27;c&#39;&lt;"), "a&b'c'<");
        let found = urls(r#"<a href="x/?a=1&amp;b=2#f">x</a><img alt="" src='m.png'>"#);
        assert_eq!(found, [("href".to_string(), "x/?a=1&b=2#f".to_string()), ("src".to_string(), "m.png".to_string())]);
        assert_eq!(
            anchors(r#"<h2 id="a&amp;b">x</h2><a name="c"></a>"#),
            HashSet::from(["a&b".to_string(), "c".to_string()])
        );
    }
}
