use std::path::Path;

use super::*;
use crate::content::page::{LineEndingDigests, parent_folder};
use crate::content::{Asset, IncludeFile, LocaleContent, front_matter};
use crate::i18n::Translations;

/// A site held in memory: (locale, path under the locale folder, text); `.md` files under
/// an `includes/` folder are include files, other paths that are not `.md` become assets.
fn site(files: &[(&str, &str, &str)]) -> (Config, Site) {
    let config = Config::parse(Path::new("/site"), "title='T'\nbase_url='https://x.org/'\ndefault_locale='en-us'\nlink_root='https://learn.microsoft.com'\n[locales.zh-cn]\n").unwrap();
    let mut locales: Vec<LocaleContent> =
        config.locales.iter().map(|l| LocaleContent::empty(l.locale.clone())).collect();
    for (locale, rel_path, text) in files {
        let content = locales.iter_mut().find(|l| l.locale.as_str() == *locale).unwrap();
        if rel_path.contains("includes/") && rel_path.ends_with(".md") {
            let include = IncludeFile {
                rel_path: rel_path.to_string(),
                source_path: format!("content/{locale}/{rel_path}"),
                text: text.to_string(),
            };
            content.includes.insert(rel_path.to_lowercase(), include);
            continue;
        }
        let is_landing = rel_path.ends_with(".yml") && text.starts_with(front_matter::LANDING_HEADER);
        if is_landing {
            let page = Page {
                locale: content.locale.clone(),
                rel_path: rel_path.to_string(),
                key: rel_path.to_lowercase(),
                source_path: format!("content/{locale}/{rel_path}"),
                front_matter: front_matter::landing(text).unwrap(),
                body: text.to_string().into(),
                body_line: 1,
                digests: LineEndingDigests::of(text.as_bytes()),
                text_hash: Default::default(),
                facts: Default::default(),
            };
            content.folders.insert(parent_folder(&page.key).to_string());
            content.pages.insert(page.key.clone(), std::sync::Arc::new(page));
            continue;
        }
        if !rel_path.ends_with(".md") {
            content.assets.insert(
                rel_path.to_lowercase(),
                Asset { rel_path: rel_path.to_string(), file: Path::new(rel_path).to_path_buf() },
            );
            continue;
        }
        let split = front_matter::split(text).unwrap();
        let page = Page {
            locale: content.locale.clone(),
            rel_path: rel_path.to_string(),
            key: rel_path.to_lowercase(),
            source_path: format!("content/{locale}/{rel_path}"),
            front_matter: split.front_matter,
            body: split.body.to_string().into(),
            body_line: split.body_line,
            digests: LineEndingDigests::of(text.as_bytes()),
            text_hash: Default::default(),
            facts: Default::default(),
        };
        content.folders.insert(parent_folder(&page.key).to_string());
        content.pages.insert(page.key.clone(), std::sync::Arc::new(page));
    }
    (config, Site { locales, diagnostics: Vec::new() })
}

fn render_in(files: &[(&str, &str, &str)], locale: &str, key: &str) -> RenderedPage {
    let (config, site) = site(files);
    let translations = Translations::load(&config).unwrap();
    let locale = Locale::parse(locale).unwrap();
    let highlighter = Highlighter::new();
    let read_files = std::cell::RefCell::new(Vec::new());
    let context = MarkdownContext {
        read_files: &read_files,
        config: &config,
        site: &site,
        locale: &locale,
        highlighter: &highlighter,
        strings: translations.get(&locale),
    };
    let page = site.locale(&locale).and_then(|l| l.pages.get(key)).or_else(|| site.source().pages.get(key)).unwrap();
    render(page, &context)
}

fn codes(rendered: &RenderedPage) -> Vec<(&str, usize, usize)> {
    rendered.diagnostics.iter().map(|d| (d.code, d.line, d.column)).collect()
}

