//! The search index in a built site: one per locale under `<locale>/_search/`, holding the
//! pages that locale owns (fallback copies left out), found by `polydoc::search::query`,
//! which ranks as the theme's script does; the search box on every page; chunk files
//! named by their content and never named in a page. The script itself is tested in a
//! browser (`e2e.rs`).

use std::collections::BTreeSet;

use polydoc::search::query::{self, Hit};
use polydoc::search::tokenize::Tokenizer;
use regex::Regex;
use serde_json::Value;

use crate::support::{TestSite, html_files};

const SEED: &str = "about/containers-vs-vm/";

fn search(site: &TestSite, locale: &str, text: &str) -> Vec<Hit> {
    let folder = site.public().join(locale).join("_search");
    let read = |name: &str| std::fs::read(folder.join(name)).ok();
    query::search(&Tokenizer::new(), text, &read).unwrap_or_else(|e| panic!("{locale} {text:?}: {e:#}")).0
}

/// The URLs (relative to the locale root) of every page a locale's index holds.
fn indexed_urls(site: &TestSite, locale: &str) -> BTreeSet<String> {
    let entry: Value = serde_json::from_str(&site.output(&format!("{locale}/_search/index.json"))).expect("JSON");
    let mut urls = BTreeSet::new();
    for chunk in entry["page_chunks"].as_array().expect("page chunks") {
        let file = format!("{locale}/_search/{}", chunk[1].as_str().expect("a file"));
        let pages: Value = serde_json::from_str(&site.output(&file)).expect("JSON");
        urls.extend(pages.as_array().expect("pages").iter().map(|p| p[0].as_str().expect("a URL").to_string()));
    }
    assert_eq!(urls.len() as u64, entry["pages"].as_u64().expect("a count"));
    urls
}

#[test]
fn each_locale_indexes_its_own_pages_and_no_fallback() {
    let site = TestSite::example();
    site.build_ok();
    let zh = indexed_urls(&site, "zh-cn");
    assert_eq!(
        zh.iter().map(String::as_str).collect::<Vec<_>>(),
        [
            "",
            "about/",
            "about/containers-vs-vm/",
            "container-networking/architecture/",
            "deploy-containers/version-compatibility/",
            "manage-containers/hyperv-container/",
        ],
        "zh-cn has no system requirements of its own: its fallback copy stays out"
    );
    let en = indexed_urls(&site, "en-us");
    assert!(en.contains("deploy-containers/system-requirements/"), "{en:#?}");
    // The fallback's words are found once, in the source locale.
    let megabytes = |locale| search(&site, locale, "megabytes").into_iter().map(|h| h.url).collect::<Vec<_>>();
    assert_eq!(megabytes("en-us"), ["deploy-containers/system-requirements/"]);
    assert!(megabytes("zh-cn").is_empty());
}

#[test]
fn the_seed_article_is_found_in_both_languages() {
    let site = TestSite::example();
    site.build_ok();
    let hits = search(&site, "zh-cn", "容器");
    assert!(hits.iter().any(|h| h.url == SEED), "{hits:#?}");
    // A Chinese word inside a sentence, not only in titles.
    let hits = search(&site, "zh-cn", "虚拟机");
    assert_eq!(hits.first().map(|h| h.url.as_str()), Some(SEED), "{hits:#?}");
    let hits = search(&site, "en-us", "virtual machine");
    assert_eq!(hits.first().map(|h| h.url.as_str()), Some(SEED), "the title match comes first: {hits:#?}");
    // As one types: the last word is a prefix.
    let hits = search(&site, "en-us", "virtual mach");
    assert_eq!(hits.first().map(|h| h.url.as_str()), Some(SEED), "{hits:#?}");
    assert!(search(&site, "en-us", "xyzzy").is_empty());
}

