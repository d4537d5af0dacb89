//! `polydoc check`: one test per problem kind on `tests/fixtures/check/problems` (each
//! asserts the exact diagnostics: severity, path, line, column), the output forms and exit
//! codes of SPEC §1, the real problems of the windows-containers corpus, external links
//! against a local HTTP server, and one test per bad input (never a panic, never a hang).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const PROBLEMS: &str = "check/problems";

/// Runs `polydoc check --format json` on a site and parses what it printed to stdout.
fn check_json(site: &TestSite, extra: &[&str]) -> (Run, Vec<Value>) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let run = site.run(&args);
    assert_ne!(run.code, 101, "polydoc panicked\n{run}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{run}"));
    let Value::Array(diagnostics) = json else { panic!("stdout is not a JSON array\n{run}") };
    (run, diagnostics)
}

/// The diagnostics with `code` as (severity, path, line, column).
fn located<'a>(diagnostics: &'a [Value], code: &str) -> Vec<(&'a str, &'a str, u64, u64)> {
    diagnostics
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            let text = |key: &str| d[key].as_str().unwrap_or_else(|| panic!("`{key}` of {d}"));
            let number = |key: &str| d[key].as_u64().unwrap_or_else(|| panic!("`{key}` of {d}"));
            (text("severity"), text("path"), number("line"), number("column"))
        })
        .collect()
}

/// The `help` texts of the diagnostics with `code`, in order (`""` where there is none).
fn helps<'a>(diagnostics: &'a [Value], code: &str) -> Vec<&'a str> {
    diagnostics.iter().filter(|d| d["code"] == code).map(|d| d["help"].as_str().unwrap_or("")).collect()
}

fn problems() -> (Run, Vec<Value>) {
    check_json(&TestSite::fixture(PROBLEMS), &[])
}

// --- one test per problem kind -------------------------------------------------------

#[test]
fn broken_link_is_an_error_with_a_did_you_mean() {
    let (run, diagnostics) = problems();
    run.assert_code(1);
    assert_eq!(located(&diagnostics, "broken-link"), [("error", "content/en-us/index.md", 7, 31)]);
    assert_eq!(helps(&diagnostics, "broken-link"), ["did you mean `guide.md`?"]);
}

#[test]
fn broken_image_is_an_error_with_a_did_you_mean() {
    let (_, diagnostics) = problems();
    assert_eq!(located(&diagnostics, "broken-image"), [("error", "content/en-us/index.md", 9, 1)]);
    assert_eq!(helps(&diagnostics, "broken-image"), ["did you mean `media/diagram.png`?"]);
}

#[test]
fn broken_anchors_are_checked_against_the_page_served_in_the_locale() {
    let (_, diagnostics) = problems();
    assert_eq!(
        located(&diagnostics, "broken-anchor"),
        [
            ("error", "content/en-us/index.md", 11, 9),
            ("error", "content/en-us/index.md", 11, 42),
            // zh-cn has no guide.md: the link goes to the English fallback page, whose
            // `#install` exists and whose `#安装` does not.
            ("error", "content/zh-cn/index.md", 6, 28),
        ]
    );
    assert_eq!(helps(&diagnostics, "broken-anchor"), ["did you mean `#install`?", "did you mean `#setup`?", ""]);
    let fallback = diagnostics.iter().find(|d| d["path"] == "content/zh-cn/index.md").unwrap();
    assert_eq!(fallback["message"], "`#安装` is not an anchor in content/en-us/guide.md");
}

#[test]
fn broken_toc_entries_are_errors_spelled_relative_to_their_toc_file() {
    let (_, diagnostics) = problems();
    assert_eq!(
        located(&diagnostics, "broken-toc-entry"),
        [("error", "content/en-us/TOC.md", 2, 1), ("error", "content/en-us/reference/TOC.md", 1, 1)]
    );
    assert_eq!(helps(&diagnostics, "broken-toc-entry"), ["did you mean `guide.md`?", "did you mean `commands.md`?"]);
}

#[test]
fn malformed_front_matter_is_an_error_located_in_the_md_file() {
    let (_, diagnostics) = problems();
    // The flow sequence opened on line 3 is still open when the block ends on line 4.
    assert_eq!(located(&diagnostics, "front-matter"), [("error", "content/en-us/bad-front-matter.md", 4, 1)]);
}