#[test]
fn docfx_anchor_headings_keep_the_source_ids_and_lose_the_tag() {
    let md = "---\ntitle: t\n---\n# <a name=\"containers-vs-virtual-machines\"></a>容器与虚拟机\n\n## <a name=\"x\"></a>甲\n\n## <a name=\"x\"></a>乙\n";
    let rendered = render_in(&[("zh-cn", "a.md", md)], "zh-cn", "a.md");
    assert!(rendered.html.contains("<h1 id=\"containers-vs-virtual-machines\">容器与虚拟机</h1>"), "{}", rendered.html);
    assert!(rendered.html.contains("<h2 id=\"x-1\">乙</h2>"));
    assert_eq!(rendered.first_heading.as_deref(), Some("容器与虚拟机"));
    assert_eq!(codes(&rendered), [("duplicate-id", 8, 1)]);
}

#[test]
fn slugs_attribute_ids_and_implicit_duplicates() {
    let rendered = render_in(
        &[("en-us", "a.md", "# Hello, World!\n## Setup {#custom}\n## Hello, World!\n## 容器 概述\n")],
        "en-us",
        "a.md",
    );
    let ids: Vec<&str> = rendered.outline.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["custom", "hello-world-1", "容器-概述"]);
    assert!(rendered.diagnostics.is_empty(), "implicit duplicates are not warned about");
}

#[test]
fn links_go_to_the_locale_page_or_its_fallback_with_anchors_kept() {
    let files = [
        (
            "en-us",
            "about/a.md",
            "# A\n[b](../guide/b.md#setup) [c](c.md) [img](media/x.png) [site](/azure/aks/) [ext](https://x.org/a.md)\n",
        ),
        ("en-us", "guide/b.md", "# B\n## Setup\n"),
        ("en-us", "about/c.md", "# C\n"),
        ("en-us", "about/media/x.png", ""),
        ("zh-cn", "about/a.md", "# 甲\n[b](../guide/b.md#setup) [img](media/x.png)\n"),
    ];
    let rendered = render_in(&files, "zh-cn", "about/a.md");
    assert!(rendered.html.contains("href=\"../../guide/b/#setup\""), "{}", rendered.html);
    assert!(
        rendered.html.contains("href=\"../../../en-us/about/media/x.png\""),
        "assets fall back to the source locale: {}",
        rendered.html
    );
    assert_eq!(
        rendered.page_links,
        [PageLink { key: "guide/b.md".into(), fragment: "setup".into(), line: 2, column: 1 }]
    );
    let english = render_in(&files, "en-us", "about/a.md");
    assert!(english.html.contains("href=\"../c/\""));
    assert!(english.html.contains("href=\"https://learn.microsoft.com/azure/aks/\""));
    assert!(english.html.contains("href=\"https://x.org/a.md\""));
}

#[test]
fn broken_and_case_mismatched_links_are_reported_where_written() {
    let files = [
        ("en-us", "a.md", "# A\n\nSee [x](missing.md) and ![pic](Media/X.png) and [me](#nowhere).\n"),
        ("en-us", "media/x.png", ""),
    ];
    let rendered = render_in(&files, "en-us", "a.md");
    assert_eq!(codes(&rendered), [("broken-link", 3, 5), ("case-mismatch", 3, 25), ("broken-anchor", 3, 49)]);
    assert!(rendered.html.contains("href=\"missing.md\""), "broken links stay as written");
    assert!(rendered.html.contains("src=\"../media/x.png\""), "case-insensitive matches link to the lowercased output");
}

#[test]
fn raw_html_urls_are_rewritten_too() {
    let files = [
        (
            "en-us",
            "a.md",
            "# A\n\n<a href=\"b.md\"><img src=\"Media/Logo.SVG\" alt=\"l\"></a>\n\nText <a name=\"here\"></a> and [back](#here).\n",
        ),
        ("en-us", "b.md", "# B\n"),
        ("en-us", "Media/logo.svg", ""),
    ];
    let rendered = render_in(&files, "en-us", "a.md");
    assert!(rendered.html.contains("<a href=\"../b/\"><img src=\"../media/logo.svg\""), "{}", rendered.html);
    assert!(rendered.anchors.contains("here"));
    assert_eq!(codes(&rendered), [("case-mismatch", 3, 16)]);
}

#[test]
fn alerts_are_localized_and_unknown_tags_are_text() {
    let md = "# T\n\n> [!note]\n> Use `docker ps`.\n\nRun as <username> on <b>host</b>.\n";
    let rendered = render_in(&[("zh-cn", "a.md", md)], "zh-cn", "a.md");
    assert!(
        rendered.html.contains("<div class=\"alert alert-note\" role=\"note\">\n<p class=\"alert-title\">注意</p>"),
        "{}",
        rendered.html
    );
    assert!(rendered.html.contains("Run as &lt;username&gt; on <b>host</b>."), "{}", rendered.html);
}

