//! DocFX-flavored Markdown, one fixture site per construct under `tests/fixtures/docfx/`:
//! includes and their errors, alerts, `[!div]`/`[!VIDEO]` sections, tabs, `:::image`,
//! zone pivots, code snippets, landing pages, unknown syntax and the language names of
//! fenced code. Each test builds the site with the real binary, checks what matters about
//! the output and snapshots the rendered article and the diagnostics.

use std::process::Command;

use regex::Regex;

use crate::support::*;

/// Builds a copy of `tests/fixtures/docfx/<name>` and expects success.
fn build(name: &str) -> (TestSite, Run) {
    let site = TestSite::fixture(&format!("docfx/{name}"));
    let run = site.build_ok();
    (site, run)
}

/// The `<article>` of an output page: the rendered Markdown.
fn article(site: &TestSite, page: &str) -> String {
    element(&site.output(page), "article").to_string()
}

/// The diagnostics' headlines (`path:line:col: severity[code]: message`), in printed order.
fn headlines(run: &Run) -> String {
    let headline = Regex::new(r"^\S+:\d+:\d+: (warning|error)\[").unwrap();
    run.stderr.lines().filter(|line| headline.is_match(line)).collect::<Vec<_>>().join("\n")
}

/// Internal links of the output that point nowhere, apart from `allowed` (file, URL).
fn broken_links(site: &TestSite, allowed: &[(&str, &str)]) -> Vec<LinkFailure> {
    check_links(&site.public(), "/")
        .into_iter()
        .filter(|f| !allowed.iter().any(|(file, url)| f.file == *file && f.url == *url))
        .collect()
}

// --- includes ------------------------------------------------------------------------

