//! End-to-end tests in headless Chromium: the search box (Chinese and English, ranking,
//! keyboard, what a query downloads), the language switcher, the sidebar's toggles (filled
//! from `toc.json`), DocFX tabs, the theme's keyboard and layout behaviour, axe-core
//! accessibility checks, and screenshots in `target/e2e/`. They run when `POLYDOC_E2E` is set (`.ci/run` sets it); the site is served
//! below a sub-path by a tiny server in the test, so relative URLs are exercised too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::key::Key;
use serde_json::Value;

use crate::browser::{Browser, StaticServer, enabled, screenshot_dir};
use crate::support::TestSite;

const WAIT: Duration = Duration::from_secs(20);
const SEED: &str = "about/containers-vs-vm/";
const FALLBACK: &str = "deploy-containers/system-requirements/";

/// A built site and a server for its output.
struct Served {
    server: StaticServer,
    _site: TestSite,
}

impl Served {
    fn example() -> Served {
        let site = TestSite::example();
        site.build_ok();
        Served { server: StaticServer::start(&site.public(), "/some/docs/"), _site: site }
    }

    fn corpus(name: &str) -> Served {
        let site = TestSite::corpus(name);
        let run = site.build(&[]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        Served { server: StaticServer::start(&site.public(), "/docs/"), _site: site }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// One entry of the search results list.
#[derive(Debug)]
struct Hit {
    href: String,
    title: String,
    marks: Vec<String>,
}

/// Types `query` into the search box and returns the results shown for it.
fn search(browser: &Browser, query: &str) -> Vec<Hit> {
    browser.eval("const i = document.getElementById('pd-search'); i.value = ''; i.focus();");
    browser.type_into("#pd-search", query);
    browser.wait_until(
        &format!(
            "const l = document.getElementById('pd-search-listbox'); \
             return !!l && l.getAttribute('data-query') === {} && !document.getElementById('pd-search-results').hidden;",
            Value::String(query.to_string())
        ),
        WAIT,
    );
    let hits = browser.eval(
        "return Array.from(document.querySelectorAll('#pd-search-listbox [role=option]')).map(a => ({ \
           href: a.href, title: a.querySelector('.pd-search-title').textContent, \
           marks: Array.from(a.querySelectorAll('mark')).map(m => m.textContent) }));",
    );
    hits.as_array()
        .expect("a list")
        .iter()
        .map(|hit| Hit {
            href: hit["href"].as_str().unwrap_or_default().to_string(),
            title: hit["title"].as_str().unwrap_or_default().to_string(),
            marks: hit["marks"].as_array().into_iter().flatten().filter_map(|m| m.as_str().map(String::from)).collect(),
        })
        .collect()
}

fn status_text(browser: &Browser) -> String {
    browser.eval_str("return document.getElementById('pd-search-status').textContent;")
}

#[test]
fn e2e_search_finds_the_seed_article_in_chinese() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url("zh-cn/"));
    let hits = search(&browser, "容器");
    assert!(hits.iter().any(|hit| hit.href == served.url(&format!("zh-cn/{SEED}"))), "{hits:#?}");
    assert!(hits.iter().all(|hit| hit.href.starts_with(&served.url("zh-cn/"))), "other locales: {hits:#?}");
    assert!(hits.iter().any(|hit| hit.marks.iter().any(|m| m.contains("容器"))), "nothing highlighted: {hits:#?}");
    assert!(status_text(&browser).contains("找到"), "{}", status_text(&browser));
}

#[test]
fn e2e_search_finds_the_seed_article_in_english_title_matches_first() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url("en-us/manage-containers/hyperv-container/"));
    let hits = search(&browser, "virtual machine");
    assert!(hits.iter().any(|hit| hit.href == served.url(&format!("en-us/{SEED}"))), "{hits:#?}");
    assert!(hits.iter().all(|hit| hit.href.starts_with(&served.url("en-us/"))), "other locales: {hits:#?}");
    // Pages whose title has the words come before pages that only mention them.
    let in_title: Vec<bool> = hits.iter().map(|hit| hit.title.to_lowercase().contains("virtual machine")).collect();
    assert!(in_title[0] && in_title.windows(2).all(|w| w[0] >= w[1]), "ranking: {hits:#?}");
    assert!(hits[0].marks.iter().any(|m| m.to_lowercase().starts_with("virtual")), "{hits:#?}");
}

