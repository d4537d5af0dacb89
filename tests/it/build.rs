//! `polydoc build` on a copy of the example site at the repository root: the files it
//! writes, the seed page and its translation, locale fallback, links, reproducibility,
//! the atomic write, exit codes, and snapshots of the seed pages' content.

use std::collections::BTreeMap;

use regex::Regex;

use crate::support::*;

/// The example site's `base_url` and its path, which server-absolute URLs start with.
const BASE_URL: &str = "https://polydoc.example.org/docs/";
const BASE_PATH: &str = "/docs/";

const SEED_ZH: &str = "zh-cn/about/containers-vs-vm/index.html";
const SEED_EN: &str = "en-us/about/containers-vs-vm/index.html";
const FALLBACK_ZH: &str = "zh-cn/deploy-containers/system-requirements/index.html";

/// A copy of the example site, built once successfully.
fn built_example() -> TestSite {
    let site = TestSite::example();
    site.build_ok();
    site
}

/// The `hreflang` values of a page's `<link rel="alternate">` tags.
fn alternate_langs(html: &str) -> Vec<String> {
    let hreflang = Regex::new(r#"hreflang="([^"]+)""#).unwrap();
    head_links(html, "alternate")
        .iter()
        .map(|link| hreflang.captures(link).expect("an hreflang")[1].to_string())
        .collect()
}

fn canonical(html: &str) -> String {
    let links = head_links(html, "canonical");
    assert_eq!(links.len(), 1, "one canonical link expected: {links:?}");
    let href = Regex::new(r#"href="([^"]*)""#).unwrap();
    href.captures(&links[0]).expect("a canonical href")[1].to_string()
}

#[test]
fn writes_every_site_wide_file() {
    let site = built_example();
    for file in [
        "index.html",
        "en-us/index.html",
        "zh-cn/index.html",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "zh-cn/404.html",
        "en-us/toc.json",
        "zh-cn/toc.json",
        SEED_EN,
        SEED_ZH,
        FALLBACK_ZH,
    ] {
        assert!(site.output_exists(file), "public/{file} was not written");
    }
    assert_eq!(html_lang(&site.output("404.html")), "en-US");
    assert_eq!(html_lang(&site.output("zh-cn/404.html")), "zh-CN");
    assert!(site.output("robots.txt").contains(&format!("Sitemap: {BASE_URL}sitemap.xml")));
}

#[test]
fn every_html_file_is_a_complete_document_with_a_language() {
    let site = built_example();
    let pages = html_files(&site.public());
    assert!(pages.len() >= 17, "only {} HTML files", pages.len());
    for (name, html) in pages {
        assert!(html.starts_with("<!DOCTYPE html>"), "{name} has no doctype");
        assert!(html.trim_end().ends_with("</html>"), "{name} is not closed");
        let expected = if name.starts_with("zh-cn/") { "zh-CN" } else { "en-US" };
        assert_eq!(html_lang(&html), expected, "{name}");
        assert!(element(&html, "title").len() > "<title></title>".len(), "{name} has an empty title");
    }
}

#[test]
fn summary_counts_pages_per_locale() {
    let site = TestSite::example();
    let run = site.build_ok();
    run.assert_stderr_has("en-us 7, zh-cn 6 (+1 fallback)").assert_stderr_has("0 errors");
}

#[test]
fn seed_translation_keeps_its_language_structure_and_date() {
    let html = built_example().output(SEED_ZH);
    assert_eq!(html_lang(&html), "zh-CN");
    assert_eq!(main_lang(&html), "zh-CN");
    let title = element(&html, "title");
    assert!(title.contains("容器与虚拟机"), "{title}");
    let ids = ids(&html);
    for id in ["containers-vs-virtual-machines", "container-architecture", "virtual-machine-architecture"] {
        assert!(ids.contains(id), "no id `{id}` on the zh-cn seed page");
    }
    // The table cell's raw `<br><ol><li>` passes through as HTML.
    let table = element(&html, "table");
    assert!(table.contains("<ol><li>编辑容器映像的生成文件"), "{table}");
    assert!(!table.contains("&lt;ol&gt;"), "raw HTML was escaped: {table}");
    // `ms.date: 10/21/2019`, shown the zh-CN way.
    assert!(html.contains(r#"<time datetime="2019-10-21">2019/10/21</time>"#), "no localized date");
    // The source has changed since the translation was stamped.
    assert!(html.contains("pd-banner-stale"), "no stale banner");
    assert!(!html.contains("pd-banner-fallback"));
}

#[test]
fn seed_translation_links_every_real_translation() {
    let html = built_example().output(SEED_ZH);
    assert_eq!(alternate_langs(&html), ["en-US", "zh-CN", "x-default"]);
    for (lang, path) in [("en-US", "en-us"), ("zh-CN", "zh-cn"), ("x-default", "en-us")] {
        let expected = format!(r#"hreflang="{lang}" href="{BASE_URL}{path}/about/containers-vs-vm/""#);
        assert!(head_links(&html, "alternate").iter().any(|l| l.contains(&expected)), "no alternate {expected}");
    }
    assert_eq!(canonical(&html), format!("{BASE_URL}zh-cn/about/containers-vs-vm/"));
    // The language switcher stays on the same page.
    let switcher: Vec<String> = urls(element_with_class(&html, "ul", "pd-lang-menu"))
        .into_iter()
        .map(|(_, url)| resolve_url(SEED_ZH, &url).unwrap())
        .collect();
    assert_eq!(switcher, [SEED_EN, SEED_ZH]);
}

/// `t.diagram_*` keys a diagram template uses, and their values in one locale's strings.
fn diagram_labels(template: &str, strings: &toml::Table) -> Vec<String> {
    let key = Regex::new(r"t\.(diagram_[a-z_]+)").unwrap();
    let mut labels: Vec<String> = key
        .captures_iter(template)
        .map(|c| strings[&c[1]].as_str().unwrap_or_else(|| panic!("{} is not a string", &c[1])).to_string())
        .collect();
    labels.dedup();
    labels
}

#[test]
fn diagrams_are_rendered_with_each_locales_labels() {
    let site = built_example();
    let english: toml::Table = toml::from_str(&site.read("i18n/en-us.toml")).unwrap();
    let chinese: toml::Table = toml::from_str(&site.read("i18n/zh-cn.toml")).unwrap();
    let all_english: Vec<&str> =
        english.iter().filter(|(k, _)| k.starts_with("diagram_")).map(|(_, v)| v.as_str().unwrap()).collect();
    assert!(all_english.len() >= 10, "the example's English diagram labels went missing: {all_english:?}");
    let page = site.output(SEED_ZH);
    let sources: Vec<String> = urls(&page)
        .into_iter()
        .filter(|(attr, url)| attr == "src" && url.ends_with("-diagram.svg"))
        .map(|(_, url)| url)
        .collect();
    assert_eq!(sources.len(), 2, "expected two diagrams, got {sources:?}");

    for name in ["container-diagram", "virtual-machine-diagram"] {
        let src = sources
            .iter()
            .find(|src| src.ends_with(&format!("/{name}.svg")))
            .unwrap_or_else(|| panic!("no <img> for {name}"));
        let target = resolve_url(SEED_ZH, src).unwrap();
        assert_eq!(target, format!("zh-cn/about/media/{name}.svg"), "{src} does not point at the zh-cn diagram");
        let zh_svg = site.output(&target);
        for label in ["内核", "硬件"] {
            assert!(zh_svg.contains(label), "{target} lacks the label {label}");
        }
        for label in &all_english {
            assert!(!zh_svg.contains(label), "{target} holds the English label `{label}`");
        }
        let template = site.read(&format!("content/en-us/about/media/{name}.svg.tera"));
        for label in diagram_labels(&template, &chinese) {
            assert!(zh_svg.contains(&label), "{target} lacks `{label}`");
        }
        let en_svg = site.output(&format!("en-us/about/media/{name}.svg"));
        for label in diagram_labels(&template, &english) {
            assert!(en_svg.contains(&label), "the en-us {name}.svg lacks `{label}`");
        }
        assert!(!en_svg.contains("内核"), "the en-us {name}.svg holds Chinese labels");
    }
}

#[test]
fn missing_translation_falls_back_to_the_source_page() {
    let site = built_example();
    let html = site.output(FALLBACK_ZH);
    assert_eq!(html_lang(&html), "zh-CN", "the chrome is Chinese");
    assert_eq!(main_lang(&html), "en-US", "the content is English");
    assert!(html.contains("pd-banner-fallback"), "no fallback banner");
    assert_eq!(canonical(&html), format!("{BASE_URL}en-us/deploy-containers/system-requirements/"));
    assert!(!alternate_langs(&html).contains(&"zh-CN".to_string()), "a fallback page claims to be a zh-CN translation");

    let sitemap = site.output("sitemap.xml");
    assert!(sitemap.contains(&format!("<loc>{BASE_URL}en-us/deploy-containers/system-requirements/</loc>")));
    assert!(
        !sitemap.contains("zh-cn/deploy-containers/system-requirements"),
        "the sitemap lists the zh-cn fallback or claims it as a translation:\n{sitemap}"
    );
    // Real translations are listed with their alternates.
    assert!(sitemap.contains(&format!(r#"hreflang="zh-CN" href="{BASE_URL}zh-cn/about/containers-vs-vm/""#)));
}

#[test]
fn every_internal_link_image_and_anchor_resolves() {
    let site = built_example();
    let failures = check_links(&site.public(), BASE_PATH);
    assert!(failures.is_empty(), "broken links in the output:\n{}", describe(&failures));
}

#[test]
fn base_url_override_is_used_only_for_absolute_urls() {
    const OVERRIDE: &str = "https://example.org/sub/path/";
    let site = TestSite::example();
    site.build(&["--base-url", OVERRIDE]).assert_code(0);

    assert_eq!(canonical(&site.output(SEED_ZH)), format!("{OVERRIDE}zh-cn/about/containers-vs-vm/"));
    for link in head_links(&site.output(SEED_ZH), "alternate") {
        assert!(link.contains(&format!(r#"href="{OVERRIDE}"#)), "{link}");
    }
    let sitemap = site.output("sitemap.xml");
    let locs: Vec<&str> = sitemap.lines().filter(|l| l.contains("<loc>")).collect();
    assert!(!locs.is_empty());
    for loc in locs {
        assert!(loc.trim().starts_with(&format!("<loc>{OVERRIDE}")), "{loc}");
    }
    assert!(!sitemap.contains(BASE_URL));
    assert!(site.output("robots.txt").contains(&format!("Sitemap: {OVERRIDE}sitemap.xml")));

    // Only canonical and alternate links are absolute; every other URL stays relative.
    let absolute_links = Regex::new(r#"<link rel="(?:canonical|alternate)"[^>]*>"#).unwrap();
    for (file, html) in html_files(&site.public()) {
        for (attribute, url) in urls(&absolute_links.replace_all(&html, "")) {
            assert!(!url.starts_with("https://example.org"), "{file}: {attribute}=\"{url}\" is absolute");
        }
    }
    // The 404 pages are served at any URL, so they use the base path.
    assert!(site.output("404.html").contains(r#"href="/sub/path/en-us/""#));
    let failures = check_links(&site.public(), "/sub/path/");
    assert!(failures.is_empty(), "broken links in the output:\n{}", describe(&failures));
}

#[test]
fn builds_are_reproducible() {
    let site = TestSite::example();
    let first = site.path("out-one");
    let second = site.path("nested/out-two");
    site.build(&["--out", first.to_str().unwrap()]).assert_code(0);
    site.build(&["--out", second.to_str().unwrap()]).assert_code(0);
    let first = tree_contents(&first);
    assert!(first.len() > 20, "suspiciously few files: {:?}", first.keys());
    assert_same_tree(&first, &tree_contents(&second));
}

#[test]
fn failed_build_reports_front_matter_and_keeps_previous_output() {
    let site = built_example();
    let before = tree_contents(&site.public());

    let page = "content/en-us/about/index.md";
    site.edit(page, "title: Windows and containers\n", "title: [unclosed\n");
    let run = site.build(&[]);
    run.assert_code(1);
    let diagnostic = Regex::new(r"content/en-us/about/index\.md:(\d+):(\d+): error\[front-matter\]").unwrap();
    let captures = diagnostic.captures(&run.stderr).unwrap_or_else(|| panic!("no located front-matter error\n{run}"));
    let line: usize = captures[1].parse().unwrap();
    assert!((2..=10).contains(&line), "line {line} is not inside the front matter\n{run}");

    assert_same_tree(&before, &tree_contents(&site.public()));
    let leftovers: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("staging") || name.contains(".old"))
        .collect();
    assert!(leftovers.is_empty(), "the failed build left {leftovers:?} behind");
}

#[test]
fn a_template_failing_while_the_search_index_is_made_keeps_previous_output() {
    // The search index is assembled beside the templates: a template that fails to render
    // must leave no index file (nor anything else) of the failed build behind.
    let site = built_example();
    let before = tree_contents(&site.public());
    assert!(before.keys().any(|name| name.starts_with("en-us/_search/terms.")), "no index to keep");
    let page = include_str!("../../theme/templates/page.html");
    site.write("templates/page.html", page.replace("{{ page.content | safe }}", "{{ page.no_such_field.at_all }}"));
    site.write("content/en-us/new-page.md", "---\ntitle: A new page\n---\n# A new page\n\nFresh words.\n");
    let run = site.build(&[]);
    run.assert_code(2).assert_stderr_has("page.html").assert_stderr_lacks("panicked");
    assert_same_tree(&before, &tree_contents(&site.public()));
    let leftovers: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("staging") || name.contains(".old"))
        .collect();
    assert!(leftovers.is_empty(), "the failed build left {leftovers:?} behind");
}

#[test]
fn broken_link_is_a_warning_unless_strict() {
    let site = TestSite::example();
    site.write("content/en-us/broken.md", "---\ntitle: Broken\n---\n# Broken\n\nSee [nowhere](no-such-page.md).\n");
    site.build(&[]).assert_code(0).assert_stderr_has("content/en-us/broken.md:6:5: warning[broken-link]");
    site.build(&["--strict"]).assert_code(1).assert_stderr_has("warning[broken-link]");
}

#[test]
fn missing_site_toml_is_an_unusable_site() {
    let site = TestSite::example();
    site.remove("site.toml");
    site.build(&[]).assert_code(2).assert_stderr_has("site.toml").assert_stderr_lacks("panicked");
    assert!(!site.public().exists());
}

#[test]
fn invalid_site_toml_is_an_unusable_site() {
    let cases = [
        ("not TOML", "title = \n"),
        ("a required key missing", "base_url = \"/\"\ndefault_locale = \"en-us\"\n"),
        ("an unknown key", "title = \"T\"\nbase_url = \"/\"\ndefault_locale = \"en-us\"\ntypo = 1\n"),
        ("no folder for the default locale", "title = \"T\"\nbase_url = \"/\"\ndefault_locale = \"fr-fr\"\n"),
    ];
    for (what, text) in cases {
        let site = TestSite::example();
        site.write("site.toml", text);
        let run = site.build(&[]);
        assert_eq!(run.code, 2, "{what}: expected exit 2\n{run}");
        run.assert_stderr_lacks("panicked");
        assert!(!site.public().exists(), "{what}: output written");
    }
}

#[test]
fn help_and_usage_errors() {
    let dir = TestSite::empty();
    let help = dir.run(&["--help"]);
    help.assert_code(0);
    assert!(help.stdout.contains("build") && help.stdout.contains("init"), "{help}");
    let build_help = dir.run(&["build", "--help"]);
    build_help.assert_code(0);
    for flag in ["--root", "--out", "--base-url", "--strict"] {
        assert!(build_help.stdout.contains(flag), "`build --help` does not mention {flag}\n{build_help}");
    }
    dir.run(&["build", "--no-such-flag"]).assert_code(2).assert_stderr_has("--no-such-flag");
    dir.run(&["no-such-command"]).assert_code(2);
}

#[test]
fn init_creates_a_site_that_builds() {
    let dir = TestSite::empty();
    let new_site = dir.path("my-docs");
    let new_site = new_site.to_str().unwrap();
    dir.run(&["init", new_site]).assert_code(0);
    assert!(dir.path("my-docs/site.toml").is_file());
    dir.run(&["build", "--root", new_site]).assert_code(0).assert_stderr_has("0 errors");
    assert!(dir.path("my-docs/public/en-us/index.html").is_file());
    assert!(dir.path("my-docs/public/zh-cn/index.html").is_file());
    // A second init into the now non-empty folder is refused.
    let again = dir.run(&["init", new_site]);
    assert_ne!(again.code, 0, "init overwrote a site\n{again}");
}

#[test]
fn seed_pages_main_content_snapshots() {
    let site = built_example();
    let pages: BTreeMap<&str, String> =
        [("zh_cn_seed_main", site.output(SEED_ZH)), ("en_us_seed_main", site.output(SEED_EN))].into_iter().collect();
    for (name, html) in &pages {
        insta::assert_snapshot!(*name, element(html, "main"));
    }
}

#[test]
fn a_template_that_escapes_the_body_gets_it_escaped() {
    // The body and the sidebar are spliced in after the template ran; a template that
    // prints them escaped must still get what Tera would have printed.
    let site = TestSite::example();
    let page = std::fs::read_to_string(site.path("templates/page.html"))
        .unwrap_or_else(|_| include_str!("../../theme/templates/page.html").to_string());
    site.write("templates/page.html", page.replace("{{ page.content | safe }}", "<pre>{{ page.content }}</pre>"));
    site.build_ok();
    let html = site.output("en-us/about/containers-vs-vm/index.html");
    assert!(html.contains("<pre>&lt;"), "the body is not printed escaped");
    assert!(!html.contains('\u{E000}'), "a slot marker leaked into the output");
    assert!(html.contains(r#"aria-current="page""#), "the sidebar lost its current page");
}
