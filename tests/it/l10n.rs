//! `polydoc l10n status|diff|stamp` and the build's translation dashboard and stale
//! banners, on the `l10n/status` fixture (one page of each status) and on copies of the real
//! corpora: `windows-containers` (English as translated) and `windows-containers-drift`
//! (the same translations, English two months later). Expected results are computed here
//! from the files themselves (byte comparisons, SHA-1 sums, a line-based section splitter),
//! never taken from polydoc.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use sha1::{Digest as _, Sha1};

use crate::support::*;

const BASE: &str = "windows-containers";
const DRIFT: &str = "windows-containers-drift";

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{run}"))
}

/// `l10n status --format json` of a site: zh-cn's pages as path → status.
fn zh_statuses(site: &TestSite) -> BTreeMap<String, String> {
    let run = site.run(&["l10n", "status", "--format", "json"]);
    run.assert_code(0);
    json(&run)["locales"]["zh-cn"]["pages"]
        .as_array()
        .expect("a pages array")
        .iter()
        .map(|page| (page["path"].as_str().unwrap().to_string(), page["status"].as_str().unwrap().to_string()))
        .collect()
}

/// The `.md` pages of a locale folder (TOC files and includes excepted) by lowercase path
/// under the folder, with their bytes.
fn pages(root: &Path, locale: &str) -> BTreeMap<String, Vec<u8>> {
    tree_contents(&root.join("content").join(locale))
        .into_iter()
        .filter(|(rel, _)| {
            let lower = rel.to_lowercase();
            lower.ends_with(".md") && lower != "toc.md" && !lower.split('/').any(|part| part == "includes")
        })
        .map(|(rel, bytes)| (rel.to_lowercase(), bytes))
        .collect()
}

fn is_stamped(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().take_while(|l| !l.is_empty()).any(|l| l.starts_with("ms.openlocfilehash:"))
}

fn lowercase_keys(statuses: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    statuses.iter().map(|(path, status)| (path.to_lowercase(), status.clone())).collect()
}

fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

// --- status -----------------------------------------------------------------------------

#[test]
fn status_on_the_corpus_finds_every_stamped_translation_current() {
    let site = TestSite::corpus(BASE);
    let statuses = lowercase_keys(&zh_statuses(&site));
    let english = pages(site.root(), "en-us");
    let chinese = pages(site.root(), "zh-cn");
    let stamped: BTreeSet<&String> = chinese.iter().filter(|(_, b)| is_stamped(b)).map(|(p, _)| p).collect();
    let unstamped: BTreeSet<&String> = chinese.keys().filter(|p| !stamped.contains(p)).collect();
    assert_eq!(stamped.len(), 53);
    assert_eq!(unstamped.len(), 2, "{unstamped:?}");
    for path in &stamped {
        assert_eq!(statuses[*path], "up-to-date", "{path}");
    }
    for path in &unstamped {
        // The two pages without front matter.
        assert!(!chinese[*path].starts_with(b"---"), "{path}");
        assert_eq!(statuses[*path], "unstamped", "{path}");
    }
    let missing: Vec<&String> = statuses.iter().filter(|(_, s)| *s == "missing").map(|(p, _)| p).collect();
    assert_eq!(missing, ["images-eula.md"]);
    assert!(!chinese.contains_key("images-eula.md") && english.contains_key("images-eula.md"));
    assert_eq!(statuses.len(), english.len());
}

#[test]
fn status_on_the_drift_corpus_names_exactly_the_pages_whose_english_changed() {
    let site = TestSite::corpus(DRIFT);
    let statuses = lowercase_keys(&zh_statuses(&site));
    let then = pages(&Path::new(REPO_ROOT).join("../shared/corpus").join(BASE), "en-us");
    let now = pages(site.root(), "en-us");
    let chinese = pages(site.root(), "zh-cn");
    let changed: BTreeSet<&String> =
        now.iter().filter(|(path, bytes)| then.get(*path) != Some(*bytes)).map(|(path, _)| path).collect();
    let expected_stale: BTreeSet<&String> =
        changed.iter().copied().filter(|path| chinese.get(*path).is_some_and(|b| is_stamped(b))).collect();
    let stale: BTreeSet<&String> = statuses.iter().filter(|(_, s)| *s == "stale").map(|(p, _)| p).collect();
    assert_eq!(stale, expected_stale);
    assert_eq!(stale.len(), 8);
    for (path, bytes) in &chinese {
        if is_stamped(bytes) && !changed.contains(path) {
            assert_eq!(statuses[path], "up-to-date", "{path}");
        }
    }
}