/// The real docs set: a Chinese word that is a page title finds that page first.
#[test]
fn e2e_search_finds_chinese_titles_in_the_windows_containers_corpus() {
    if !enabled() {
        return;
    }
    let served = Served::corpus("windows-containers");
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url("zh-cn/"));
    let hits = search(&browser, "隔离模式");
    assert_eq!(
        hits.first().map(|h| h.href.as_str()),
        Some(served.url("zh-cn/manage-containers/hyperv-container/").as_str()),
        "{hits:#?}"
    );
    assert!(hits.iter().all(|hit| hit.href.starts_with(&served.url("zh-cn/"))), "other locales: {hits:#?}");
    assert!(hits.len() > 1, "only the title page: {hits:#?}");
}

#[test]
fn e2e_search_leaves_fallback_pages_out_of_the_translation_index() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    // "megabytes" is only in the English system requirements, which zh-cn shows as a fallback.
    browser.goto(&served.url(&format!("en-us/{FALLBACK}")));
    let hits = search(&browser, "megabytes");
    assert_eq!(hits.iter().map(|h| h.href.as_str()).collect::<Vec<_>>(), [served.url(&format!("en-us/{FALLBACK}"))]);
    browser.goto(&served.url(&format!("zh-cn/{FALLBACK}")));
    let hits = search(&browser, "megabytes");
    assert!(hits.is_empty(), "the zh-cn index holds the English fallback: {hits:#?}");
    assert!(status_text(&browser).contains("megabytes"), "no localized no-results message: {}", status_text(&browser));
}

#[test]
fn e2e_search_results_by_keyboard() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url("en-us/"));
    let hits = search(&browser, "container");
    assert!(hits.len() >= 2, "{hits:#?}");
    let active =
        || browser.eval_str("return document.getElementById('pd-search').getAttribute('aria-activedescendant');");
    let selected = || browser.eval_str("return document.querySelector('[role=option][aria-selected=true]')?.id;");
    browser.press(Key::Down);
    assert_eq!((active(), selected()), ("pd-search-option-0".to_string(), "pd-search-option-0".to_string()));
    browser.press(Key::Down);
    assert_eq!(active(), "pd-search-option-1");
    browser.press(Key::Up);
    assert_eq!(active(), "pd-search-option-0");
    browser.press(Key::Escape);
    assert_eq!(browser.eval("return document.getElementById('pd-search-results').hidden;"), Value::Bool(true));
    assert_eq!(browser.eval_str("return document.getElementById('pd-search').getAttribute('aria-expanded');"), "false");
    assert_eq!(browser.eval_str("return document.activeElement.id;"), "pd-search", "Escape keeps focus in the box");
    // Down opens the list again; Enter follows the highlighted result.
    browser.press(Key::Down);
    assert_eq!(browser.eval("return document.getElementById('pd-search-results').hidden;"), Value::Bool(false));
    browser.press(Key::Down);
    assert_eq!(active(), "pd-search-option-1");
    browser.press(Key::Enter);
    browser.wait_until(&format!("return location.href === {};", Value::String(hits[1].href.clone())), WAIT);
}

/// Browsers refuse to let a `file://` page fetch anything, the index included: the box says
/// so in the reader's language instead of failing silently, and the page itself still works.
#[test]
fn e2e_search_from_a_file_explains_that_it_needs_a_server() {
    if !enabled() {
        return;
    }
    let site = TestSite::example();
    site.build_ok();
    let browser = Browser::launch(1280, 900, &[]);
    let page = site.public().join("zh-cn/about/containers-vs-vm/index.html");
    browser.goto(&format!("file://{}", page.display()));
    browser.type_into("#pd-search", "容器");
    browser.wait_until("return document.getElementById('pd-search-status').textContent.includes('Web 服务器');", WAIT);
    assert_eq!(browser.eval("return document.getElementById('pd-search-results').hidden;"), Value::Bool(false));
    // The stylesheet, found through the relative root, applied.
    assert_ne!(browser.eval_str("return getComputedStyle(document.querySelector('.pd-header')).position;"), "static");
}

