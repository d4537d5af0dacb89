//! Small fixture sites under `tests/fixtures/<area>/<case>/`, one behaviour each: links and
//! assets, navigation files, Markdown rendering, front matter, localization warnings and
//! content errors.

use serde_json::{Value, json};

use crate::support::*;

/// A copy of the fixture, built successfully.
fn build_fixture(name: &str) -> (TestSite, Run) {
    let site = TestSite::fixture(name);
    let run = site.build_ok();
    (site, run)
}

/// The `<article>` (the rendered Markdown) of an output page.
fn article(site: &TestSite, page: &str) -> String {
    element(&site.output(page), "article").to_string()
}

/// A locale's navigation tree as written to `toc.json`.
fn toc_json(site: &TestSite, locale: &str) -> Value {
    serde_json::from_str(&site.output(&format!("{locale}/toc.json"))).expect("toc.json is JSON")
}

/// A navigation entry as `toc.json` writes it.
fn entry(title: &str, href: &str, children: Vec<Value>) -> Value {
    json!({ "title": title, "href": href, "children": children })
}

fn leaf(title: &str, href: &str) -> Value {
    entry(title, href, Vec::new())
}

// --- links ---------------------------------------------------------------------------

#[test]
fn asset_links_match_file_names_ignoring_case() {
    let (site, run) = build_fixture("links/case-insensitive-assets");
    // One warning for the Markdown image (line 6), one for the raw `<img>` (line 8), each
    // naming the link as written and the file as it is named on disk.
    let warnings = run.diagnostics("case-mismatch");
    assert_eq!(warnings.len(), 2, "{run}");
    for (warning, line) in warnings.iter().zip([6, 8]) {
        assert!(warning.starts_with(&format!("content/en-us/guide.md:{line}:")), "{warning}");
        assert!(warning.contains("media/x.png") && warning.contains("Media/X.PNG"), "{warning}");
    }
    // The asset is published once, under its lowercased path.
    let source = std::fs::read(site.path("content/en-us/Media/X.PNG")).unwrap();
    let published = std::fs::read(site.public().join("en-us/media/x.png")).expect("en-us/media/x.png was not written");
    assert_eq!(published, source);
    assert!(!site.public().join("en-us/Media").exists(), "the output kept the mixed-case folder");

    let page = "en-us/guide/index.html";
    let images: Vec<String> =
        urls(&site.output(page)).into_iter().filter(|(attr, _)| attr == "src").map(|(_, url)| url).collect();
    let content_images: Vec<&String> = images.iter().filter(|src| src.to_ascii_lowercase().contains("x.png")).collect();
    assert_eq!(content_images.len(), 2, "{images:?}");
    for src in content_images {
        assert_eq!(resolve_url(page, src).unwrap(), "en-us/media/x.png", "{src}");
    }
    let failures = check_links(&site.public(), "/");
    assert!(failures.is_empty(), "{}", describe(&failures));
}