#[test]
fn every_page_has_the_search_box_and_its_fingerprinted_files() {
    let site = TestSite::example();
    site.build_ok();
    let script = Regex::new(r#"<script src="([^"]*?)(search\.[0-9a-f]{8}\.js)" defer></script>"#).unwrap();
    let style = Regex::new(r#"<link rel="stylesheet" href="[^"]*?(search\.[0-9a-f]{8}\.css)">"#).unwrap();
    let index = Regex::new(r#"data-pd-index="([^"]*)""#).unwrap();
    let mut pages = 0;
    for (path, html) in html_files(&site.public()) {
        if path == "index.html" || path.starts_with("_l10n/") {
            continue; // The locale chooser and the dashboard have no header.
        }
        pages += 1;
        assert!(html.contains(r#"<input type="search" id="pd-search""#), "{path} has no search box");
        let found = script.captures(&html).unwrap_or_else(|| panic!("{path} loads no search script"));
        assert!(site.output_exists(&found[2]), "{path}: {} is missing", &found[2]);
        let css = style.captures(&html).unwrap_or_else(|| panic!("{path} loads no search stylesheet"));
        assert!(site.output_exists(&css[1]), "{path}: {} is missing", &css[1]);
        // The index is found through a relative URL (404 pages use the base URL's path).
        if !path.ends_with("404.html") {
            let at = index.captures(&html).unwrap_or_else(|| panic!("{path} names no index"));
            let dir = std::path::Path::new(&path).parent().expect("a folder");
            let entry = site.public().join(dir).join(&at[1]).join("index.json");
            assert!(entry.is_file(), "{path}: {} is missing", entry.display());
        }
        // No page names a chunk: editing one page must not change every other page.
        assert!(!html.contains("terms.") && !html.contains("pages."), "{path} names an index chunk");
    }
    assert!(pages > 20, "only {pages} pages");
}

#[test]
fn chunk_files_are_named_by_their_content() {
    let site = TestSite::example();
    site.build_ok();
    for locale in ["en-us", "zh-cn"] {
        let entry: Value = serde_json::from_str(&site.output(&format!("{locale}/_search/index.json"))).expect("JSON");
        let mut named: Vec<&str> = ["term_chunks", "page_chunks"]
            .iter()
            .flat_map(|kind| entry[kind].as_array().expect("chunks").iter().map(|c| c[1].as_str().expect("name")))
            .collect();
        named.push(entry["lengths"].as_str().expect("the lengths file"));
        let on_disk: BTreeSet<String> = std::fs::read_dir(site.public().join(locale).join("_search"))
            .expect("the index folder")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name != "index.json")
            .collect();
        assert_eq!(named.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>(), on_disk);
        for name in named {
            let bytes = std::fs::read(site.public().join(locale).join("_search").join(name)).expect("a chunk");
            let hash = blake3::hash(&bytes).to_hex();
            assert!(name.contains(&hash[..10]), "{name} is not named by its content");
        }
    }
}

#[test]
fn no_search_writes_no_index_and_the_same_pages() {
    let with = TestSite::example();
    with.build_ok();
    let without = TestSite::example();
    without.build(&["--no-search"]).assert_code(0);
    assert!(!without.output_exists("en-us/_search/index.json"));
    let pages = |site: &TestSite| html_files(&site.public());
    assert_eq!(pages(&with), pages(&without), "the pages do not depend on the index");
}

#[test]
fn a_build_of_one_locale_indexes_that_locale() {
    let site = TestSite::example();
    site.build(&["--locale", "zh-cn"]).assert_code(0);
    assert!(site.output_exists("zh-cn/_search/index.json"));
    assert!(!site.output_exists("en-us/_search/index.json"));
}

/// The real docs set: a Chinese title finds its page first, and common words find many.
#[test]
fn the_windows_containers_corpus_is_searchable_in_chinese() {
    let site = TestSite::corpus("windows-containers");
    let run = site.build(&[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let hits = search(&site, "zh-cn", "隔离模式");
    assert_eq!(hits.first().map(|h| h.url.as_str()), Some("manage-containers/hyperv-container/"), "{hits:#?}");
    assert!(hits.len() > 1, "only the title page: {hits:#?}");
    let hits = search(&site, "zh-cn", "容器");
    assert!(hits.len() > 20, "{}", hits.len());
    let hits = search(&site, "en-us", "kubernetes");
    assert!(hits.iter().take(3).all(|h| h.tier == 2), "title matches first: {hits:#?}");
}

/// Every file a build writes, in memory.
#[derive(Default)]
struct Files(std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>);

impl polydoc::output::Output for Files {
    fn write(&self, rel_path: &str, bytes: polydoc::output::Bytes) -> anyhow::Result<()> {
        self.0.lock().expect("files").insert(rel_path.to_string(), bytes.to_vec());
        Ok(())
    }

    fn copy(&self, rel_path: &str, from: &std::path::Path) -> anyhow::Result<()> {
        self.0.lock().expect("files").insert(rel_path.to_string(), std::fs::read(from)?);
        Ok(())
    }
}

impl Files {
    fn index(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        let files = self.0.lock().expect("files");
        files.iter().filter(|(path, _)| path.contains("/_search/")).map(|(p, b)| (p.clone(), b.clone())).collect()
    }
}

/// A rebuild through the same cache (as `serve` does) reuses the records of unchanged
/// pages, and its index is byte for byte the one a fresh build writes.
#[test]
fn a_rebuild_indexes_the_edit_and_matches_a_fresh_build() {
    use polydoc::pipeline::{self, BuildCache, BuildOptions};
    let site = TestSite::example();
    let config = polydoc::config::Config::load(site.root()).expect("the example config");
    let options = BuildOptions { out_dir: None, locales: Vec::new(), progress: false, search: true };
    let mut cache = BuildCache::default();
    let first = Files::default();
    pipeline::run(&config, &options, &mut cache, Some(&first)).expect("a build");
    site.edit("content/zh-cn/about/containers-vs-vm.md", "容器是一个隔离的", "容器是一个隔离的量子纠缠");
    let second = Files::default();
    pipeline::run(&config, &options, &mut cache, Some(&second)).expect("a rebuild");
    let fresh = Files::default();
    pipeline::run(&config, &options, &mut BuildCache::default(), Some(&fresh)).expect("a fresh build");
    assert_ne!(first.index(), second.index(), "the edit changed the index");
    assert!(second.index() == fresh.index(), "the rebuilt index differs from a fresh build's");
    let index = second.index();
    let read = |name: &str| index.get(&format!("zh-cn/_search/{name}")).cloned();
    let (hits, _) = query::search(&Tokenizer::new(), "量子", &read).expect("a search");
    assert_eq!(hits.iter().map(|h| h.url.as_str()).collect::<Vec<_>>(), [SEED]);
}