/// What a query downloads, against its locale's whole index, on a generated corpus
/// (2,000 pages; `POLYDOC_E2E_PAGES` picks another size, e.g. 10000 for the numbers in ARCHITECTURE.md).
#[test]
fn e2e_search_query_loads_a_small_part_of_the_index() {
    if !enabled() {
        return;
    }
    let pages: usize = std::env::var("POLYDOC_E2E_PAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let site = TestSite::empty();
    let generator = Path::new(crate::support::REPO_ROOT).join("../shared/bench/gen_corpus.py");
    let status = std::process::Command::new("python3")
        .arg(&generator)
        .args(["--pages", &pages.to_string(), "--out"])
        .arg(site.root())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("POLYDOC_E2E is set, so python3 must be installed");
    assert!(status.success(), "{} failed", generator.display());
    let run = site.build(&[]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let index_bytes = |locale: &str| -> u64 {
        walkdir::WalkDir::new(site.public().join(locale).join("_search"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().expect("metadata").len())
            .sum()
    };
    let server = StaticServer::start(&site.public(), "/docs/");
    let browser = Browser::launch(1280, 900, &[]);
    for (locale, query) in [("zh-cn", "访问策略"), ("en-us", "load balancer")] {
        browser.goto(&server.url(&format!("{locale}/")));
        server.take_sent();
        let hits = search(&browser, query);
        assert_eq!(hits.len(), 10, "{query}: {hits:#?}");
        let sent = server.take_sent();
        let index = format!("{locale}/_search/");
        let fetched: usize = sent.iter().filter(|(path, _)| path.starts_with(&index)).map(|(_, bytes)| bytes).sum();
        let other_locale = if locale == "zh-cn" { "en-us" } else { "zh-cn" };
        assert!(!sent.keys().any(|path| path.contains(other_locale)), "{query} fetched {sent:#?}");
        let total = index_bytes(locale);
        eprintln!(
            "{pages} pages, {locale} query {query:?}: fetched {fetched} bytes of the locale index's {total} ({:.2}%) in {} files",
            fetched as f64 * 100.0 / total as f64,
            sent.keys().filter(|p| p.starts_with(&index)).count()
        );
        assert!((fetched as u64) * 10 < total, "{query}: {fetched} of {total} bytes: {sent:#?}");
    }
}

#[test]
fn e2e_language_switcher_by_keyboard() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url(&format!("zh-cn/{SEED}")));
    let open_menu = || {
        browser.eval("document.querySelector('details.pd-lang > summary').focus();");
        browser.press(Key::Enter);
        assert_eq!(browser.eval("return document.querySelector('details.pd-lang').open;"), Value::Bool(true));
    };
    open_menu();
    browser.press(Key::Escape);
    assert_eq!(browser.eval("return document.querySelector('details.pd-lang').open;"), Value::Bool(false));
    assert_eq!(browser.eval_str("return document.activeElement.tagName;"), "SUMMARY", "Escape returns focus");
    open_menu();
    browser.press(Key::Tab);
    assert_eq!(browser.eval_str("return document.activeElement.getAttribute('hreflang');"), "en-US");
    browser.press(Key::Enter);
    browser.wait_until(
        &format!("return location.href === {};", Value::String(served.url(&format!("en-us/{SEED}")))),
        WAIT,
    );
    assert_eq!(browser.eval_str("return document.documentElement.lang;"), "en-US");

    open_menu();
    browser.press(Key::Tab);
    browser.press(Key::Tab);
    assert_eq!(browser.eval_str("return document.activeElement.getAttribute('hreflang');"), "zh-CN");
    browser.press(Key::Enter);
    browser.wait_until(
        &format!("return location.href === {};", Value::String(served.url(&format!("zh-cn/{SEED}")))),
        WAIT,
    );
}

/// The sidebar as the reader sees it: each entry's title, `*` on the current page, `[+]` or
/// `[-]` for a closed or open toggle, its shown children in braces; `?` on an entry still
/// marked `data-pd-kids` (polydoc.js gave it no toggle).
const DESCRIBE_SIDEBAR: &str = "const describe = ul => Array.from(ul.children).map(li => { \
       const a = li.querySelector(':scope > a'), d = li.querySelector(':scope > details'); \
       const s = d && d.querySelector(':scope > summary'); \
       let text = a ? a.textContent + (a.getAttribute('aria-current') === 'page' ? '*' : '') : (s || li).textContent; \
       if (li.hasAttribute('data-pd-kids')) text += '?'; \
       if (d) { text += d.open ? '[-]' : '[+]'; const sub = d.querySelector(':scope > ul'); if (sub) text += '{' + describe(sub) + '}'; } \
       return text; \
     }).join(' | '); \
     return describe(document.querySelector('#pd-sidebar > ul'));";

/// A sidebar holds only its open path, collapsed entries as plain links: polydoc.js gives
/// each a toggle, and expanding one builds its children from `toc.json` in the server's
/// markup, whose own collapsed entries expand in turn. From a file, where `toc.json`
/// cannot be fetched, the toggles go away and the links stay.
#[test]
fn e2e_sidebar_entries_expand_from_the_toc_file() {
    if !enabled() {
        return;
    }
    let site = TestSite::fixture("toc/nested");
    site.build_ok();
    let server = StaticServer::start(&site.public(), "/docs/");
    let browser = Browser::launch(1280, 900, &[]);
    let sidebar = || browser.eval_str(DESCRIBE_SIDEBAR);
    // Toggle events come after a click returns: wait for what they do.
    let wait_for = |expected: &str| {
        let started = std::time::Instant::now();
        loop {
            let shown = sidebar();
            if shown == expected {
                return;
            }
            assert!(started.elapsed() < WAIT, "the sidebar shows {shown:?}, not {expected:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let guides = "#pd-sidebar > ul > li:nth-child(2)";
    let guides_list =
        format!("return document.querySelector('{guides} > details > ul').outerHTML.replace(/>\\s+</g, '><');");

    // The server's markup of the Guides subtree, where it is on the open path.
    browser.goto(&server.url("en-us/guides/install/"));
    wait_for("Home | Guides[-]{Install* | Tuning[+] | More[+]} | Reference[+]");
    let served_list = browser.eval_str(&guides_list).replace(r#" aria-current="page""#, "");

    browser.goto(&server.url("en-us/reference/build/"));
    wait_for("Home | Guides[+] | Reference[-]{Build*}");
    // The toggle comes after the link, is named by the entry's title and shows a chevron.
    let toggle = browser.eval(&format!(
        "const li = document.querySelector('{guides}'), s = li.querySelector('details > summary'); \
         return [Array.from(li.children).map(e => e.tagName).join(' '), li.lastElementChild.className, \
           s.textContent, s.getBoundingClientRect().width > 0, getComputedStyle(s, '::before').display];"
    ));
    assert_eq!(toggle, serde_json::json!(["A DETAILS", "pd-tree-toggle", "Guides", true, "block"]));
    server.take_sent();
    browser.click(&format!("{guides} > details > summary"));
    wait_for("Home | Guides[-]{Install | Tuning[+] | More[+]} | Reference[-]{Build*}");
    assert!(server.take_sent().contains_key("en-us/toc.json"), "the children came from elsewhere");
    // Links as the server writes them for a page at this depth: the same markup.
    assert_eq!(browser.eval_str(&guides_list), served_list);

    // The subtree's own collapsed entries, a linked one and a group, expand from the same file.
    browser.click(&format!("{guides} > details > ul > li:nth-child(2) > details > summary"));
    browser.click(&format!("{guides} > details > ul > li:nth-child(3) > details > summary"));
    wait_for("Home | Guides[-]{Install | Tuning[-]{Caches} | More[-]{FAQ}} | Reference[-]{Build*}");
    let caches = format!("{guides} > details > ul > li:nth-child(2) > details > ul > li > a");
    assert_eq!(
        browser
            .eval(&format!("const a = document.querySelector('{caches}'); return [a.getAttribute('href'), a.href];")),
        serde_json::json!(["../../guides/tuning/caches/", server.url("en-us/guides/tuning/caches/")])
    );
    assert!(!server.take_sent().contains_key("en-us/toc.json"), "toc.json fetched twice");
    let problems = axe_violations(&browser, &axe_source());
    assert!(problems.is_empty(), "axe-core on the expanded sidebar:\n{}", problems.join("\n"));
    // A link of a built subtree leads to its page, where it is the current one.
    browser.click(&caches);
    browser.wait_until(
        &format!("return location.href === {};", Value::String(server.url("en-us/guides/tuning/caches/"))),
        WAIT,
    );
    wait_for("Home | Guides[-]{Install | Tuning[-]{Caches*} | More[+]} | Reference[+]");

    // From a file: the first toggle opened finds no toc.json, and the toggles go.
    let page = site.public().join("en-us/reference/build/index.html");
    browser.goto(&format!("file://{}", page.display()));
    wait_for("Home | Guides[+] | Reference[-]{Build*}");
    browser.click(&format!("{guides} > details > summary"));
    browser.wait_until("return document.getElementById('pd-sidebar').classList.contains('pd-toc-failed');", WAIT);
    let after = browser.eval(&format!(
        "const li = document.querySelector('{guides}'); \
         return [getComputedStyle(li.querySelector('details')).display, getComputedStyle(li.querySelector('a')).display];"
    ));
    assert_eq!(after, serde_json::json!(["none", "block"]));
}

/// A long level's runs of entries left out become buttons; pressing one puts its entries in
/// its place from `toc.json`, in the server's markup, and moves focus to the first. An entry
/// after a run still left out expands with its own children: its position in the tree
/// counts the entries the run stands for.
#[test]
fn e2e_sidebar_runs_left_out_of_a_long_level_fill_in_from_the_toc_file() {
    if !enabled() {
        return;
    }
    let site = TestSite::with_long_folder(70);
    site.build_ok();
    let server = StaticServer::start(&site.public(), "/docs/");
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&server.url("en-us/many/p30/"));
    let level = "#pd-sidebar > ul > li:nth-child(1) > details > ul";
    let entries = || -> Vec<String> {
        let shown = browser.eval(&format!(
            "return Array.from(document.querySelectorAll('{level} > li')).map(li => {{ \
               const a = li.querySelector(':scope > a'), b = li.querySelector(':scope > button'); \
               return a ? a.getAttribute('href') : b ? 'button:' + b.textContent : 'text:' + li.textContent; }});"
        ));
        serde_json::from_value(shown).expect("a list of entries")
    };
    let wait_for_entries = |count: usize| {
        browser.wait_until(&format!("return document.querySelectorAll('{level} > li').length === {count};"), WAIT)
    };
    let href = |name: &str| format!("../../many/{name}/");
    let pages = |range: std::ops::Range<usize>| range.map(|i| href(&format!("p{i:02}"))).collect::<Vec<_>>();

    let mut expected = vec!["button:23 more".to_string()];
    expected.extend(pages(23..47));
    expected.push("button:24 more".into());
    assert_eq!(entries(), expected);

    // The run after the block: 24 entries, the folder `zsub` last, with a toggle.
    server.take_sent();
    browser.click(&format!("{level} > li:last-child > button"));
    wait_for_entries(25 + 24);
    assert!(server.take_sent().contains_key("en-us/toc.json"), "the entries came from elsewhere");
    assert_eq!(browser.eval_str("return document.activeElement.getAttribute('href');"), href("p47"));
    let mut after = pages(23..70);
    after.push(href("zsub"));
    assert_eq!(entries()[1..], after[..]);
    // `zsub` is entry 70 of the folder although 23 of the entries before it are still a run.
    browser.click(&format!("{level} > li:last-child > details > summary"));
    browser.wait_until(&format!("return !!document.querySelector('{level} > li:last-child > details > ul a');"), WAIT);
    assert_eq!(
        browser.eval_str(&format!(
            "return document.querySelector('{level} > li:last-child > details > ul a').getAttribute('href');"
        )),
        "../../many/zsub/inner/"
    );

    // The run before the block: every entry of the folder in order, and nothing twice.
    browser.click(&format!("{level} > li:first-child > button"));
    wait_for_entries(71);
    let mut all = pages(0..70);
    all.push(href("zsub"));
    assert_eq!(entries(), all);
    assert_eq!(browser.eval_str("return document.activeElement.getAttribute('href');"), href("p00"));
    assert!(!server.take_sent().contains_key("en-us/toc.json"), "toc.json fetched twice");
    let problems = axe_violations(&browser, &axe_source());
    assert!(problems.is_empty(), "axe-core on the filled-in sidebar:\n{}", problems.join("\n"));
}

/// DocFX tabs (`# [Windows Server](#tab/…)`) on a real page of the corpus: click and keyboard.
#[test]
fn e2e_tab_group_switches_by_click_and_keyboard() {
    if !enabled() {
        return;
    }
    let served = Served::corpus("windows-containers");
    let browser = Browser::launch(1280, 900, &[]);
    browser.goto(&served.url("en-us/quick-start/set-up-environment/"));
    if browser.eval("return !document.querySelector('[role=tablist]');") == Value::Bool(true) {
        panic!("no DocFX tab markup ([role=tablist]) on the page");
    }
    let state = || {
        browser.eval(
            "const g = document.querySelector('[role=tablist]'); \
             return Array.from(g.querySelectorAll('[role=tab]')).map(t => [t.getAttribute('aria-selected'), \
               document.getElementById(t.getAttribute('aria-controls')).hidden, document.activeElement === t]);",
        )
    };
    let selected = |state: &Value| -> Vec<bool> {
        state.as_array().expect("tabs").iter().map(|t| t[0] == "true" && t[1] == false).collect()
    };
    assert_eq!(selected(&state())[..2], [true, false]);
    browser.click("[role=tablist] [role=tab]:nth-of-type(2)");
    assert_eq!(selected(&state())[..2], [false, true], "click: {}", state());
    browser.press(Key::Left);
    let after_left = state();
    assert_eq!(selected(&after_left)[..2], [true, false], "ArrowLeft: {after_left}");
    assert_eq!(after_left[0][2], true, "ArrowLeft moves focus to the tab");
    browser.press(Key::Right);
    assert_eq!(selected(&state())[..2], [false, true], "ArrowRight: {}", state());
}

#[test]
fn e2e_theme_keyboard_layout_and_colour_schemes() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let seed = served.url(&format!("en-us/{SEED}"));

    // Skip link: the first Tab stop, visible when focused, and it moves focus to <main>.
    let wide = Browser::launch(1280, 900, &[]);
    wide.goto(&seed);
    wide.eval("document.activeElement.blur();");
    wide.press(Key::Tab);
    assert_eq!(wide.eval_str("return document.activeElement.className;"), "pd-skip");
    assert!(wide.eval_num("return document.activeElement.getBoundingClientRect().top;") >= 0.0, "skip link off screen");
    assert_ne!(wide.eval_str("return getComputedStyle(document.activeElement).outlineStyle;"), "none", "no focus ring");
    wide.press(Key::Enter);
    assert_eq!(wide.eval_str("return document.activeElement.id;"), "pd-main");
    // Landmarks.
    for selector in ["header", "nav.pd-sidebar", "main", "footer", "form[role=search]"] {
        assert_eq!(
            wide.eval(&format!("return !!document.querySelector('{selector}');")),
            Value::Bool(true),
            "{selector}"
        );
    }
    // Everything the page loaded came from the site itself: no fonts or scripts from elsewhere.
    let foreign = wide.eval(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin));",
    );
    assert_eq!(foreign, Value::Array(Vec::new()));
    // Theme toggle: dark, remembered across pages.
    let background = |b: &Browser| b.eval_str("return getComputedStyle(document.body).backgroundColor;");
    let light = background(&wide);
    wide.click("#pd-theme-btn");
    assert_eq!(wide.eval_str("return document.documentElement.dataset.theme;"), "dark");
    let dark = background(&wide);
    assert_ne!(light, dark);
    wide.goto(&served.url("en-us/"));
    assert_eq!(background(&wide), dark, "the choice is remembered");
    // The sidebar stays visible on a wide screen.
    assert_ne!(wide.eval_str("return getComputedStyle(document.getElementById('pd-sidebar')).display;"), "none");

    // A system in dark mode gets the dark scheme without a click.
    let system_dark = Browser::launch(1280, 900, &["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]);
    system_dark.goto(&seed);
    assert_eq!(system_dark.eval("return matchMedia('(prefers-color-scheme: dark)').matches;"), Value::Bool(true));
    assert_eq!(background(&system_dark), dark);

    // Narrow screen: the sidebar collapses behind the menu button.
    let narrow = Browser::launch(390, 844, &[]);
    narrow.goto(&seed);
    let sidebar_display = || narrow.eval_str("return getComputedStyle(document.getElementById('pd-sidebar')).display;");
    assert_eq!(sidebar_display(), "none");
    assert_eq!(
        narrow.eval("return document.documentElement.scrollWidth <= innerWidth;"),
        Value::Bool(true),
        "sideways scroll"
    );
    narrow.click("#pd-menu-btn");
    assert_ne!(sidebar_display(), "none");
    assert_eq!(narrow.eval_str("return document.getElementById('pd-menu-btn').getAttribute('aria-expanded');"), "true");
    narrow.press(Key::Escape);
    assert_eq!(sidebar_display(), "none");
}

/// axe-core's serious and critical findings on the page as it is now.
fn axe_violations(browser: &Browser, axe: &str) -> Vec<String> {
    browser.eval(axe);
    let found = browser.eval_async(
        "const done = arguments[arguments.length - 1]; \
         axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations \
           .filter(v => v.impact === 'serious' || v.impact === 'critical') \
           .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))) \
           .catch(e => done(['axe failed: ' + e]));",
    );
    found.as_array().expect("a list").iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect()
}

fn axe_source() -> String {
    let path = std::env::var_os("POLYDOC_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("../ci-tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "POLYDOC_E2E is set, so axe-core must be installed: {} ({e}); \
             `npm install --prefix target/ci-tools axe-core` or set POLYDOC_AXE_JS",
            path.display()
        )
    })
}

#[test]
fn e2e_axe_finds_no_serious_problems() {
    if !enabled() {
        return;
    }
    let axe = axe_source();
    let served = Served::example();
    let browser = Browser::launch(1280, 900, &[]);
    let mut problems = Vec::new();
    for scheme in ["light", "dark"] {
        for locale in ["en-us", "zh-cn"] {
            for page in [SEED, "", FALLBACK] {
                let url = served.url(&format!("{locale}/{page}"));
                browser.goto(&url);
                browser.eval(&format!("localStorage.setItem('polydoc-theme', '{scheme}'); location.reload();"));
                browser.wait_until(&format!("return document.documentElement.dataset.theme === '{scheme}' && document.readyState === 'complete';"), WAIT);
                problems.extend(axe_violations(&browser, &axe).into_iter().map(|v| format!("{url} ({scheme}): {v}")));
            }
            // The search popup, open with results.
            let url = served.url(&format!("{locale}/"));
            browser.goto(&url);
            search(&browser, if locale == "zh-cn" { "容器" } else { "container" });
            browser.press(Key::Down);
            problems
                .extend(axe_violations(&browser, &axe).into_iter().map(|v| format!("{url} search ({scheme}): {v}")));
        }
    }
    assert!(problems.is_empty(), "axe-core found serious or critical problems:\n{}", problems.join("\n"));
}

#[test]
fn e2e_screenshots_of_the_seed_article() {
    if !enabled() {
        return;
    }
    let served = Served::example();
    let dir = screenshot_dir();
    for width in [1280, 390] {
        let browser = Browser::launch(width, if width > 500 { 900 } else { 844 }, &[]);
        for locale in ["en-us", "zh-cn"] {
            browser.goto(&served.url(&format!("{locale}/{SEED}")));
            browser.screenshot(&dir.join(format!("seed-{locale}-{width}.png")));
        }
        // The states worth a look: the search popup, the dark scheme, the narrow menu.
        browser.goto(&served.url("zh-cn/"));
        search(&browser, "容器");
        browser.press(Key::Down);
        browser.screenshot(&dir.join(format!("search-zh-cn-{width}.png")));
        browser.goto(&served.url(&format!("zh-cn/{SEED}")));
        browser.click("#pd-theme-btn");
        browser.screenshot(&dir.join(format!("seed-zh-cn-{width}-dark.png")));
        if width < 500 {
            browser.click("#pd-menu-btn");
            browser.screenshot(&dir.join(format!("seed-zh-cn-{width}-menu.png")));
        }
    }
    for name in ["seed-en-us-1280", "seed-zh-cn-1280", "seed-en-us-390", "seed-zh-cn-390"] {
        let png = std::fs::read(dir.join(format!("{name}.png"))).expect("the screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}.png is not a real screenshot");
    }
    eprintln!("screenshots in {}", dir.display());
}