#[test]
fn site_root_links_go_to_link_root() {
    let (site, _) = build_fixture("links/link-root");
    assert!(
        article(&site, "en-us/index.html").contains(r#"<a href="https://learn.microsoft.com/azure/aks/x">AKS</a>"#)
    );
    assert_eq!(toc_json(&site, "en-us")[1], leaf("AKS", "https://learn.microsoft.com/azure/aks/x"));
}

#[test]
fn site_root_links_are_kept_without_link_root() {
    let site = TestSite::fixture("links/link-root");
    site.edit("site.toml", "link_root = \"https://learn.microsoft.com\"\n", "");
    site.build_ok();
    let body = article(&site, "en-us/index.html");
    assert!(body.contains(r#"<a href="/azure/aks/x">AKS</a>"#), "{body}");
    assert!(!site.output("en-us/index.html").contains("learn.microsoft.com"));
    assert_eq!(toc_json(&site, "en-us")[1], leaf("AKS", "/azure/aks/x"));
}

// --- navigation ----------------------------------------------------------------------

#[test]
fn toc_md_headings_are_groups_and_linked_headings_are_entries() {
    let (site, _) = build_fixture("toc/markdown");
    let expected = json!([
        leaf("Home", "./"),
        entry(
            "Getting started",
            "",
            vec![leaf("Install", "start/install/"), leaf("First steps", "start/first-steps/")]
        ),
        entry("Reference", "", vec![entry("Commands", "", vec![leaf("Build", "reference/build/")])]),
    ]);
    assert_eq!(toc_json(&site, "en-us"), expected);

    // The sidebar of a page holds its open path: its group is expanded, the page marked
    // current. Siblings share one rendering, so links go through the locale folder.
    let html = site.output("en-us/start/install/index.html");
    let sidebar = element_with_class(&html, "nav", "pd-sidebar");
    assert!(sidebar.contains("<summary>Getting started</summary>"), "{sidebar}");
    assert!(sidebar.contains(r#"href="../../start/first-steps/">First steps</a>"#), "{sidebar}");
    assert!(sidebar.contains(r#"href="../../start/install/" aria-current="page">Install</a>"#), "{sidebar}");
    assert!(sidebar.contains(r#"href="../../">Home</a>"#), "{sidebar}");
    assert_eq!(sidebar.matches("aria-current").count(), 1, "{sidebar}");
    // A collapsed group is a heading marked as having children (polydoc.js adds its
    // toggle): no toggle that cannot open without script.
    assert!(sidebar.contains(r#"<li data-pd-kids><span class="pd-tree-heading">Reference</span></li>"#), "{sidebar}");
    assert_eq!(sidebar.matches("<details").count(), sidebar.matches("<details class=\"pd-tree-group\" open>").count());
    assert!(!sidebar.contains("data-pd-lazy"), "{sidebar}");
    // Its sibling shows the same sidebar with its own link marked instead.
    let sibling = site.output("en-us/start/first-steps/index.html");
    let sibling_sidebar = element_with_class(&sibling, "nav", "pd-sidebar");
    assert_eq!(
        sibling_sidebar.replace(r#"first-steps/" aria-current="page""#, r#"first-steps/""#),
        sidebar.replace(r#"install/" aria-current="page""#, r#"install/""#)
    );
}

#[test]
fn toc_yml_items_nest_and_include_other_toc_files() {
    let (site, run) = build_fixture("toc/yaml");
    run.assert_stderr_has("0 warnings");
    let expected = json!([
        leaf("Home", "./"),
        entry(
            "Guides",
            "",
            vec![
                entry("Basics", "", vec![leaf("Install", "guides/install/")]),
                entry("Advanced", "", vec![leaf("Tuning", "guides/tuning/")])
            ]
        ),
    ]);
    assert_eq!(toc_json(&site, "en-us"), expected);
}

/// The sidebar's markup, which every page carries: the open path in `<details open>`, each
/// collapsed entry with children a plain link (or heading) marked `data-pd-kids` for
/// polydoc.js, links relative to the locale folder.
#[test]
fn sidebar_markup_is_the_open_path_and_plain_links() {
    let (site, _) = build_fixture("toc/nested");
    let tree = |page: &str| {
        let html = site.output(&format!("en-us/{page}index.html"));
        let sidebar = element_with_class(&html, "nav", "pd-sidebar");
        let start = sidebar.find("<ul").expect("a tree");
        sidebar[start..sidebar.rfind("</ul>").expect("a tree") + "</ul>".len()].to_string()
    };
    assert_eq!(
        tree("reference/build/"),
        r#"<ul class="pd-tree">
<li><a href="../../">Home</a></li>
<li data-pd-kids><a href="../../guides/">Guides</a></li>
<li><a href="../../reference/">Reference</a>
<details class="pd-tree-toggle" open>
<summary><span class="pd-sr">Reference</span></summary><ul>
<li><a href="../../reference/build/" aria-current="page">Build</a></li>
</ul>
</details>
</li>
</ul>"#
    );
    assert_eq!(
        tree("guides/install/"),
        r#"<ul class="pd-tree">
<li><a href="../../">Home</a></li>
<li><a href="../../guides/">Guides</a>
<details class="pd-tree-toggle" open>
<summary><span class="pd-sr">Guides</span></summary><ul>
<li><a href="../../guides/install/" aria-current="page">Install</a></li>
<li data-pd-kids><a href="../../guides/tuning/">Tuning</a></li>
<li data-pd-kids><span class="pd-tree-heading">More</span></li>
</ul>
</details>
</li>
<li data-pd-kids><a href="../../reference/">Reference</a></li>
</ul>"#
    );
    // The locale's home page: no climbing at all.
    assert_eq!(
        tree(""),
        r#"<ul class="pd-tree">
<li><a href="./" aria-current="page">Home</a></li>
<li data-pd-kids><a href="guides/">Guides</a></li>
<li data-pd-kids><a href="reference/">Reference</a></li>
</ul>"#
    );
    // One level deeper, the same tree climbs one more folder.
    assert!(
        tree("guides/tuning/caches/")
            .contains(r#"<li><a href="../../../guides/tuning/caches/" aria-current="page">Caches</a></li>"#)
    );
}

// --- Markdown ------------------------------------------------------------------------

#[test]
fn heading_ids_are_explicit_or_slugs_and_repeats_are_numbered() {
    let (site, run) = build_fixture("markdown/heading-ids");
    let body = article(&site, "en-us/index.html");
    for heading in [
        r#"<h2 id="custom-id">Set up the host</h2>"#,
        r#"<h2 id="install">Install</h2>"#,
        r#"<h2 id="install-1">Install</h2>"#,
        r#"<h2 id="install-2">Install</h2>"#,
        r#"<h2 id="安装-docker">安装 Docker</h2>"#,
        r#"<h2 id="custom-id-1">Set up the host again</h2>"#,
    ] {
        assert!(body.contains(heading), "missing {heading} in\n{body}");
    }
    assert!(!body.contains("{#"), "the `{{#id}}` syntax was printed: {body}");
    // Only the repeated *explicit* id is worth a warning.
    let warnings = run.diagnostics("duplicate-id");
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].starts_with("content/en-us/index.md:16:"), "{}", warnings[0]);
}

#[test]
fn tag_like_text_is_shown_not_swallowed() {
    let (site, _) = build_fixture("markdown/unknown-tags");
    let body = article(&site, "en-us/index.html");
    assert!(body.contains("Sign in as &lt;username&gt; and stop &lt;container-id&gt;."), "{body}");
    assert!(body.contains("<br>") && body.contains("<kbd>Ctrl</kbd>"), "real HTML was escaped: {body}");
}

#[test]
fn fenced_code_is_highlighted_at_build_time() {
    let (site, _) = build_fixture("markdown/highlight");
    let body = article(&site, "en-us/index.html");
    let powershell = element(&body, "pre");
    assert!(powershell.contains(r#"class="language-powershell""#), "{powershell}");
    assert!(powershell.contains(r#"<span class="hl-"#), "not highlighted: {powershell}");
    assert!(powershell.contains("Get-Process"));
    // An unknown language is plain, escaped code.
    let unknown = element(&body[body.find("</pre>").unwrap()..], "pre");
    assert!(unknown.contains("&lt;b&gt;&amp; not bold&lt;/b&gt;"), "{unknown}");
    assert!(!unknown.contains("<span"), "{unknown}");
    // The stylesheet the classes need is linked from the page.
    let page = site.output("en-us/index.html");
    let stylesheet = urls(&page)
        .into_iter()
        .map(|(_, url)| url)
        .find(|url| url.contains("highlight"))
        .expect("a highlight stylesheet");
    let css = site.output(&resolve_url("en-us/index.html", &stylesheet).unwrap());
    assert!(css.contains(".hl-"), "{stylesheet} has no hl- rules");
}

// --- front matter --------------------------------------------------------------------

#[test]
fn bom_and_crlf_page_parses_its_front_matter() {
    let site = TestSite::fixture("front-matter/bom-crlf");
    let source = std::fs::read(site.path("content/en-us/index.md")).unwrap();
    assert!(
        source.starts_with(b"\xef\xbb\xbf---\r\n"),
        "the fixture lost its BOM or CRLF line endings (git conversion?)"
    );
    let run = site.build_ok();
    run.assert_stderr_lacks("front-matter").assert_stderr_has("0 warnings");
    let html = site.output("en-us/index.html");
    assert!(element(&html, "title").contains("Title from CRLF front matter"), "{}", element(&html, "title"));
    assert!(html.contains(r#"<time datetime="2019-10-21">"#), "ms.date was not read");
    assert!(!html.contains("title: Title"), "front matter leaked into the page");
}

#[test]
fn toml_front_matter_is_read() {
    let (site, _) = build_fixture("front-matter/toml");
    let html = site.output("en-us/index.html");
    assert!(element(&html, "title").contains("Title from TOML"), "{}", element(&html, "title"));
    assert!(html.contains(r#"<meta name="description" content="Described in TOML.">"#));
    assert!(!html.contains("+++"), "the TOML block leaked into the page");
}

// --- localization --------------------------------------------------------------------

#[test]
fn orphaned_translation_is_rendered_and_warned_about() {
    let (site, run) = build_fixture("l10n/orphaned-translation");
    let warnings = run.diagnostics("orphaned-translation");
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].starts_with("content/zh-cn/only-in-chinese.md"), "{}", warnings[0]);
    assert!(element(&site.output("zh-cn/only-in-chinese/index.html"), "title").contains("只有中文"));
    assert!(!site.output_exists("en-us/only-in-chinese/index.html"), "an orphan got an en-us page");
}

#[test]
fn unknown_locale_folder_is_skipped_with_a_warning() {
    let (site, run) = build_fixture("l10n/unknown-locale");
    let warnings = run.diagnostics("unknown-locale");
    assert_eq!(warnings.len(), 1, "{run}");
    assert!(warnings[0].contains("content/fr-fr"), "{}", warnings[0]);
    assert!(!site.public().join("fr-fr").exists(), "an unconfigured locale was published");
}

// --- content errors ------------------------------------------------------------------

#[test]
fn sources_colliding_after_lowercasing_are_an_error() {
    let site = TestSite::fixture("errors/duplicate-url");
    // Created here rather than checked in, so the repository can be checked out on
    // case-insensitive file systems.
    site.write("content/en-us/Foo.md", "---\ntitle: Capital Foo\n---\n# Capital Foo\n");
    let run = site.build(&[]);
    run.assert_code(1);
    let errors = run.diagnostics("duplicate-url");
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].contains("error[duplicate-url]"), "{}", errors[0]);
    assert!(
        errors[0].contains("Foo.md") && errors[0].contains("foo.md"),
        "the message should name both files: {}",
        errors[0]
    );
    assert!(!site.public().exists(), "a failed build wrote output");
}

/// A level of the tree too long to repeat on every page (70 pages and a folder) shows the
/// block of about 24 entries that holds the page, and one marker for each run left out,
/// with its count, in the page's language; the pages of a block share that sidebar.
#[test]
fn a_long_level_shows_the_block_of_the_page_and_counts_the_rest() {
    let site = TestSite::with_long_folder(70);
    site.build_ok();
    let level = |locale: &str, page: &str| {
        let html = site.output(&format!("{locale}/many/{page}/index.html"));
        let sidebar = element_with_class(&html, "nav", "pd-sidebar");
        let start = sidebar.find("<summary><span class=\"pd-sr\">").expect("the open folder");
        let inner = &sidebar[start..];
        inner[inner.find("<ul>").expect("its entries")..inner.find("</ul>").expect("its end")].to_string()
    };
    let links = |level: &str| -> Vec<String> {
        level.match_indices("href=\"../../many/").map(|(at, _)| level[at + 17..at + 20].to_string()).collect()
    };
    // 71 entries: three blocks, 0-22, 23-46, 47-70 (the folder last).
    let middle = level("en-us", "p30");
    assert!(middle.starts_with("<ul>\n<li data-pd-more=\"23\"><span class=\"pd-tree-more\">23 more</span></li>"));
    assert!(middle.ends_with("<li data-pd-more=\"24\"><span class=\"pd-tree-more\">24 more</span></li>\n"));
    let expected: Vec<String> = (23..47).map(|i| format!("p{i:02}")).collect();
    assert_eq!(links(&middle), expected);
    assert!(middle.contains(r#"href="../../many/p30/" aria-current="page">Page 30</a>"#), "{middle}");
    assert_eq!(middle.matches("aria-current").count(), 1);
    // Its block-mates show the same entries; the folder's own page the first block.
    assert_eq!(
        level("en-us", "p45").replace(" aria-current=\"page\"", ""),
        middle.replace(" aria-current=\"page\"", "")
    );
    let first = level("en-us", "p00");
    assert_eq!(links(&first).len(), 23);
    assert!(first.ends_with("<li data-pd-more=\"48\"><span class=\"pd-tree-more\">48 more</span></li>\n"));
    let last = level("en-us", "zsub");
    assert!(last.contains(r#"<a href="../../many/zsub/inner/">Inner</a>"#), "{last}");
    // A fallback page in Chinese says so in Chinese.
    assert!(level("zh-cn", "p30").contains("<span class=\"pd-tree-more\">另有 23 项</span>"));
    // toc.json still lists every entry, for the script to fill the runs in.
    let toc = toc_json(&site, "en-us");
    assert_eq!(toc[0]["children"].as_array().expect("the folder's entries").len(), 71);
}

/// A page's sidebar does not grow with the site: ten times the pages, about the same bytes
/// (its block holds 23 entries of 71, or 24 of 701).
#[test]
fn a_page_sidebar_is_bounded_whatever_the_length_of_its_level() {
    let sidebar_of = |pages: usize| {
        let site = TestSite::with_long_folder(pages);
        site.build_ok();
        let html = site.output("en-us/many/p05/index.html");
        element_with_class(&html, "nav", "pd-sidebar").len()
    };
    let (small, large) = (sidebar_of(70), sidebar_of(700));
    assert!(large < small + small / 10, "{small} bytes of sidebar at 70 pages, {large} at 700");
}