#[test]
fn links_matching_only_ignoring_case_stay_warnings() {
    let (_, diagnostics) = problems();
    assert_eq!(located(&diagnostics, "case-mismatch"), [("warning", "content/en-us/index.md", 13, 9)]);
}

#[test]
fn images_without_alt_text_are_warnings() {
    let (_, diagnostics) = problems();
    assert_eq!(
        located(&diagnostics, "missing-alt"),
        [("warning", "content/en-us/index.md", 15, 1), ("warning", "content/en-us/index.md", 15, 28)]
    );
}

#[test]
fn repeated_explicit_heading_ids_are_warnings() {
    let (_, diagnostics) = problems();
    assert_eq!(located(&diagnostics, "duplicate-id"), [("warning", "content/en-us/index.md", 21, 1)]);
}

#[test]
fn site_root_links_without_link_root_are_warnings() {
    let (_, diagnostics) = problems();
    assert_eq!(located(&diagnostics, "site-root-link"), [("warning", "content/en-us/index.md", 17, 6)]);
}

#[test]
fn unparseable_dates_orphans_and_unknown_locales_are_file_level_warnings() {
    let (_, diagnostics) = problems();
    assert_eq!(located(&diagnostics, "bad-date"), [("warning", "content/en-us/index.md", 0, 0)]);
    assert_eq!(located(&diagnostics, "orphaned-translation"), [("warning", "content/zh-cn/only-here.md", 0, 0)]);
    assert_eq!(located(&diagnostics, "unknown-locale"), [("warning", "content/fr-fr", 0, 0)]);
}

#[test]
fn two_sources_with_one_output_url_are_an_error() {
    let site = TestSite::fixture(PROBLEMS);
    // Written here, not checked in, so the repository checks out on case-insensitive systems.
    site.write("content/en-us/GUIDE.md", "# Guide again\n");
    let (run, diagnostics) = check_json(&site, &[]);
    run.assert_code(1);
    let duplicates = located(&diagnostics, "duplicate-url");
    assert_eq!(duplicates.len(), 1, "{run}");
    assert_eq!(duplicates[0].0, "error");
    assert!(["content/en-us/GUIDE.md", "content/en-us/guide.md"].contains(&duplicates[0].1), "{duplicates:?}");
}

#[test]
fn every_problem_is_reported_in_one_run_and_nothing_else() {
    let (run, diagnostics) = problems();
    let mut codes: Vec<&str> = diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(
        codes,
        [
            "bad-date",
            "broken-anchor",
            "broken-image",
            "broken-link",
            "broken-toc-entry",
            "case-mismatch",
            "duplicate-id",
            "front-matter",
            "missing-alt",
            "orphaned-translation",
            "site-root-link",
            "unknown-locale",
        ]
    );
    assert_eq!(diagnostics.len(), 16, "{run}");
    run.assert_stderr_has("8 errors, 8 warnings");
    assert!(!TestSite::fixture(PROBLEMS).path("public").exists());
}

// --- output forms and exit codes -----------------------------------------------------

#[test]
fn json_diagnostics_have_exactly_the_keys_of_the_spec() {
    let (run, diagnostics) = problems();
    for diagnostic in &diagnostics {
        let mut keys: Vec<&str> = diagnostic.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys.retain(|key| *key != "help");
        assert_eq!(keys, ["code", "column", "line", "message", "path", "severity"], "{diagnostic}");
    }
    assert!(!run.stderr.contains("error["), "JSON mode prints no text diagnostics:\n{run}");
}

#[test]
fn text_diagnostics_go_to_stderr_like_rustc() {
    let site = TestSite::fixture(PROBLEMS);
    let run = site.run(&["check"]);
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    run.assert_stderr_has(concat!(
        "content/en-us/index.md:7:31: error[broken-link]: link target `gide.md` does not exist\n",
        "  |\n",
        "7 | See [the guide](guide.md) and [a typo](gide.md).\n",
        "  |                               ^\n",
        "  = help: did you mean `guide.md`?\n",
    ));
    // A wide character takes two columns in a terminal, so the caret stays under `[`.
    run.assert_stderr_has(concat!(
        "6 | 参见[指南](guide.md#install)，以及[安装](guide.md#安装)。\n",
        "  |                                   ^\n"
    ));
}