#[test]
fn gfm_tables_footnotes_tasks_and_code() {
    let md = "# T\n\n| a | b |\n|---|---|\n| <br><ol><li>x</li></ol> | ~~y~~ |\n\n- [x] done\n\nNote[^1].\n\n[^1]: Foot.\n\n```powershell\nGet-Item C:\\\n```\n";
    let rendered = render_in(&[("en-us", "a.md", md)], "en-us", "a.md");
    for expected in ["<table>", "<ol><li>x</li></ol>", "<del>y</del>", "checkbox", "footnote", "<span class=\"hl-"] {
        assert!(rendered.html.contains(expected), "missing {expected}: {}", rendered.html);
    }
}

fn diagnostics(rendered: &RenderedPage) -> Vec<String> {
    rendered
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}: {}[{}]",
                d.path,
                d.line,
                d.column,
                if d.is_error() { "error" } else { "warning" },
                d.code
            )
        })
        .collect()
}

#[test]
fn block_includes_are_parsed_in_their_container() {
    let files = [
        (
            "en-us",
            "guide/a.md",
            "# A\n\n1. Step one:\n\n   [!INCLUDE[steps](../includes/steps.md)]\n\n> [!INCLUDE[quote](../includes/steps.md)]\n",
        ),
        (
            "en-us",
            "includes/steps.md",
            "---\nms.topic: include\n---\n- Run `docker ps`.\n- See ![logo](media/logo.png).\n",
        ),
        ("en-us", "includes/media/logo.png", ""),
    ];
    let rendered = render_in(&files, "en-us", "guide/a.md");
    assert!(
        rendered.html.contains("<li>\n<p>Step one:</p>\n<ul>\n<li>Run <code>docker ps</code>.</li>"),
        "the include is a list inside the list item: {}",
        rendered.html
    );
    assert!(rendered.html.contains("<blockquote>\n<ul>\n<li>Run"), "{}", rendered.html);
    assert!(
        rendered.html.contains("src=\"../../includes/media/logo.png\""),
        "links in an include are relative to the include file: {}",
        rendered.html
    );
    assert!(!rendered.html.contains("ms.topic"), "the include's front matter leaked");
    assert!(rendered.diagnostics.is_empty(), "{:?}", diagnostics(&rendered));
}

#[test]
fn inline_includes_nest_and_fall_back_to_the_source_locale() {
    let files = [
        ("en-us", "a.md", "# A\n"),
        ("en-us", "includes/name.md", "Windows [!INCLUDE[v](version.md)]\n"),
        ("en-us", "includes/version.md", "Server\n2019\n"),
        ("zh-cn", "a.md", "# 甲\n\n| 产品 |\n|---|\n| [!include[name](includes/name.md)] |\n"),
    ];
    let rendered = render_in(&files, "zh-cn", "a.md");
    assert!(rendered.html.contains("<td>Windows Server 2019</td>"), "{}", rendered.html);
    assert!(rendered.diagnostics.is_empty(), "{:?}", diagnostics(&rendered));
}

#[test]
fn include_errors_point_at_the_directive() {
    let files = [
        (
            "en-us",
            "a.md",
            "# A\n\n[!INCLUDE[x](includes/missing.md)]\n\nText [!INCLUDE[x](../../etc/passwd)] and [!INCLUDE[x](/abs.md)].\n\n[!INCLUDE[loop](includes/one.md)]\n\n```\n[!INCLUDE[code](includes/missing.md)]\n```\n",
        ),
        ("en-us", "includes/one.md", "One\n\n[!INCLUDE[two](two.md)]\n"),
        ("en-us", "includes/two.md", "Two [!INCLUDE[one](One.md)]\n"),
    ];
    let rendered = render_in(&files, "en-us", "a.md");
    assert_eq!(
        diagnostics(&rendered),
        [
            "content/en-us/a.md:3:1: error[include]",
            "content/en-us/a.md:5:6: error[include]",
            "content/en-us/a.md:5:42: error[include]",
            "content/en-us/includes/two.md:1:5: warning[case-mismatch]",
            "content/en-us/includes/two.md:1:5: error[include]",
        ]
    );
    let cycle = rendered.diagnostics.iter().find(|d| d.path.ends_with("two.md") && d.code == "include").unwrap();
    assert_eq!(cycle.message, "include cycle: includes/one.md → includes/two.md → includes/one.md");
    assert!(rendered.html.contains("<p>One</p>\n<p>Two</p>"), "the rest still renders: {}", rendered.html);
    assert!(rendered.html.contains("[!INCLUDE[code](includes/missing.md)]"), "code is left alone");
}

