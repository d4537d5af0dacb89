//! `polydoc build` on a copy of `../shared/corpus/windows-containers`: real Microsoft Docs
//! content (en-us) and its real zh-cn localization, with Windows-made file names, DocFX
//! Markdown and TOC.md navigation.

use std::collections::BTreeSet;

use regex::Regex;

use crate::support::*;

const CORPUS: &str = "windows-containers";

/// Links that are broken in the corpus's own Markdown, so no generator can make them
/// work; the output link checker must report exactly these. As (output file, URL).
const BROKEN_IN_SOURCE: &[(&str, &str)] = &[
    // kubernetes/compiling-kubernetes-binaries.md (en-us lines 39 and 41, zh-cn lines 43
    // and 45) links to `#build-locally`, but the heading is `## Building locally ##`, whose
    // id is `building-locally`; there is no `build-locally` anywhere in the page.
    ("en-us/kubernetes/compiling-kubernetes-binaries/index.html", "#build-locally"),
    ("zh-cn/kubernetes/compiling-kubernetes-binaries/index.html", "#build-locally"),
    // kubernetes/kube-windows-services.md (en-us line 61, zh-cn line 65) links to
    // `getting-started-kubernetes-windows.md#kube-dns-def`; that page defines
    // `service-subnet-def`, `cluster-subnet-def`, … but no `kube-dns-def`, in either language.
    ("en-us/kubernetes/kube-windows-services/index.html", "../getting-started-kubernetes-windows/#kube-dns-def"),
    ("zh-cn/kubernetes/kube-windows-services/index.html", "../getting-started-kubernetes-windows/#kube-dns-def"),
];

/// TOC entries that are broken in the source: TOC.md (line 84 of both locales) links
/// `Images_EULA.md`, but the page is `images-eula.md` (a hyphen, not an underscore, so
/// not even a case-insensitive match). polydoc shows such an entry without a link, so the
/// output link checker never sees it; the build must warn about it instead.
const BROKEN_TOC_ENTRIES: &[&str] =
    &["content/en-us/TOC.md:84:1: warning[broken-toc-entry]", "content/zh-cn/TOC.md:84:1: warning[broken-toc-entry]"];

fn built_corpus() -> (TestSite, Run) {
    let site = TestSite::corpus(CORPUS);
    let run = site.build_ok();
    (site, run)
}

/// The `.md` pages of a locale folder (TOC files and includes are not pages), as paths
/// relative to the locale folder.
fn source_pages(site: &TestSite, locale: &str) -> Vec<String> {
    let folder = site.path(&format!("content/{locale}"));
    walkdir::WalkDir::new(&folder)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&folder).unwrap().to_string_lossy().replace('\\', "/"))
        .filter(|rel| {
            rel.to_ascii_lowercase().ends_with(".md")
                && !rel.eq_ignore_ascii_case("toc.md")
                && !rel.to_ascii_lowercase().contains("includes/")
        })
        .collect()
}

/// The output file of a page: `about/Index.md` → `<locale>/about/index.html`.
fn output_of(locale: &str, rel_md: &str) -> String {
    let stem = rel_md.to_lowercase();
    let stem = stem.strip_suffix(".md").unwrap();
    match stem.strip_suffix("index") {
        Some(folder) if folder.is_empty() || folder.ends_with('/') => format!("{locale}/{folder}index.html"),
        _ => format!("{locale}/{stem}/index.html"),
    }
}

#[test]
fn every_page_of_both_locales_is_built() {
    let (site, run) = built_corpus();
    run.assert_stderr_has("en-us 56, zh-cn 55 (+1 fallback)").assert_stderr_has("0 errors");

    let english = source_pages(&site, "en-us");
    let chinese: BTreeSet<String> = source_pages(&site, "zh-cn").into_iter().map(|p| p.to_lowercase()).collect();
    assert_eq!(english.len(), 56);
    assert_eq!(chinese.len(), 55);
    for page in &english {
        assert_eq!(html_lang(&site.output(&output_of("en-us", page))), "en-US", "{page}");
        let zh_file = output_of("zh-cn", page);
        let zh = site.output(&zh_file);
        let translated = chinese.contains(&page.to_lowercase());
        assert_eq!(html_lang(&zh), "zh-CN", "{zh_file}");
        assert_eq!(main_lang(&zh), if translated { "zh-CN" } else { "en-US" }, "{zh_file}");
        assert_eq!(zh.contains("pd-banner-fallback"), !translated, "{zh_file}: fallback banner");
    }
    let fallbacks: Vec<&String> = english.iter().filter(|p| !chinese.contains(&p.to_lowercase())).collect();
    assert_eq!(fallbacks, ["images-eula.md"]);
}

