//! One page of arbitrary bytes, as polydoc reads it: decoded, split into front matter
//! and body, rendered in its own locale and as a fallback in another (headings, link
//! rewriting against an in-memory site, alerts, highlighting), and parsed as a TOC.md.
//! Nothing may panic or hang, and every located diagnostic must point into the file.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use polydoc::config::Config;
use polydoc::content::page::LineEndingDigests;
use polydoc::content::toc::{TocFile, load_root};
use polydoc::content::{Asset, Locale, LocaleContent, Page, Site, front_matter};
use polydoc::i18n::Translations;
use polydoc::markdown::{Highlighter, MarkdownContext, RenderedPage, render};

/// What every run shares: built once, since loading syntaxes takes a while.
struct Fixed {
    config: Config,
    translations: Translations,
    highlighter: Highlighter,
}

static FIXED: LazyLock<Fixed> = LazyLock::new(|| {
    let config = Config::parse(
        Path::new("/nonexistent-polydoc-fuzz-site"),
        "title='T'\nbase_url='https://x.org/docs/'\ndefault_locale='en-us'\nlink_root='https://learn.microsoft.com'\n[locales.zh-cn]\n",
    )
    .expect("valid config");
    let translations = Translations::load(&config).expect("built-in strings");
    Fixed { config, translations, highlighter: Highlighter::new() }
});

/// The page under test sits at `guide/page.md` beside a few pages and assets to link to.
const NEIGHBOURS: &[(&str, &str)] = &[
    ("index.md", "# Home\n\n## Setup\n"),
    ("guide/other.md", "---\ntitle: Other\n---\n# Other\n\n## <a name=\"x\"></a>Ex\n"),
];

fn page(locale: &Locale, rel_path: &str, bytes: &[u8]) -> Page {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)).into_owned();
    let (front_matter, body, body_line) = match front_matter::split(&text) {
        Ok(split) => (split.front_matter, split.body.to_string(), split.body_line),
        Err(error) => {
            assert!(error.line >= 1 && error.column >= 1, "front matter error at 0: {error:?}");
            (Default::default(), text.clone(), 1)
        }
    };
    Page {
        locale: locale.clone(),
        rel_path: rel_path.to_string(),
        key: rel_path.to_lowercase(),
        source_path: format!("content/{locale}/{rel_path}"),
        front_matter,
        body,
        body_line,
        digests: LineEndingDigests::of(bytes),
    }
}

fn locale_content(locale: &Locale, pages: Vec<Page>, with_assets: bool) -> LocaleContent {
    let mut content = LocaleContent::empty(locale.clone());
    content.folders = BTreeSet::from([String::new(), "guide/".to_string()]);
    if with_assets {
        for rel_path in ["guide/media/Diagram.PNG", "media/logo.svg"] {
            let asset = Asset { rel_path: rel_path.to_string(), file: PathBuf::from(rel_path) };
            content.assets.insert(rel_path.to_lowercase(), asset);
        }
    }
    for page in pages {
        content.pages.insert(page.key.clone(), std::sync::Arc::new(page));
    }
    content
}

fn check_positions(rendered: &RenderedPage, text_lines: usize) {
    for diagnostic in &rendered.diagnostics {
        assert!(diagnostic.line >= 1 && diagnostic.line <= text_lines + 1, "{diagnostic:?} in {text_lines} lines");
        assert!(diagnostic.column >= 1, "{diagnostic:?}");
    }
    for link in &rendered.external_links {
        assert!(link.line >= 1 && link.column >= 1, "{link:?}");
    }
}

fuzz_target!(|bytes: &[u8]| {
    let fixed = &*FIXED;
    let english = Locale::parse("en-us").expect("a locale");
    let chinese = Locale::parse("zh-cn").expect("a locale");
    let mut english_pages: Vec<Page> =
        NEIGHBOURS.iter().map(|(rel, text)| page(&english, rel, text.as_bytes())).collect();
    english_pages.push(page(&english, "guide/page.md", bytes));
    let site = Site {
        locales: vec![
            locale_content(&english, english_pages, true),
            locale_content(&chinese, vec![page(&chinese, "index.md", "# 首页\n".as_bytes())], false),
        ],
        diagnostics: Vec::new(),
    };
    let text_lines = String::from_utf8_lossy(bytes).lines().count();
    let page = &site.locales[0].pages["guide/page.md"];
    // The page in its own locale, and as the fallback page of zh-cn (links go to zh-cn pages).
    for locale in [&english, &chinese] {
        let read_files = std::cell::RefCell::new(Vec::new());
        let context = MarkdownContext {
            config: &fixed.config,
            site: &site,
            locale,
            highlighter: &fixed.highlighter,
            strings: fixed.translations.get(locale),
            read_files: &read_files,
        };
        let rendered = render(page, &context);
        check_positions(&rendered, text_lines);
    }

    // The same bytes as a TOC.md (headings) and a TOC.yml.
    let text = String::from_utf8_lossy(bytes).into_owned();
    for name in ["TOC.md", "toc.yml"] {
        let file = TocFile {
            rel_path: format!("guide/{name}"),
            source_path: format!("content/en-us/guide/{name}"),
            text: text.clone(),
        };
        let files =
            BTreeMap::from([(name.to_lowercase(), file.clone()), (format!("guide/{}", name.to_lowercase()), file)]);
        let mut diagnostics = Vec::new();
        let _ = load_root(&files, &mut diagnostics);
    }
});