#[test]
fn triple_colon_directives_render_through_the_links_pass() {
    let md = "# A\n\n:::image type=\"content\" source=\"media/x.png\" alt-text=\"X\" lightbox=\"media/x.png\":::\n:::zone pivot=\"windows\"\nOn Windows, :::no-loc text=\"PowerShell\":::.\n:::zone-end:::\n\n:::moniker range=\">=v2\"\nKept.\n::: moniker-end\n\n:::image source=\"media/missing.png\":::\n";
    let files = [("en-us", "a.md", "# A\n"), ("en-us", "media/x.png", ""), ("zh-cn", "a.md", md)];
    let rendered = render_in(&files, "zh-cn", "a.md");
    assert!(
        rendered.html.contains(
            "<p class=\"pd-image pd-image-border\"><a href=\"../../en-us/media/x.png\" class=\"pd-lightbox\" data-close-label=\"关闭\"><img src=\"../../en-us/media/x.png\" alt=\"X\"></a></p>"
        ),
        "images fall back to the source locale's file: {}",
        rendered.html
    );
    assert!(rendered.html.contains("<div class=\"pd-pivots\" role=\"group\""), "{}", rendered.html);
    assert!(rendered.html.contains("<div class=\"zone has-pivot\" data-pivot=\"windows\">"), "{}", rendered.html);
    assert!(rendered.html.contains("<p>On Windows, PowerShell.</p>\n</div>"), "{}", rendered.html);
    assert!(rendered.html.contains("<p>Kept.</p>"), "an unknown directive keeps the Markdown around it");
    assert!(!rendered.html.contains(":::"), "{}", rendered.html);
    assert_eq!(
        diagnostics(&rendered),
        [
            "content/zh-cn/a.md:8:1: warning[unknown-directive]",
            "content/zh-cn/a.md:10:1: warning[unknown-directive]",
            "content/zh-cn/a.md:12:1: warning[missing-alt]",
            "content/zh-cn/a.md:12:1: warning[broken-image]",
        ]
    );
}

#[test]
fn tab_headings_make_tab_groups_out_of_the_outline() {
    let md = "# T\n\n## Install\n\n# [Linux](#tab/linux)\n\nOn Linux.\n\n# <a name=\"win\"></a>[Windows](#tab/windows)\n\nOn Windows.\n\n---\n\n## Next\n\n# [Linux](#tab/linux)\n\nAgain.\n\n# [*.NET* on Linux](#tab/dotnet/linux)\n\nDependent.\n\n---\n";
    let rendered = render_in(&[("en-us", "a.md", md)], "en-us", "a.md");
    let ids: Vec<&str> = rendered.outline.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["install", "next"], "tab labels are not sections");
    assert_eq!(rendered.first_heading.as_deref(), Some("T"));
    let html = &rendered.html;
    assert_eq!(html.matches("<div class=\"pd-tabs\"").count(), 2, "{html}");
    assert!(!html.contains("#tab/") && !html.contains("<hr"), "{html}");
    assert!(
        html.contains("<button type=\"button\" role=\"tab\" id=\"pd-tab-2-1\" aria-controls=\"pd-tabpanel-2-1\" aria-selected=\"true\" tabindex=\"0\" data-tab=\"linux\">Linux</button>"),
        "element ids are numbered per group, the tab id is data: {html}"
    );
    assert!(html.contains("data-tab=\"dotnet\" data-condition=\"linux\"><em>.NET</em> on Linux</button>"), "{html}");
    assert!(
        html.contains("<p class=\"pd-tab-label\" id=\"win\">Windows</p>\n<p>On Windows.</p>\n</div>\n</div>\n<h2"),
        "{html}"
    );
    assert!(rendered.anchors.contains("win") || html.contains("id=\"win\""));
    assert!(rendered.diagnostics.is_empty(), "{:?}", diagnostics(&rendered));
}