#[test]
fn chinese_sidebar_shows_the_chinese_toc_groups() {
    let (site, _) = built_corpus();
    let html = site.output("zh-cn/manage-docker/manage-windows-dockerfile/index.html");
    let sidebar = element_with_class(&html, "nav", "pd-sidebar");
    // TOC.md: `# 教程` > `## 构建 Windows 容器` > `### [编写 Dockerfile](…)`; `# 概述` is
    // collapsed: a heading that polydoc.js gives a toggle.
    for expected in [
        r#"<li data-pd-kids><span class="pd-tree-heading">概述</span></li>"#,
        "<summary>教程</summary>",
        "<summary>构建 Windows 容器</summary>",
        r#"aria-current="page">编写 Dockerfile</a>"#,
        "优化 Dockerfile",
    ] {
        assert!(sidebar.contains(expected), "the zh-cn sidebar lacks {expected}:\n{sidebar}");
    }
    for english in ["Tutorials", "Write a Dockerfile", "Build Windows containers"] {
        assert!(!sidebar.contains(english), "the zh-cn sidebar shows the English entry {english}");
    }
}

#[test]
fn site_root_toc_links_go_to_learn_microsoft_com() {
    let (site, _) = built_corpus();
    for locale in ["en-us", "zh-cn"] {
        let toc = site.output(&format!("{locale}/toc.json"));
        assert!(
            toc.contains(r#""href":"https://learn.microsoft.com/azure/aks/windows-container-cli""#),
            "{locale}/toc.json"
        );
        assert!(!toc.contains(r#""href":"/azure"#), "{locale}/toc.json keeps a site-root link");
    }
}

#[test]
fn images_resolve_whatever_the_case_of_media_folders() {
    let (site, run) = built_corpus();
    // Raw-HTML `<img src="media/…">` in index.md against the folder `Media/`, and
    // Markdown images against `.PNG` and mixed-case file names.
    let expectations = [
        ("en-us/index.html", "en-us/media/logo_kubernetes.svg"),
        ("zh-cn/index.html", "en-us/media/logo_kubernetes.svg"),
        (
            "en-us/container-networking/architecture/index.html",
            "en-us/container-networking/media/docker-network-ls.png",
        ),
        (
            "zh-cn/container-networking/network-isolation-security/index.html",
            "en-us/container-networking/media/network-compartment-visual.png",
        ),
    ];
    for (page, asset) in expectations {
        let targets: Vec<String> = urls(&site.output(page))
            .into_iter()
            .filter(|(attr, _)| attr == "src")
            .filter_map(|(_, url)| resolve_url(page, &url).ok())
            .collect();
        assert!(targets.iter().any(|t| t == asset), "{page} has no image resolving to {asset}: {targets:?}");
        assert!(site.output_exists(asset), "{asset} was not written");
    }
    assert!(!site.public().join("en-us/Media").exists(), "the mixed-case folder was published as is");
    run.assert_stderr_has("content/en-us/index.md:23:1: warning[case-mismatch]");
}

#[test]
fn translated_headings_keep_the_english_anchors() {
    let (site, _) = built_corpus();
    let heading_anchor = Regex::new(r#"(?m)^#+\s*<a name="([^"]+)"></a>(.*)$"#).unwrap();
    let mut checked = 0;
    for page in source_pages(&site, "zh-cn") {
        let source = site.read(&format!("content/zh-cn/{page}"));
        let output = output_of("zh-cn", &page);
        let html = site.output(&output);
        let (ids, anchors) = (ids(&html), anchors(&html));
        for captures in heading_anchor.captures_iter(&source) {
            let (name, rest) = (&captures[1], &captures[2]);
            // A tab heading is a label, not a section: its anchor may stay an `<a name>`.
            let found = if rest.contains("](#tab/") { anchors.contains(name) } else { ids.contains(name) };
            assert!(found, "{output}: no anchor `{name}` for the heading `{}`", &captures[0]);
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} translated heading anchors found");
}

#[test]
fn only_links_broken_in_the_source_are_broken_in_the_output() {
    let (site, run) = built_corpus();
    let failures = check_links(&site.public(), "/");
    let allowed = |f: &LinkFailure| BROKEN_IN_SOURCE.contains(&(f.file.as_str(), f.url.as_str()));
    let unexpected: Vec<LinkFailure> = failures.iter().filter(|f| !allowed(f)).cloned().collect();
    assert!(unexpected.is_empty(), "broken links in the output:\n{}", describe(&unexpected));
    // Keep the allow-list honest: every entry is still reported.
    for (file, url) in BROKEN_IN_SOURCE {
        assert!(
            failures.iter().any(|f| f.file == *file && f.url == *url),
            "{file}: {url} is no longer broken; remove it from BROKEN_IN_SOURCE"
        );
    }
    // polydoc reports each of them while building.
    for warning in BROKEN_TOC_ENTRIES {
        run.assert_stderr_has(warning);
    }
    assert_eq!(run.diagnostics("broken-anchor").len(), 6, "{run}");
    let toc: serde_json::Value = serde_json::from_str(&site.output("en-us/toc.json")).unwrap();
    let eula = find_entry(&toc, "Container OS image EULA").expect("the EULA entry is kept");
    assert_eq!(eula["href"], "", "the broken TOC entry should not link anywhere");
}

/// The first entry titled `title` in a `toc.json` tree.
fn find_entry<'a>(nodes: &'a serde_json::Value, title: &str) -> Option<&'a serde_json::Value> {
    nodes
        .as_array()?
        .iter()
        .find_map(|node| if node["title"] == title { Some(node) } else { find_entry(&node["children"], title) })
}

#[test]
fn docfx_div_blocks_become_divs() {
    let (site, _) = built_corpus();
    let html = site.output("en-us/quick-start/set-up-environment/index.html");
    let body = element(&html, "article");
    assert!(!body.contains("[!div"), "literal DocFX syntax in the page:\n{body}");
    let next_step = element_with_class(body, "div", "nextstepaction");
    assert!(next_step.contains("../run-your-first-container/"), "{next_step}");
}

#[test]
fn docfx_tab_headings_are_tab_labels_not_headings() {
    let (site, _) = built_corpus();
    let tab_heading = Regex::new(r##"<h[1-6][^>]*>\s*(<a name="[^"]*"></a>)?\s*<a href="#tab/"##).unwrap();
    for page in
        ["en-us/deploy-containers/version-compatibility/index.html", "zh-cn/quick-start/set-up-environment/index.html"]
    {
        let body = element(&site.output(page), "article").to_string();
        assert!(!tab_heading.is_match(&body), "{page}: a tab label is rendered as a heading");
    }
}

/// What a reader sees of a page: its text outside `<script>`, `<style>`, code and comments,
/// tags removed and entities decoded. DocFX syntax inside code is content, not syntax.
fn visible_text(html: &str) -> String {
    let hidden =
        Regex::new(r"(?s)<script\b.*?</script>|<style\b.*?</style>|<pre\b.*?</pre>|<code\b.*?</code>|<!--.*?-->")
            .unwrap();
    let tags = Regex::new(r"<[^>]*>").unwrap();
    decode_entities(&tags.replace_all(&hidden.replace_all(html, " "), " "))
}

/// Per source page, how many alerts, tab groups, tab panels and images it has, counted
/// outside fenced code the way DocFX reads them.
fn docfx_constructs(markdown: &str) -> (usize, usize, usize, usize) {
    let alert = Regex::new(r"(?i)^\s*(?:>\s*)+\[!(note|tip|important|warning|caution)\]\s*$").unwrap();
    let tab = Regex::new(r#"^#{1,6}\s*(?:<a name="[^"]*"></a>)?\s*\[[^\]]*\]\(#tab/[^)]*\)\s*$"#).unwrap();
    let image = Regex::new(r"!\[[^\]]*\]\([^)]*\)|<img\b|:::image\b").unwrap();
    let (mut alerts, mut groups, mut panels, mut images) = (0, 0, 0, 0);
    let (mut in_code, mut in_group) = (false, false);
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        alerts += usize::from(alert.is_match(line));
        if tab.is_match(line) {
            panels += 1;
            groups += usize::from(!in_group);
            in_group = true;
        } else if line.trim_end() == "---" {
            in_group = false;
        }
        images += image.find_iter(line).count();
    }
    (alerts, groups, panels, images)
}

/// Issue #3: in the output of both locales no page shows DocFX syntax as text, every
/// alert, tab group and image of the source is rendered, and PowerShell, Dockerfile and
/// bash blocks are highlighted.
#[test]
fn no_docfx_syntax_reaches_readers_and_every_construct_is_rendered() {
    let (site, run) = built_corpus();
    run.assert_stderr_lacks("unknown-directive");
    let front_matter = Regex::new(r"\bms\.(date|topic|author|prod|technology|service|assetid)\s*:").unwrap();
    let mut pages = 0;
    for (file, html) in html_files(&site.public()) {
        let text = visible_text(&html);
        for syntax in ["[!", ":::", "#tab/"] {
            assert!(!text.contains(syntax), "{file} shows `{syntax}` as text:\n{}", context_of(&text, syntax));
        }
        assert!(!front_matter.is_match(&text), "{file} shows front matter");
        assert!(!html.contains("href=\"#tab/"), "{file} has a dead #tab/ link");
        pages += 1;
    }
    assert!(pages > 110, "only {pages} pages checked");

    let (mut alerts, mut groups, mut images) = (0, 0, 0);
    for locale in ["en-us", "zh-cn"] {
        let own: BTreeSet<String> = source_pages(&site, locale).into_iter().map(|p| p.to_lowercase()).collect();
        for page in source_pages(&site, "en-us") {
            // A fallback page shows the English source.
            let source_locale = if own.contains(&page.to_lowercase()) { locale } else { "en-us" };
            let source_page = source_pages(&site, source_locale).into_iter().find(|p| p.eq_ignore_ascii_case(&page));
            let markdown = site.read(&format!("content/{source_locale}/{}", source_page.unwrap()));
            let (want_alerts, want_groups, want_panels, want_images) = docfx_constructs(&markdown);
            let output = output_of(locale, &page);
            let html = site.output(&output);
            // `<main>`, not `<article>`: some pages hold raw `<article>` elements of their own.
            let body = element(&html, "main");
            assert_eq!(body.matches("<div class=\"alert alert-").count(), want_alerts, "{output}: alerts");
            assert_eq!(body.matches("<div class=\"pd-tabs\">").count(), want_groups, "{output}: tab groups");
            assert_eq!(body.matches("role=\"tabpanel\"").count(), want_panels, "{output}: tab panels");
            assert_eq!(body.matches("<img ").count(), want_images, "{output}: images");
            (alerts, groups, images) = (alerts + want_alerts, groups + want_groups, images + want_images);
        }
    }
    // Both locales together, fallback included; pinned so the counting cannot go vacuous.
    assert_eq!((alerts, groups, images), (198, 12, 98), "alerts, tab groups, images");

    let block = Regex::new(r#"(?s)<code class="language-(powershell|dockerfile|bash)">(.*?)</code>"#).unwrap();
    let mut highlighted = std::collections::BTreeMap::new();
    for (file, html) in html_files(&site.public()) {
        for captures in block.captures_iter(&html) {
            let language = captures[1].to_string();
            assert!(
                captures[2].starts_with("<span class=\"hl-source"),
                "{file}: a {language} block is not highlighted"
            );
            *highlighted.entry(language).or_insert(0) += 1;
        }
    }
    for language in ["powershell", "dockerfile", "bash"] {
        assert!(highlighted.get(language).is_some_and(|n| *n > 10), "{highlighted:?}");
    }
}

/// Up to 80 characters either side of the first `needle` in `text`.
fn context_of(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let before: String = text[..at].chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[at..].chars().take(80).collect();
    format!("{before}{after}")
}