#[test]
fn status_json_has_the_shape_of_the_spec() {
    let site = TestSite::fixture("l10n/status");
    let run = site.run(&["l10n", "status", "--format", "json"]);
    run.assert_code(0);
    let json = json(&run);
    assert_eq!(json["source_locale"], "en-us");
    let zh = &json["locales"]["zh-cn"];
    let summary: BTreeMap<&str, u64> =
        zh["summary"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_u64().unwrap())).collect();
    assert_eq!(
        summary,
        BTreeMap::from([
            ("up_to_date", 1),
            ("stale", 1),
            ("missing", 1),
            ("orphaned", 1),
            ("unstamped", 1),
            ("machine_translated", 1)
        ])
    );
    let install = zh["pages"].as_array().unwrap().iter().find(|p| p["path"] == "guide/install.md").unwrap();
    let keys: BTreeSet<&str> = install.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["path", "status", "machine_translated", "last_handoff", "source_commit"]));
    assert_eq!(install["status"], "stale");
    assert_eq!(install["machine_translated"], true);
    assert_eq!(install["last_handoff"], "2020-03-10");
    assert_eq!(install["source_commit"], "8eedfdc1fda9d0abb36e28dc2b5fb39891777364");
    assert_eq!(zh["folders"]["guide/"]["missing"], 1);
}

#[test]
fn status_text_lists_what_needs_work_first_without_colour_when_piped() {
    let site = TestSite::fixture("l10n/status");
    let run = site.run(&["l10n", "status"]);
    run.assert_code(0);
    assert!(!run.stdout.contains('\x1b'), "colour codes in piped output:\n{run}");
    let order: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|line| line.split_whitespace().collect::<Vec<_>>().get(1).copied())
        .filter(|word| word.ends_with(".md"))
        .collect();
    assert_eq!(order, ["guide/install.md", "guide/use.md", "faq.md", "guide/old.md", "index.md"], "{run}");
    assert!(run.stdout.contains("1 of 4 pages up to date (25%)"), "{run}");
}

#[test]
fn fail_on_trips_only_for_its_status() {
    let base = TestSite::corpus(BASE);
    base.run(&["l10n", "status", "--fail-on", "stale"]).assert_code(0);
    base.run(&["l10n", "status", "--fail-on", "missing"]).assert_code(1);
    let drift = TestSite::corpus(DRIFT);
    drift
        .run(&["l10n", "status", "--format", "json", "--fail-on", "stale,missing"])
        .assert_code(1)
        .assert_stderr_has("--fail-on stale: 8 stale page(s)")
        .assert_stderr_has("--fail-on missing: 1 missing page(s)");
    drift.run(&["l10n", "status"]).assert_code(0);
}

#[test]
fn bad_requests_exit_2_with_a_message() {
    let site = TestSite::fixture("l10n/status");
    site.run(&["l10n", "status", "--locale", "fr-fr"]).assert_code(2).assert_stderr_has("--locale fr-fr");
    site.run(&["l10n", "status", "--format", "xml"]).assert_code(2);
    site.run(&["l10n", "stamp", "--locale", "en-us", "faq.md"]).assert_code(2).assert_stderr_has("source locale");
    site.run(&["l10n", "stamp", "--locale", "zh-cn", "nope.md"]).assert_code(2).assert_stderr_has("nope.md");
    site.run(&["l10n", "stamp", "--locale", "zh-cn", "guide/use.md"])
        .assert_code(2)
        .assert_stderr_has("no zh-cn translation");
    let empty = TestSite::empty();
    empty.run(&["l10n", "status"]).assert_code(2).assert_stderr_has("site.toml");
}

// --- dashboard ------------------------------------------------------------------------