#[test]
fn quote_sections_become_divs_and_players() {
    let md = "# T\n\n> [!div class=\"nextstepaction\"]\n> [Next](b.md)\n\n> [!div class=\"checklist\"]\n> * One\n\n> [!VIDEO https://www.youtube.com/embed/x]\n\n> [!Note]\n> Noted.\n\n> [!FOO]\n> Foo text.\n\nSee [!BAR] here and `[!code]`.\n";
    let rendered = render_in(&[("en-us", "a.md", md), ("en-us", "b.md", "# B\n")], "en-us", "a.md");
    let html = &rendered.html;
    assert!(html.contains("<div class=\"nextstepaction\">\n<p><a href=\"../b/\">Next</a></p>\n</div>"), "{html}");
    assert!(html.contains("<div class=\"checklist\">\n<ul>\n<li>One</li>\n</ul>\n</div>"), "{html}");
    assert!(
        html.contains("<div class=\"pd-video\"><iframe src=\"https://www.youtube.com/embed/x\" title=\"Video\" allowfullscreen loading=\"lazy\"></iframe></div>"),
        "{html}"
    );
    assert!(html.contains("<div class=\"alert alert-note\""), "{html}");
    assert!(html.contains("<blockquote>\n<p>Foo text.</p>\n</blockquote>"), "{html}");
    assert!(!html.contains("[!div") && !html.contains("[!FOO]"), "{html}");
    assert_eq!(
        diagnostics(&rendered),
        ["content/en-us/a.md:14:3: warning[unknown-directive]", "content/en-us/a.md:17:5: warning[unknown-directive]"]
    );
}

#[test]
fn landing_pages_render_cards_of_link_lists() {
    let yml = "### YamlMime:Landing\n\ntitle: 容器文档\nsummary: 了解容器。\nmetadata:\n  title: Containers docs\n  ms.date: 10/21/2019\nlandingContent:\n  - title: 关于\n    linkLists:\n      - linkListType: overview\n        links:\n          - text: 概述\n            url: about/index.md\n          - text: Missing\n            url: nowhere.md\n          - text: No URL\n  - title: 关于\n    linkLists:\n      - linkListType: no-such-type\n        links:\n          - text: AKS\n            url: /azure/aks/\n";
    let files =
        [("en-us", "index.md", "# Home\n"), ("en-us", "about/index.md", "# About\n"), ("zh-cn", "index.yml", yml)];
    let (_, site) = site(&files);
    let page = &site.locales[1].pages["index.yml"];
    assert_eq!(page.front_matter.title().as_deref(), Some("Containers docs"), "metadata wins for <title>");
    assert_eq!(page.front_matter.text("description").as_deref(), Some("了解容器。"));
    assert_eq!(page.front_matter.text("ms.date").as_deref(), Some("10/21/2019"));
    let rendered = render_in(&files, "zh-cn", "index.yml");
    assert_eq!(rendered.first_heading.as_deref(), Some("容器文档"));
    let expected = "<h1>容器文档</h1>\n<p class=\"pd-landing-summary\">了解容器。</p>\n<ul class=\"pd-landing-cards\">\n<li class=\"pd-landing-card\">\n<h2 id=\"关于\">关于</h2>\n<p class=\"pd-linklist-type\" data-type=\"overview\">概述</p>\n<ul class=\"pd-linklist\">\n<li><a href=\"about/\">概述</a></li>\n<li><a href=\"nowhere.md\">Missing</a></li>\n</ul>\n</li>\n<li class=\"pd-landing-card\">\n<h2 id=\"关于-1\">关于</h2>\n<p class=\"pd-linklist-type\" data-type=\"no-such-type\">no such type</p>\n<ul class=\"pd-linklist\">\n<li><a href=\"https://learn.microsoft.com/azure/aks/\">AKS</a></li>\n</ul>\n</li>\n</ul>\n";
    assert_eq!(rendered.html, expected);
    assert_eq!(
        diagnostics(&rendered),
        ["content/zh-cn/index.yml:17:19: warning[landing]", "content/zh-cn/index.yml:16:18: warning[broken-link]"]
    );
}