#[test]
fn build_reports_the_same_problems_as_warnings() {
    let site = TestSite::fixture(PROBLEMS);
    site.remove("content/en-us/bad-front-matter.md");
    let build = site.build(&[]);
    build.assert_code(0);
    build.assert_stderr_has("content/en-us/index.md:7:31: warning[broken-link]");
    build.assert_stderr_has("  = help: did you mean `guide.md`?");
    build.assert_stderr_has("content/en-us/TOC.md:2:1: warning[broken-toc-entry]");
    site.build(&["--strict"]).assert_code(1);
    let (check, _) = check_json(&site, &[]);
    check.assert_code(1);
}

#[test]
fn a_clean_site_exits_0_and_warnings_alone_do_not_fail() {
    let site = TestSite::fixture("toc/markdown");
    let (run, diagnostics) = check_json(&site, &[]);
    run.assert_code(0);
    assert_eq!(diagnostics, Vec::<Value>::new());
    let warned = TestSite::fixture("links/case-insensitive-assets");
    let (run, diagnostics) = check_json(&warned, &[]);
    run.assert_code(0);
    assert!(!diagnostics.is_empty() && diagnostics.iter().all(|d| d["severity"] == "warning"), "{run}");
}

#[test]
fn check_writes_nothing() {
    let site = TestSite::fixture("toc/markdown");
    site.run(&["check"]).assert_code(0);
    let entries: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut entries = entries;
    entries.sort();
    assert_eq!(entries, ["content", "site.toml"]);
}

// --- the real corpus -----------------------------------------------------------------

/// Every error `check` reports on windows-containers, verified by hand (see `corpus.rs`):
/// TOC.md line 84 links `Images_EULA.md` where the page is `images-eula.md`;
/// compiling-kubernetes-binaries.md links `#build-locally` twice where the heading is
/// `## Building locally ##` (id `building-locally`); kube-windows-services.md links
/// `getting-started-kubernetes-windows.md#kube-dns-def`, an anchor that page never defines.
const CORPUS_ERRORS: &[(&str, &str, u64, u64, &str)] = &[
    ("broken-toc-entry", "content/en-us/TOC.md", 84, 1, "did you mean `images-eula.md`?"),
    (
        "broken-anchor",
        "content/en-us/kubernetes/compiling-kubernetes-binaries.md",
        39,
        16,
        "did you mean `#building-locally`?",
    ),
    (
        "broken-anchor",
        "content/en-us/kubernetes/compiling-kubernetes-binaries.md",
        41,
        187,
        "did you mean `#building-locally`?",
    ),
    ("broken-anchor", "content/en-us/kubernetes/kube-windows-services.md", 61, 5, ""),
    ("broken-toc-entry", "content/zh-cn/TOC.md", 84, 1, "did you mean `images-eula.md`?"),
    (
        "broken-anchor",
        "content/zh-cn/kubernetes/compiling-kubernetes-binaries.md",
        43,
        5,
        "did you mean `#building-locally`?",
    ),
    (
        "broken-anchor",
        "content/zh-cn/kubernetes/compiling-kubernetes-binaries.md",
        45,
        114,
        "did you mean `#building-locally`?",
    ),
    ("broken-anchor", "content/zh-cn/kubernetes/kube-windows-services.md", 65, 1, ""),
];

#[test]
fn corpus_errors_are_exactly_the_real_broken_links() {
    for corpus in ["windows-containers", "windows-containers-drift"] {
        let site = TestSite::corpus(corpus);
        let (run, diagnostics) = check_json(&site, &[]);
        run.assert_code(1);
        let errors: Vec<(&str, &str, u64, u64, &str)> = diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| {
                let text = |key: &str| d[key].as_str().unwrap_or("");
                (text("code"), text("path"), d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap(), text("help"))
            })
            .collect();
        assert_eq!(errors, CORPUS_ERRORS, "{corpus}");
        // Links that resolve only ignoring case (`Media/` vs `media/`, `.PNG`) are warnings.
        let case = located(&diagnostics, "case-mismatch");
        assert!(case.len() > 20 && case.iter().all(|(severity, ..)| *severity == "warning"), "{corpus}: {case:?}");
    }
}