#[test]
fn status_html_is_a_dashboard_document() {
    let site = TestSite::fixture("l10n/status");
    let run = site.run(&["l10n", "status", "--format", "html"]);
    run.assert_code(0);
    let html = &run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_eq!(html_lang(html), "en-US");
    assert!(html.contains("class=\"bar\""), "no progress bar");
    let rows = element_with_class(html, "table", "pd-sortable").matches("<tr>").count();
    assert_eq!(rows, 1 + 5, "a header row and one row per page");
    // Standalone, links go to the published site at base_url.
    assert!(html.contains("href=\"https://fixture.example/docs/zh-cn/guide/install/\""), "{html}");
    assert!(html.contains("href=\"https://fixture.example/docs/en-us/guide/install/\""), "{html}");
}

#[test]
fn build_writes_the_dashboard_with_working_links_unless_disabled() {
    let site = TestSite::fixture("l10n/status");
    site.build_ok();
    let dashboard = site.output("_l10n/index.html");
    assert!(dashboard.contains("href=\"../zh-cn/guide/install/\""), "{dashboard}");
    // A missing page links to its source only; an orphan to its translation only.
    let use_row = dashboard.lines().find(|l| l.contains("<code>guide/use.md</code>")).unwrap();
    assert!(use_row.contains("../en-us/guide/use/") && !use_row.contains("../zh-cn/guide/use/"), "{use_row}");
    let old_row = dashboard.lines().find(|l| l.contains("<code>guide/old.md</code>")).unwrap();
    assert!(old_row.contains("../zh-cn/guide/old/") && !old_row.contains("../en-us/"), "{old_row}");
    let failures = check_links(&site.public(), "/docs/");
    assert!(failures.is_empty(), "{}", describe(&failures));
    assert!(!site.output("sitemap.xml").contains("_l10n"), "the dashboard is not a page of the site");

    let mut config = site.read("site.toml");
    config.push_str("\n[l10n]\ndashboard = false\n");
    site.write("site.toml", config);
    site.build_ok();
    assert!(!site.output_exists("_l10n/index.html"));
}

// --- stamp ----------------------------------------------------------------------------

/// The front-matter lines of a translation other than the three stamp keys, and the body.
fn without_stamp_keys(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .filter(|line| {
            !["ms.openlocfilehash:", "ms.sourcegitcommit:", "ms.lasthandoff:"]
                .iter()
                .any(|k| line.starts_with(k.as_bytes()))
        })
        .map(<[u8]>::to_vec)
        .collect()
}

fn stamp_value(bytes: &[u8], key: &str) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{key}: ")).map(|value| value.trim_end().to_string()))
}

#[test]
fn stamp_turns_a_stale_page_current_and_changes_no_other_byte() {
    let site = TestSite::corpus(DRIFT);
    let page = "deploy-containers/version-compatibility.md";
    let file = format!("content/zh-cn/{page}");
    // The CRLF-and-BOM variant is what a translator on Windows hands back.
    let lf = std::fs::read(site.path(&file)).unwrap();
    let crlf: Vec<u8> =
        [&b"\xef\xbb\xbf"[..], &String::from_utf8(lf.clone()).unwrap().replace('\n', "\r\n").into_bytes()].concat();
    for original in [lf, crlf] {
        site.write(&file, &original);
        assert_eq!(zh_statuses(&site)[page], "stale");
        let run = site.run(&["l10n", "stamp", "--locale", "zh-cn", page]);
        run.assert_code(0);
        run.assert_stderr_has("stamped content/zh-cn/deploy-containers/version-compatibility.md");
        let stamped = std::fs::read(site.path(&file)).unwrap();
        assert_eq!(without_stamp_keys(&stamped), without_stamp_keys(&original), "bytes outside the stamp changed");
        assert_eq!(stamped.starts_with(b"\xef\xbb\xbf"), original.starts_with(b"\xef\xbb\xbf"));
        let english = std::fs::read(site.path(&format!("content/en-us/{page}"))).unwrap();
        assert_eq!(stamp_value(&stamped, "ms.openlocfilehash"), Some(sha1_hex(&english)));
        let handoff = stamp_value(&stamped, "ms.lasthandoff").unwrap();
        assert!(US_DATE.is_match(&handoff), "{handoff}");
        // Not in git: the old commit is left as it was.
        assert_eq!(stamp_value(&stamped, "ms.sourcegitcommit"), stamp_value(&original, "ms.sourcegitcommit"));
        assert_eq!(zh_statuses(&site)[page], "up-to-date");
    }
}