#[test]
fn includes_are_expanded_in_place_block_and_inline() {
    let (site, run) = build("includes");
    run.assert_stderr_has("0 warnings, 0 errors");
    let english = article(&site, "en-us/index.html");
    assert!(!english.contains("[!INCLUDE") && !english.contains("[!include"), "{english}");
    assert!(!english.contains("ms.topic"), "an include's front matter leaked: {english}");
    // Block include inside a list item: its list and code block stay inside the item.
    assert!(english.contains("<p>Install the prerequisites:</p>\n<ul>\n<li>Windows Server 2022</li>"), "{english}");
    // Nested inline includes: `name.md` includes `version.md`.
    assert!(english.contains("<p>Product: Windows Server 2022.</p>"), "{english}");
    // Links in an include are relative to the include file; they all resolve.
    assert!(english.contains(r#"<img src="includes/media/logo.svg" alt="the logo" />"#), "{english}");
    assert!(english.contains(r##"<a href="faq/#licensing">the FAQ</a>"##), "{english}");
    // The translation has its own intro, and falls back to the English `name.md`.
    let chinese = article(&site, "zh-cn/index.html");
    assert!(chinese.contains("<p>Windows 容器将应用程序与其依赖项打包在一起。</p>"), "{chinese}");
    assert!(chinese.contains("<p>产品：Windows Server 2022。</p>"), "{chinese}");
    let broken = broken_links(&site, &[]);
    assert!(broken.is_empty(), "{}", describe(&broken));
    insta::assert_snapshot!("includes_en_us", english);
    insta::assert_snapshot!("includes_zh_cn", chinese);
}

#[test]
fn include_errors_fail_the_build_and_every_problem_is_reported() {
    let site = TestSite::fixture("docfx/include-errors");
    let run = site.build(&[]);
    run.assert_code(1);
    assert!(!site.public().exists(), "a build with include errors wrote output");
    // Each error names the including file, line and column; a cycle is reported where it
    // closes, inside the included file. The rest of the page and the other pages still
    // report their own problems in the same run.
    insta::assert_snapshot!("include_errors", headlines(&run));
    run.assert_stderr_has("include cycle: includes/a.md → includes/b.md → includes/a.md");
    run.assert_stderr_has("content/en-us/other.md:6:29: warning[broken-link]");
    run.assert_stderr_has("4 errors");
}

// --- alerts and quote sections -------------------------------------------------------

#[test]
fn alerts_of_every_kind_have_localized_titles() {
    let (site, run) = build("alerts");
    run.assert_stderr_has("0 warnings");
    let title =
        Regex::new(r#"<div class="alert alert-(\w+)" role="note">\n<p class="alert-title">([^<]+)</p>"#).unwrap();
    let found = |page: &str| -> Vec<(String, String)> {
        title.captures_iter(&article(&site, page)).map(|c| (c[1].to_string(), c[2].to_string())).collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(
        found("en-us/index.html"),
        pairs(&[
            ("note", "Note"),
            ("tip", "Tip"),
            ("important", "Important"),
            ("warning", "Warning"),
            ("caution", "Caution")
        ])
    );
    assert_eq!(
        found("zh-cn/index.html"),
        pairs(&[
            ("note", "注意"),
            ("tip", "提示"),
            ("important", "重要"),
            ("warning", "警告"),
            ("caution", "注意事项")
        ])
    );
    assert!(!article(&site, "zh-cn/index.html").contains("[!"));
}

#[test]
fn div_and_video_sections_render_and_unknown_markers_are_reported() {
    let (site, run) = build("sections");
    let body = article(&site, "en-us/index.html");
    assert!(element_with_class(&body, "div", "nextstepaction").contains(r#"<a href="next/">Next step</a>"#));
    assert!(element_with_class(&body, "div", "checklist").contains("<li>Install Docker</li>"));
    assert!(element_with_class(&body, "div", "op_single_selector").contains("<li><a href=\"next/\">Bash</a></li>"));
    let players: Vec<&str> = body.matches("<iframe ").collect();
    assert_eq!(players.len(), 2, "{body}");
    assert!(body.contains(r#"title="Containers 101""#), "{body}");
    assert!(!body.contains("[!"), "DocFX syntax shown as text: {body}");
    assert_eq!(
        headlines(&run),
        "content/en-us/index.md:21:3: warning[unknown-directive]: `[!FOO]` is not a DocFX block polydoc supports; the quote is shown without it"
    );
    insta::assert_snapshot!("sections", body);
}

// --- tabs ----------------------------------------------------------------------------

#[test]
fn tab_groups_share_tab_ids_and_tab_headings_are_not_sections() {
    let (site, run) = build("tabs");
    run.assert_stderr_has("0 warnings");
    let html = site.output("en-us/index.html");
    let body = element(&html, "article");
    assert_eq!(body.matches(r#"<div class="pd-tabs">"#).count(), 3, "{body}");
    assert!(!body.contains("#tab/") && !body.contains("<hr"), "{body}");
    // Repeated tab ids live in data attributes; element ids stay unique.
    assert_eq!(body.matches(r#"data-tab="windows""#).count(), 4, "two tabs and two panels per group");
    let id = Regex::new(r#" id="([^"]+)""#).unwrap();
    let mut seen = std::collections::HashSet::new();
    for captures in id.captures_iter(&html) {
        assert!(seen.insert(captures[1].to_string()), "id `{}` repeats", &captures[1]);
    }
    // Without script every panel is readable, headed by its label; the tab list waits for script.
    assert_eq!(body.matches(r#"<p class="pd-tab-label">"#).count(), 7);
    assert_eq!(body.matches(r#"role="tablist" hidden>"#).count(), 3);
    assert!(!body.contains(" hidden>\n<p class=\"pd-tab-label\""), "no panel is hidden in the HTML");
    // Tab headings are labels: not headings, not in the outline.
    assert!(!Regex::new(r"<h1[^>]*>(Windows|Linux|\.NET)").unwrap().is_match(body), "{body}");
    let outline = element_with_class(&html, "aside", "pd-outline");
    assert!(outline.contains("Install") && outline.contains("Dependent tabs"), "{outline}");
    assert!(!outline.contains("Windows") && !outline.contains("Linux"), "{outline}");
    // Dependent tabs carry their condition.
    assert!(body.contains(r#"data-tab="dotnet" data-condition="linux""#), "{body}");
    insta::assert_snapshot!("tabs_en_us", body);
}

#[test]
fn translated_tab_headings_keep_their_anchors_on_the_labels() {
    let (site, _) = build("tabs");
    let html = site.output("zh-cn/index.html");
    let body = element(&html, "article");
    // The first group's labels keep the anchors; the second group's repeat them, so they
    // get `-1` like any repeated id.
    for label in [
        r#"<p class="pd-tab-label" id="windows">Windows</p>"#,
        r#"<p class="pd-tab-label" id="linux">Linux</p>"#,
        r#"<p class="pd-tab-label" id="windows-1">Windows</p>"#,
    ] {
        assert!(body.contains(label), "missing {label} in\n{body}");
    }
    assert!(body.contains(r##"<a href="#windows">安装</a>"##), "{body}");
    let broken = broken_links(&site, &[]);
    assert!(broken.is_empty(), "{}", describe(&broken));
    insta::assert_snapshot!("tabs_zh_cn", body);
}

// --- images --------------------------------------------------------------------------

#[test]
fn images_render_every_type_with_lightbox_border_and_fallback() {
    let (site, run) = build("images");
    let body = article(&site, "en-us/index.html");
    assert!(!body.contains(":::"), "{body}");
    // content: bordered, in a lightbox link to the large image.
    assert!(body.contains(r#"<p class="pd-image pd-image-border"><a href="media/diagram-large.svg" class="pd-lightbox" data-close-label="Close"><img src="media/diagram.svg" alt="Containers share the host kernel."></a></p>"#), "{body}");
    // complex: the description is tied to the image and kept for screen readers.
    let description = element_with_class(&body, "div", "pd-image-description");
    assert!(description.contains("<strong>isolated</strong>"), "{description}");
    let id =
        Regex::new(r#"<div id="([^"]+)" class="pd-image-description"#).unwrap().captures(&body).unwrap()[1].to_string();
    assert!(body.contains(&format!(r#"aria-describedby="{id}""#)), "{body}");
    // icon: inline, decorative; border="false" and link.
    assert!(body.contains(r#"an <span class="pd-image"><img src="media/icon.svg" alt=""></span> icon"#), "{body}");
    assert!(
        body.contains(r#"<p class="pd-image"><a href="https://learn.microsoft.com/virtualization/"><img"#),
        "{body}"
    );
    // The Chinese page has no media of its own: the English files are used.
    let chinese = article(&site, "zh-cn/index.html");
    assert!(chinese.contains(r#"<a href="../en-us/media/diagram-large.svg" class="pd-lightbox" data-close-label="关闭"><img src="../en-us/media/diagram.svg" alt="容器共享主机内核。">"#), "{chinese}");
    let broken = broken_links(&site, &[("en-us/index.html", "media/missing.svg")]);
    assert!(broken.is_empty(), "{}", describe(&broken));
    insta::assert_snapshot!("images_warnings", headlines(&run));
    insta::assert_snapshot!("images_en_us", body);
}

// --- zones ---------------------------------------------------------------------------

#[test]
fn zones_carry_their_pivots_and_a_selector_precedes_the_first() {
    let (site, run) = build("zones");
    let body = article(&site, "en-us/index.html");
    assert!(!body.contains(":::") && !body.contains("zone-end"), "{body}");
    let selector = element_with_class(&body, "div", "pd-pivots");
    assert!(selector.contains(" hidden>"), "the selector waits for script: {selector}");
    let pivots: Vec<&str> = Regex::new(r#"data-pivot="([a-z-]+)" aria-pressed"#)
        .unwrap()
        .captures_iter(selector)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(pivots, ["windows", "linux", "macos"]);
    assert!(body.find("pd-pivots").unwrap() < body.find("class=\"zone").unwrap());
    assert!(body.contains(r#"<div class="zone has-pivot" data-pivot="linux macos">"#), "{body}");
    assert!(body.contains(r#"<div class="zone has-target" data-target="chromeless" hidden>"#), "{body}");
    insta::assert_snapshot!("zones_en_us", body);
    insta::assert_snapshot!("zones_warnings", headlines(&run));
}

// --- code snippets -------------------------------------------------------------------

#[test]
fn code_snippets_quote_regions_and_lines_highlighted() {
    let (site, run) = build("snippets");
    let body = article(&site, "en-us/index.html");
    assert!(!body.contains("[!code") && !body.contains(":::"), "{body}");
    let blocks: Vec<&str> =
        body.split("<pre class=\"hl\">").skip(1).map(|block| &block[..block.find("</pre>").unwrap()]).collect();
    assert_eq!(blocks.len(), 6, "{body}");
    let text = |block: &str| decode_entities(&Regex::new("<[^>]+>").unwrap().replace_all(block, ""));
    // `id="main"`: the region without its tag lines, dedented.
    assert!(
        text(blocks[0]).starts_with("static void Main(string[] args)\n{\n    Console.WriteLine"),
        "{}",
        text(blocks[0])
    );
    assert!(!text(blocks[0]).contains("#region"));
    // `range` and `highlight`: line 3 of the snippet is marked.
    let marked = Regex::new(r#"(?s)<mark class="hl-mark">(.*?)</mark>"#).unwrap();
    let marks: Vec<String> = marked.captures_iter(blocks[1]).map(|c| text(&c[1])).collect();
    assert_eq!(marks, ["    Console.WriteLine(\"Hello, containers!\");\n"], "lines 9-13, dedented, third marked");
    // `#install` in a PowerShell script, `?name=greeting`, `#L1-L3`, a whole Dockerfile.
    assert_eq!(text(blocks[2]).lines().count(), 2);
    assert!(blocks[2].contains(r#"class="language-powershell""#) && blocks[2].contains("hl-powershell"));
    assert_eq!(text(blocks[3]), "Console.WriteLine(\"Hello, containers!\");\n");
    assert_eq!(text(blocks[4]), "using System;\n\nnamespace Hello\n");
    assert!(blocks[5].contains("hl-dockerfile"), "{}", blocks[5]);
    // The translation quotes the English sample: files fall back like images.
    assert!(article(&site, "zh-cn/index.html").contains("Install-Package"));
    insta::assert_snapshot!("snippets_warnings", headlines(&run));
}

// --- landing pages -------------------------------------------------------------------

#[test]
fn landing_pages_render_with_the_theme() {
    let (site, run) = build("landing");
    run.assert_stderr_has("0 warnings");
    let html = site.output("en-us/index.html");
    assert!(element(&html, "title").contains("Windows containers - Fixture"), "metadata.title names the page");
    assert!(html.contains(r#"<meta name="description" content="Windows containers documentation.">"#));
    let body = element(&html, "article");
    assert!(body.starts_with(r#"<article class="pd-content pd-landing">"#), "{body}");
    assert!(body.contains("<h1>Windows containers documentation</h1>"), "{body}");
    assert!(body.contains(r#"<p class="pd-linklist-type" data-type="how-to-guide">How-to guide</p>"#), "{body}");
    assert!(body.contains(r#"<a href="https://learn.microsoft.com/azure/aks/windows-container-cli">"#), "{body}");
    assert!(!body.contains("YamlMime") && !body.contains("linkListType"), "{body}");
    // The Chinese landing page labels its lists in Chinese.
    let chinese = article(&site, "zh-cn/index.html");
    assert!(chinese.contains(r#"<p class="pd-linklist-type" data-type="overview">概述</p>"#), "{chinese}");
    // Any other YAML file is an asset.
    assert!(site.output_exists("en-us/ignored.yml"));
    let broken = broken_links(&site, &[]);
    assert!(broken.is_empty(), "{}", describe(&broken));
    insta::assert_snapshot!("landing_en_us", body);
}

#[test]
fn a_landing_page_and_a_markdown_page_with_one_url_are_an_error() {
    let site = TestSite::fixture("docfx/landing");
    site.write("content/en-us/index.md", "---\ntitle: Home\n---\n# Home\n");
    let run = site.build(&[]);
    run.assert_code(1);
    let errors = run.diagnostics("duplicate-url");
    assert_eq!(errors.len(), 1, "{run}");
    assert!(errors[0].starts_with("content/en-us/index.yml: error[duplicate-url]"), "{}", errors[0]);
    assert!(errors[0].contains("`index.md` and `index.yml`"), "{}", errors[0]);
}

// --- unknown syntax ------------------------------------------------------------------

#[test]
fn unknown_directives_are_warned_about_and_code_is_left_alone() {
    let (site, run) = build("unknown");
    let body = article(&site, "en-us/index.html");
    assert!(body.contains("<p>Content for newer versions stays visible.</p>"), "{body}");
    assert!(!body.contains(":::moniker") && !body.contains("[!SUMMARY]"), "{body}");
    // DocFX syntax in code is content.
    assert!(body.contains("<code>[!NOTE]</code>") && body.contains("<code>:::image:::</code>"), "{body}");
    assert!(body.contains("#tab/x") && body.contains("[!TIP]"), "{body}");
    insta::assert_snapshot!("unknown_warnings", headlines(&run));
}

// --- highlighting --------------------------------------------------------------------

#[test]
fn every_docfx_language_name_maps_to_a_grammar() {
    let (site, _) = build("languages");
    let body = article(&site, "en-us/index.html");
    let block =
        Regex::new(r#"<pre class="hl"><code(?: class="language-([^"]+)")?>(<span class="hl-([a-z]+) hl-([a-z]+))?"#)
            .unwrap();
    let found: Vec<(String, String)> = block
        .captures_iter(&body)
        .map(|c| {
            let language = c.get(1).map_or("", |m| m.as_str()).to_string();
            let scope = c.get(4).map_or("plain", |m| m.as_str()).to_string();
            (language, scope)
        })
        .collect();
    let expected = [
        ("powershell", "powershell"),
        ("powershell", "powershell"),
        ("powershell", "powershell"),
        ("console", "shell"),
        ("cmd", "dosbatch"),
        ("batch", "dosbatch"),
        ("azurecli", "shell"),
        ("azurecli-interactive", "shell"),
        ("csharp", "cs"),
        ("c#", "cs"),
        ("cs", "cs"),
        ("yml", "yaml"),
        ("yaml", "yaml"),
        ("dockerfile", "dockerfile"),
        ("dockerfile", "dockerfile"),
        ("shell", "shell"),
        ("bash", "shell"),
        ("sh", "shell"),
        ("json", "json"),
        ("json", "json"),
        ("xml", "xml"),
        ("toml", "toml"),
        ("typescript", "ts"),
        ("ts", "ts"),
        ("rust", "rust"),
        ("python", "python"),
        ("javascript", "js"),
        ("no-such-language", "plain"),
        ("", "plain"),
        ("", "plain"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(l, s)| (l.to_string(), s.to_string())).collect();
    assert_eq!(found, expected);
    assert!(body.contains("&lt;b&gt;&amp;&lt;/b&gt;"), "unknown languages are escaped: {body}");
}

// --- HTML validity -------------------------------------------------------------------

/// Every page of every DocFX fixture is valid HTML5 by the Nu HTML Checker (skipped
/// without `POLYDOC_VNU_JAR`, like `html_validity`).
#[test]
fn html_validity_docfx_fixtures_have_no_errors() {
    let Ok(jar) = std::env::var("POLYDOC_VNU_JAR") else {
        eprintln!("skipped: set POLYDOC_VNU_JAR to the Nu HTML Checker's vnu.jar (.ci/run does)");
        return;
    };
    let sites: Vec<TestSite> =
        ["includes", "alerts", "sections", "tabs", "images", "zones", "snippets", "landing", "unknown", "languages"]
            .iter()
            .map(|name| build(name).0)
            .collect();
    let files: Vec<String> = sites
        .iter()
        .flat_map(|site| html_files(&site.public()).into_iter().map(move |(name, _)| site.public().join(name)))
        .map(|path| path.display().to_string())
        .collect();
    let output = Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "text"])
        .args(&files)
        .output()
        .expect("POLYDOC_VNU_JAR is set, so java must be installed");
    assert!(
        output.status.success(),
        "the Nu HTML Checker found errors in {} files:\n{}",
        files.len(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The corpus's own raw HTML has errors (`<center>`, unclosed tags, skipped heading
/// levels); none of the Nu HTML Checker's errors may be in the markup polydoc writes for
/// DocFX syntax. Skipped without `POLYDOC_VNU_JAR`.
#[test]
fn html_validity_corpus_errors_are_the_contents_own() {
    let Ok(jar) = std::env::var("POLYDOC_VNU_JAR") else {
        eprintln!("skipped: set POLYDOC_VNU_JAR to the Nu HTML Checker's vnu.jar (.ci/run does)");
        return;
    };
    let site = TestSite::corpus("windows-containers");
    site.build_ok();
    let files: Vec<String> = html_files(&site.public())
        .into_iter()
        .map(|(name, _)| site.public().join(name).display().to_string())
        .collect();
    let output = Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "json"])
        .args(&files)
        .output()
        .expect("POLYDOC_VNU_JAR is set, so java must be installed");
    let report: serde_json::Value = serde_json::from_slice(&output.stderr).expect("vnu writes JSON");
    let ours = Regex::new(r#"#tab/|pd-tab|role="tab|pd-image|pd-pivot|class="zone|pd-zone|pd-video|pd-landing|pd-linklist|hl-mark|class="alert|nextstepaction|checklist"#).unwrap();
    let messages = report["messages"].as_array().expect("a list of messages");
    let ours: Vec<String> = messages
        .iter()
        .filter(|m| ours.is_match(m["extract"].as_str().unwrap_or("")))
        .map(|m| format!("{}: {} in `{}`", m["url"], m["message"], m["extract"]))
        .collect();
    assert!(ours.is_empty(), "errors in polydoc's DocFX markup:\n{}", ours.join("\n"));
    assert!(!messages.is_empty(), "the corpus's own errors are gone: has vnu changed?");
}