// --- external links ------------------------------------------------------------------

/// A local HTTP server: `/ok` answers 200, anything else 404. Counts requests; stops
/// answering (closes its socket) when `stop` is set.
struct LocalServer {
    base: String,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl LocalServer {
    fn start() -> LocalServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, stopped) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                let _ = reader.read_line(&mut request_line);
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let status =
                    if request_line.split_whitespace().nth(1) == Some("/ok") { "200 OK" } else { "404 Not Found" };
                let mut stream = stream;
                let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        LocalServer { base, requests, stop }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn site_with_external_links(server: &LocalServer) -> TestSite {
    let site = TestSite::fixture("toc/markdown");
    let base = &server.base;
    site.write(
        "content/en-us/index.md",
        format!("# Home\n\nSee [fine]({base}/ok) and\n[gone]({base}/gone#part), [gone again]({base}/gone).\n"),
    );
    site
}

#[test]
fn external_links_are_checked_only_when_asked() {
    let server = LocalServer::start();
    let site = site_with_external_links(&server);
    let (run, diagnostics) = check_json(&site, &[]);
    run.assert_code(0);
    assert_eq!(diagnostics, Vec::<Value>::new());
    assert_eq!(server.requests.load(Ordering::SeqCst), 0, "check went to the network without --external");
    assert!(!site.path(".polydoc-cache").exists());
}

#[test]
fn external_links_pointing_nowhere_are_errors_and_good_answers_are_cached() {
    let server = LocalServer::start();
    let site = site_with_external_links(&server);
    let (run, diagnostics) = check_json(&site, &["--external"]);
    run.assert_code(1);
    // The second link follows `[gone](…/gone#part), ` on line 4.
    let second = format!("[gone]({}/gone#part), ", server.base).chars().count() as u64 + 1;
    assert_eq!(
        located(&diagnostics, "broken-link"),
        [("error", "content/en-us/index.md", 4, 1), ("error", "content/en-us/index.md", 4, second)]
    );
    assert_eq!(diagnostics[0]["message"], format!("`{}/gone#part` answers 404 Not Found", server.base));
    assert_eq!(diagnostics.len(), 2, "{run}");
    run.assert_stderr_has("2 external URLs");
    let cache: Value = serde_json::from_str(&site.read(".polydoc-cache/external-links.json")).unwrap();
    assert_eq!(cache["links"][format!("{}/ok", server.base)]["status"], 200);

    // With the server gone, the cached good answer stands; the failing URL is asked
    // again and now cannot be checked at all: a warning, not an error.
    drop(server);
    std::thread::sleep(Duration::from_millis(50));
    let (run, diagnostics) = check_json(&site, &["--external"]);
    run.assert_code(0);
    let unchecked = located(&diagnostics, "external-link");
    assert_eq!(
        unchecked,
        [("warning", "content/en-us/index.md", 4, 1), ("warning", "content/en-us/index.md", 4, second)]
    );
}

// --- bad input: never a panic, never a hang ------------------------------------------

/// A one-page site holding `body` (bytes) at `content/en-us/<name>`.
fn site_with_page(name: &str, body: impl AsRef<[u8]>) -> TestSite {
    let site = TestSite::fixture("toc/markdown");
    site.write(&format!("content/en-us/{name}"), body);
    site
}

/// Runs `check` and `build`, asserting neither panics nor takes longer than `limit`, and
/// that `check` exits with `code`.
#[track_caller]
fn survives(site: &TestSite, code: i32, limit: Duration) -> Run {
    let started = Instant::now();
    let (run, _) = check_json(site, &[]);
    assert!(started.elapsed() < limit, "check took {:?}", started.elapsed());
    run.assert_code(code);
    let text = site.run(&["check"]);
    assert_ne!(text.code, 101, "check (text) panicked\n{text}");
    let build = site.build(&[]);
    assert_ne!(build.code, 101, "build panicked\n{build}");
    assert!(started.elapsed() < limit * 3, "check, check and build took {:?}", started.elapsed());
    run
}

const QUICK: Duration = Duration::from_secs(60);

#[test]
fn invalid_utf8_is_a_warning() {
    let site =
        site_with_page("bad.md", b"---\ntitle: Bad \xff\xfe\n---\n# Caf\xc3\x28\n[x](guide\xff.md)\n".as_slice());
    let run = survives(&site, 1, QUICK);
    run.assert_stderr_has("5 pages: 1 errors, 1 warnings");
    let (_, diagnostics) = check_json(&site, &[]);
    assert_eq!(located(&diagnostics, "encoding"), [("warning", "content/en-us/bad.md", 2, 1)]);
}

#[test]
fn nul_bytes_are_harmless() {
    let site = site_with_page("nul.md", b"---\ntitle: N\0ul\n---\n# Head\0ing\n\0\0[link\0](index.md)\n".as_slice());
    survives(&site, 0, QUICK);
}

#[test]
fn links_ending_inside_a_multi_byte_character_are_broken_links() {
    // Found by fuzzing: an extension test cut a path inside the U+FFFD that invalid bytes
    // become, and panicked.
    let page = b"# X\n\n![](media/diagram.png\xff\xff\xff) [x](index\xff) [y](guide/\xe5\xae\xb9\xe5\x99\xa8)\n";
    let site = site_with_page("multi-byte.md", page.as_slice());
    let (run, diagnostics) = check_json(&site, &[]);
    run.assert_code(1);
    assert_eq!(located(&diagnostics, "broken-image").len(), 1, "{run}");
    assert_eq!(located(&diagnostics, "broken-link").len(), 2, "{run}");
}

#[test]
fn a_five_megabyte_one_line_page_is_fine() {
    let line = "word [link](index.md) [gone](nowhere.md) **bold** <span>x</span> ".repeat(5 * 1024 * 1024 / 66);
    let site = site_with_page("big.md", format!("# Big\n{line}\n"));
    let run = survives(&site, 1, QUICK);
    assert!(run.stdout.contains("\"code\": \"broken-link\""), "{run}");
}

#[test]
fn fifty_thousand_nested_blockquotes_do_not_overflow_the_stack() {
    let site = site_with_page("deep.md", format!("# Deep\n{} deep\n", ">".repeat(50_000)));
    survives(&site, 0, QUICK);
    let nested_lists = site_with_page("lists.md", format!("# Lists\n{}x\n", "- ".repeat(50_000)));
    survives(&nested_lists, 0, QUICK);
    let brackets = site_with_page("brackets.md", format!("# B\n{}x{}\n", "[".repeat(50_000), "](y)".repeat(50_000)));
    survives(&brackets, 1, QUICK);
}

#[test]
fn many_repeated_headings_and_links_stay_fast() {
    // Both were quadratic: renumbering the n-th repeat of an id, and locating (and
    // printing) each of many problems on one long line.
    let headings = site_with_page("headings.md", "## <a name=\"x\"></a>Again\n".repeat(20_000));
    let run = survives(&headings, 0, QUICK);
    run.assert_stderr_has("19999 warnings");
    let links = site_with_page("links.md", format!("# L\n{}\n", "[a](gone.md#c) ".repeat(50_000)));
    let run = survives(&links, 1, QUICK);
    run.assert_stderr_has("50000 errors");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_skipped_with_a_warning() {
    let site = TestSite::fixture("toc/markdown");
    std::os::unix::fs::symlink(".", site.path("content/en-us/self")).unwrap();
    std::os::unix::fs::symlink("../en-us", site.path("content/en-us/start/up")).unwrap();
    let run = survives(&site, 0, QUICK);
    let (_, diagnostics) = check_json(&site, &[]);
    let io = located(&diagnostics, "io");
    assert_eq!(io.len(), 2, "{run}");
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_site_are_not_followed() {
    let site = TestSite::fixture("toc/markdown");
    std::os::unix::fs::symlink("/etc/passwd", site.path("content/en-us/passwd.md")).unwrap();
    std::os::unix::fs::symlink("/etc", site.path("content/en-us/etc")).unwrap();
    let run = survives(&site, 0, QUICK);
    let (_, diagnostics) = check_json(&site, &[]);
    assert_eq!(
        located(&diagnostics, "io"),
        [("warning", "content/en-us/etc", 0, 0), ("warning", "content/en-us/passwd.md", 0, 0)],
        "{run}"
    );
    site.build_ok();
    assert!(!site.public().join("en-us/passwd").exists(), "a file outside the site was published");
    assert!(!site.public().join("en-us/etc").exists(), "a folder outside the site was published");
}

#[test]
fn links_and_includes_out_of_the_site_read_nothing() {
    let page = "# Out\n\n[up](../../../../../../etc/passwd) ![img](../../../etc/passwd)\n\n<img src=\"../../../../etc/hostname\" alt=\"h\">\n\n[!INCLUDE[passwd](../../../../../../etc/passwd)]\n\n[!INCLUDE[passwd](/etc/passwd)]\n";
    let site = site_with_page("out.md", page);
    let run = survives(&site, 1, QUICK);
    let (_, diagnostics) = check_json(&site, &[]);
    // The include lines are links here and include errors once DocFX includes are read;
    // either way they are errors, and nothing outside the site is read.
    assert!(!located(&diagnostics, "broken-link").is_empty(), "{run}");
    assert_eq!(located(&diagnostics, "broken-image").len(), 2, "{run}");
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert!(!everything.contains("root:"), "the content of /etc/passwd leaked:\n{run}");
    if site.public().exists() {
        for (name, html) in html_files(&site.public()) {
            assert!(!html.contains("root:x:0:0"), "{name} shows /etc/passwd");
        }
    }
}

#[test]
fn empty_files_are_fine() {
    let site = site_with_page("empty.md", "");
    site.write("content/en-us/TOC.md", "");
    site.write("content/en-us/empty-front.md", "---\n---\n");
    survives(&site, 0, QUICK);
}

#[test]
fn a_missing_site_toml_exits_2_naming_the_file() {
    let site = TestSite::fixture("toc/markdown");
    site.remove("site.toml");
    for args in [&["check"][..], &["check", "--format", "json"], &["build"]] {
        let run = site.run(args);
        run.assert_code(2);
        run.assert_stderr_has("site.toml");
        assert_eq!(run.stdout, "", "{run}");
    }
}

#[test]
fn an_invalid_site_toml_exits_2_naming_the_file() {
    for text in ["title = \n", "", "title = \"T\"\nbase_url = \"/\"\ndefault_locale = \"en us\"\n", "\u{0}\u{ff}"] {
        let site = TestSite::fixture("toc/markdown");
        site.write("site.toml", text);
        let run = site.run(&["check"]);
        run.assert_code(2);
        run.assert_stderr_has("invalid ").assert_stderr_has("site.toml");
    }
    let no_default_folder = TestSite::fixture("toc/markdown");
    no_default_folder.edit("site.toml", "default_locale = \"en-us\"", "default_locale = \"de-de\"");
    no_default_folder.run(&["check"]).assert_code(2).assert_stderr_has("content/de-de");
}

#[test]
fn script_in_titles_is_escaped_in_every_template() {
    let site = TestSite::fixture("toc/markdown");
    site.edit("site.toml", "title = \"Fixture\"", "title = \"<script>alert(1)</script>\"");
    site.write(
        "content/en-us/xss.md",
        "---\ntitle: \"<script>alert(2)</script>\"\ndescription: \"<script>alert(3)</script>\"\n---\nBody.\n",
    );
    site.edit(
        "content/en-us/TOC.md",
        "# [Home](index.md)",
        "# [Home](index.md)\n# [<script>alert(4)</script>](xss.md)",
    );
    survives(&site, 0, QUICK);
    site.build_ok();
    let pages = html_files(&site.public());
    assert!(pages.len() > 5);
    for (name, html) in &pages {
        assert!(!html.contains("<script>alert"), "{name} holds an unescaped script:\n{html}");
    }
    let xss = site.output("en-us/xss/index.html");
    for number in 1..=4 {
        assert!(
            xss.contains(&format!("&lt;script&gt;alert({number})")),
            "alert({number}) is not shown escaped:\n{xss}"
        );
    }
}