#[test]
fn stamp_adds_front_matter_to_an_unstamped_page_and_takes_file_paths() {
    let site = TestSite::corpus(BASE);
    let page = "quick-start/Insider-Known-Issues.md";
    let file = format!("content/zh-cn/{page}");
    let original = std::fs::read(site.path(&file)).unwrap();
    assert_eq!(zh_statuses(&site)[page], "unstamped");
    // SOURCE_DATE_EPOCH fixes "today": 2020-04-27T16:44:00Z.
    let output = Command::new(env!("CARGO_BIN_EXE_polydoc"))
        .args(["l10n", "stamp", "--locale", "zh-cn", &file])
        .current_dir(site.root())
        .env("SOURCE_DATE_EPOCH", "1588005840")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stamped = std::fs::read(site.path(&file)).unwrap();
    assert!(stamped.ends_with(&original), "the original bytes must follow the new block");
    let block = String::from_utf8(stamped[..stamped.len() - original.len()].to_vec()).unwrap();
    let english = std::fs::read(site.path(&format!("content/en-us/{page}"))).unwrap();
    let newline = if original.windows(2).any(|w| w == b"\r\n") { "\r\n" } else { "\n" };
    assert_eq!(
        block,
        format!(
            "---{newline}ms.openlocfilehash: {}{newline}ms.lasthandoff: 04/27/2020{newline}---{newline}",
            sha1_hex(&english)
        )
    );
    assert_eq!(zh_statuses(&site)[page], "up-to-date");
}

#[test]
fn stamp_reports_malformed_front_matter_and_leaves_the_file_alone() {
    let site = TestSite::fixture("l10n/status");
    let broken = "---\ntitle: 坏\n# 没有结束的前言\n";
    site.write("content/zh-cn/faq.md", broken);
    let run = site.run(&["l10n", "stamp", "--locale", "zh-cn", "faq.md", "index.md"]);
    run.assert_code(1);
    run.assert_stderr_has("content/zh-cn/faq.md:1:1: error[front-matter]");
    assert_eq!(site.read("content/zh-cn/faq.md"), broken);
    // The other page was stamped all the same.
    run.assert_stderr_has("stamped content/zh-cn/index.md");
}

// --- diff and the build's banners, in git ---------------------------------------------

/// Runs `git ARGS…` in `dir` (the tests may use the git CLI; polydoc may not).
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=polydoc tests", "-c", "user.email=tests@polydoc.invalid", "-c", "commit.gpgsign=false"])
        .args(["-c", "core.autocrlf=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The drift corpus as a git history: the English as translated, then the English two
/// months later, then the Chinese translations.
fn corpus_history() -> TestSite {
    let site = TestSite::corpus(DRIFT);
    let english = site.path("content/en-us");
    std::fs::remove_dir_all(&english).unwrap();
    copy_tree(&Path::new(REPO_ROOT).join("../shared/corpus").join(BASE).join("content/en-us"), &english);
    git(site.root(), &["init", "-q"]);
    git(site.root(), &["add", "content/en-us"]);
    git(site.root(), &["commit", "-q", "-m", "English as translated"]);
    std::fs::remove_dir_all(&english).unwrap();
    copy_tree(&Path::new(REPO_ROOT).join("../shared/corpus").join(DRIFT).join("content/en-us"), &english);
    git(site.root(), &["add", "-A", "content/en-us"]);
    git(site.root(), &["commit", "-q", "-m", "English two months later"]);
    git(site.root(), &["add", "-A"]);
    git(site.root(), &["commit", "-q", "-m", "Chinese translations"]);
    site
}

static ATX_HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?[ \t]*$").unwrap());
static ANCHOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^<a name="([^"]+)"></a>"#).unwrap());
static LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\([^)]*\)").unwrap());
static CLOSING_HASHES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[ \t]+#+$").unwrap());
static US_DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d\d/\d\d/\d{4}$").unwrap());
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]+>").unwrap());

/// A page's sections as (id, text), by a line-based reading independent of polydoc's
/// parser: ATX headings outside fenced code start sections (tab labels do not), ids come
/// from a leading `<a name>` or a GitHub slug, repeated ids get `-1`, `-2`.
fn split_sections(file: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(file).trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let body = match text.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")) {
        Some((_, body)) => body.to_string(),
        None => text.clone(),
    };
    let mut sections: Vec<(String, String)> = vec![(String::new(), String::new())];
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut fence: Option<char> = None;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(marker) = ['`', '~'].into_iter().find(|m| trimmed.starts_with(&m.to_string().repeat(3))) {
            fence = match fence {
                None => Some(marker),
                Some(open) if open == marker => None,
                open => open,
            };
        }
        let heading = ATX_HEADING.captures(line.trim_end_matches('\n')).filter(|_| fence.is_none());
        match heading {
            Some(captures) if !line.contains("](#tab/") => {
                let content = captures.get(1).map_or("", |m| m.as_str());
                let content = CLOSING_HASHES.replace(content, "").to_string();
                let wanted = match ANCHOR.captures(&content) {
                    Some(anchor) => anchor[1].to_string(),
                    None => slug(&content),
                };
                let mut id = wanted.clone();
                let mut counter = 0;
                while used.contains(&id) {
                    counter += 1;
                    id = format!("{wanted}-{counter}");
                }
                used.insert(id.clone());
                sections.push((id, line.to_string()));
            }
            _ => sections.last_mut().unwrap().1.push_str(line),
        }
    }
    sections.retain(|(id, text)| !id.is_empty() || !text.trim().is_empty());
    sections
}

fn slug(heading: &str) -> String {
    let plain = TAG.replace_all(&LINK.replace_all(heading, "$1"), "").replace(['`', '*'], "");
    plain
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// (changed, added, removed) section ids between two versions, by text comparison.
fn section_changes(old: &[u8], new: &[u8]) -> [BTreeSet<String>; 3] {
    let old: BTreeMap<String, String> = split_sections(old).into_iter().collect();
    let new: BTreeMap<String, String> = split_sections(new).into_iter().collect();
    let changed = new.iter().filter(|(id, text)| old.get(*id).is_some_and(|t| t != *text)).map(|(id, _)| id.clone());
    let added = new.keys().filter(|id| !old.contains_key(*id)).cloned();
    let removed = old.keys().filter(|id| !new.contains_key(*id)).cloned();
    [changed.collect(), added.collect(), removed.collect()]
}

#[test]
fn diff_reports_the_sections_a_text_diff_finds() {
    let site = corpus_history();
    let corpus = Path::new(REPO_ROOT).join("../shared/corpus");
    let mut stale: Vec<String> =
        zh_statuses(&site).into_iter().filter(|(_, status)| status == "stale").map(|(path, _)| path).collect();
    assert_eq!(stale.len(), 8);
    // The page the issue names first, then every other stale page.
    stale.sort_by_key(|path| path != "deploy-containers/version-compatibility.md");
    let first_commit = git(site.root(), &["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    for page in &stale {
        let run = site.run(&["l10n", "diff", "--locale", "zh-cn", page, "--format", "json"]);
        run.assert_code(0);
        let json = json(&run);
        assert_eq!(json["base"]["found_by"], "openlocfilehash", "{page}");
        assert_eq!(json["base"]["commit"], first_commit.as_str(), "{page}");
        let mut reported: [BTreeSet<String>; 3] = Default::default();
        for section in json["sections"].as_array().unwrap() {
            let slot = match section["change"].as_str().unwrap() {
                "changed" => 0,
                "added" => 1,
                "removed" => 2,
                other => panic!("unknown change {other}"),
            };
            reported[slot].insert(section["id"].as_str().unwrap().to_string());
        }
        let then = std::fs::read(corpus.join(BASE).join("content/en-us").join(page)).unwrap();
        let now = std::fs::read(corpus.join(DRIFT).join("content/en-us").join(page)).unwrap();
        assert_eq!(reported, section_changes(&then, &now), "{page}");
        if page == "deploy-containers/version-compatibility.md" {
            assert!(!reported[0].is_empty(), "the page's tables changed");
            let text = site.run(&["l10n", "diff", "--locale", "zh-cn", page]);
            text.assert_code(0);
            assert!(
                text.stdout.contains(
                    "section `#windows-server-host-os-compatibility` (Windows Server 主机操作系统兼容性): 4 tables changed"
                ),
                "{text}"
            );
        }
    }
}

#[test]
fn diff_falls_back_to_the_stamped_commit_and_explains_when_it_cannot_help() {
    let site = corpus_history();
    let page = "kubernetes/common-problems.md";
    let file = format!("content/zh-cn/{page}");
    let first_commit = git(site.root(), &["rev-list", "--max-parents=0", "HEAD"]).trim().to_string();
    let text = site.read(&file);
    let hash = stamp_value(text.as_bytes(), "ms.openlocfilehash").unwrap();
    let commit = stamp_value(text.as_bytes(), "ms.sourcegitcommit").unwrap();
    // A hash no version has: the stamped commit is used if the repository has it.
    let unknown_hash = text.replace(&hash, "0000000000000000000000000000000000000000");
    site.write(&file, unknown_hash.replace(&commit, &first_commit));
    let run = site.run(&["l10n", "diff", "--locale", "zh-cn", page, "--format", "json"]);
    run.assert_code(0);
    assert_eq!(json(&run)["base"]["found_by"], "sourcegitcommit");
    site.write(&file, &unknown_hash);
    site.run(&["l10n", "diff", "--locale", "zh-cn", page])
        .assert_code(2)
        .assert_stderr_has("no version of content/en-us/kubernetes/common-problems.md in the git history");
    // An up-to-date page has nothing to show.
    let up_to_date = site.run(&["l10n", "diff", "--locale", "zh-cn", "about/containers-vs-vm.md"]);
    up_to_date.assert_code(0);
    assert!(up_to_date.stdout.contains("is up to date"), "{up_to_date}");
}

#[test]
fn diff_outside_git_says_it_needs_the_history() {
    let site = TestSite::corpus(DRIFT);
    site.run(&["l10n", "diff", "--locale", "zh-cn", "kubernetes/common-problems.md"])
        .assert_code(2)
        .assert_stderr_has("is not inside a git repository");
    site.run(&["l10n", "diff", "--locale", "zh-cn", "quick-start/Insider-Known-Issues.md"])
        .assert_code(2)
        .assert_stderr_has("no ms.openlocfilehash stamp");
}

#[test]
fn stale_banners_list_the_changed_sections_where_git_has_the_history() {
    let site = corpus_history();
    site.build_ok();
    let html = site.output("zh-cn/kubernetes/common-problems/index.html");
    let banner = element_with_class(&html, "div", "pd-banner-stale");
    let changes = element_with_class(banner, "details", "pd-banner-changes");
    let then = std::fs::read(
        Path::new(REPO_ROOT).join("../shared/corpus").join(BASE).join("content/en-us/kubernetes/common-problems.md"),
    )
    .unwrap();
    let now = std::fs::read(site.path("content/en-us/kubernetes/common-problems.md")).unwrap();
    let [changed, added, removed] = section_changes(&then, &now);
    assert_eq!(changes.matches("<li class=\"pd-change-changed\">").count(), changed.len(), "{changes}");
    assert_eq!(changes.matches("<li class=\"pd-change-added\">").count(), added.len(), "{changes}");
    assert_eq!(changes.matches("<li class=\"pd-change-removed\">").count(), removed.len(), "{changes}");
    for id in &changed {
        assert!(
            changes.contains(&format!("href=\"../../../en-us/kubernetes/common-problems/#{id}\"")),
            "{id}: {changes}"
        );
    }
    // Named in the reader's language where the translation has the section.
    assert!(changes.contains("我的 Windows 节点无法访问 NodePort 服务"), "{changes}");
    // A stale translation is still that language's version of the page.
    assert!(head_links(&html, "alternate").iter().any(|l| l.contains("hreflang=\"zh-CN\"")));
    let failures = check_links(&site.public(), "/");
    let unexpected: Vec<_> = failures.iter().filter(|f| f.url.contains("common-problems/#")).collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");

    // Without the history the banner stays, with no list.
    std::fs::remove_dir_all(site.path(".git")).unwrap();
    site.build_ok();
    let html = site.output("zh-cn/kubernetes/common-problems/index.html");
    assert!(html.contains("pd-banner-stale") && !html.contains("pd-banner-changes"));
}

/// A history in pack files, as in any clone, gives the same banners as loose objects: the
/// lookups that miss (the docs' upstream `ms.sourcegitcommit`s) do not send the object
/// store back to the disk, which must not keep it from reading the packs.
#[test]
fn stale_banners_read_a_packed_history() {
    let site = corpus_history();
    site.build_ok();
    let page = "zh-cn/kubernetes/common-problems/index.html";
    let from_loose_objects = site.output(page);
    assert!(from_loose_objects.contains("pd-banner-changes"));
    git(site.root(), &["gc", "-q"]);
    let packs = std::fs::read_dir(site.path(".git/objects/pack")).unwrap();
    assert!(packs.flatten().any(|entry| entry.path().extension().is_some_and(|e| e == "pack")), "no pack");
    std::fs::remove_dir_all(site.path(".polydoc-cache")).unwrap();
    std::fs::remove_dir_all(site.public()).unwrap();
    site.build_ok();
    assert_eq!(site.output(page), from_loose_objects);
}

#[test]
fn stamp_in_git_records_head_and_diff_then_has_nothing_to_show() {
    let site = corpus_history();
    let page = "quick-start/building-sample-app.md";
    site.run(&["l10n", "stamp", "--locale", "zh-cn", page]).assert_code(0);
    let stamped = site.read(&format!("content/zh-cn/{page}"));
    let head = git(site.root(), &["rev-parse", "HEAD"]);
    assert_eq!(stamp_value(stamped.as_bytes(), "ms.sourcegitcommit").as_deref(), Some(head.trim()));
    let run = site.run(&["l10n", "diff", "--locale", "zh-cn", page, "--format", "json"]);
    run.assert_code(0);
    let json = json(&run);
    assert_eq!(json["status"], "up-to-date");
    assert!(json["base"].is_null() && json["sections"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn a_site_without_translations_says_so_and_gets_no_dashboard() {
    let site = TestSite::empty();
    site.write("site.toml", "title = \"T\"\nbase_url = \"/\"\ndefault_locale = \"en-us\"\n");
    site.write("content/en-us/index.md", "# Home\n");
    let run = site.run(&["l10n", "status"]);
    run.assert_code(0);
    assert!(run.stdout.contains("no translation locales"), "{run}");
    assert_eq!(json(&site.run(&["l10n", "status", "--format", "json"]))["locales"], serde_json::json!({}));
    site.build_ok();
    assert!(!site.output_exists("_l10n/index.html"));
}

#[test]
fn served_stale_banners_follow_edits_of_the_source() {
    // `serve` keeps the stale banners' answer while every stale page is the same page: an
    // edit elsewhere keeps it, an edit of a stale page's source must not.
    let site = corpus_history();
    let server = crate::serve::Server::start(site.root());
    let url = "/zh-cn/kubernetes/common-problems/";
    let added = |body: &str| body.matches("<li class=\"pd-change-added\">").count();
    let before = added(&server.get(url).body);
    assert!(server.get(url).body.contains("pd-banner-changes"));

    let elsewhere = "content/en-us/communitylinks.md";
    site.write(elsewhere, format!("{}\nAn edited paragraph elsewhere.\n", site.read(elsewhere)));
    let edited = |body: &str| body.contains("An edited paragraph elsewhere.");
    server.wait_for_body("/en-us/communitylinks/", edited, Duration::from_secs(10));
    assert_eq!(added(&server.get(url).body), before);

    let source = "content/en-us/kubernetes/common-problems.md";
    site.write(source, format!("{}\n## A section added while serving\n\nNew text.\n", site.read(source)));
    server.wait_for_body(url, |body| added(body) == before + 1, Duration::from_secs(10));
    assert!(server.get(url).body.contains("A section added while serving"));
}
