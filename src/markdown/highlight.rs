//! Build-time syntax highlighting with syntect and bat's grammars (two-face): fenced code
//! becomes class-based HTML (`hl-*` classes) styled by one generated stylesheet with a light
//! and a dark palette. The `Highlighter` holds the syntax set, loaded once and shared by
//! every rendering thread, and a cache so identical blocks (translations repeat their
//! source's code verbatim) are highlighted once per build.

mod lines;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use two_face::theme::EmbeddedThemeName;

use lines::LineMemo;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// A code block by the hash of its language and code.
pub type BlockKey = [u8; 32];

/// A block's compressed HTML, and whether this build used it.
type CachedBlock = (Arc<[u8]>, bool);

/// Highlights code blocks; build once, share by reference.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    /// Block → its HTML, lz4-compressed (class-per-token HTML is several times the size of
    /// the code, and a large site has tens of thousands of distinct blocks), and whether
    /// this build used it (only used blocks go to the persistent cache, so it does not
    /// grow with code that no page shows any more).
    cache: Mutex<HashMap<BlockKey, CachedBlock>>,
    /// Lines highlighted so far: distinct blocks still share most of their lines.
    lines: LineMemo,
    /// Off only to measure what highlighting costs (`POLYDOC_NO_HIGHLIGHT`).
    enabled: bool,
    /// Blocks highlighted, and blocks taken from the cache, since `take_counts`.
    highlighted: AtomicUsize,
    reused: AtomicUsize,
}

impl Default for Highlighter {
    fn default() -> Self {
        Highlighter::new()
    }
}

impl Highlighter {
    pub fn new() -> Highlighter {
        Highlighter {
            syntaxes: two_face::syntax::extra_newlines(),
            cache: Mutex::new(HashMap::new()),
            lines: LineMemo::default(),
            enabled: true,
            highlighted: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
        }
    }

    /// How many blocks were highlighted, and how many taken from the cache, since the last
    /// call (for `--timings`: what the cache saved).
    pub fn take_counts(&self) -> (usize, usize) {
        (self.highlighted.swap(0, Ordering::Relaxed), self.reused.swap(0, Ordering::Relaxed))
    }

    /// A highlighter that leaves all code plain, for measuring the cost of highlighting.
    pub fn plain() -> Highlighter {
        Highlighter { enabled: false, ..Highlighter::new() }
    }

    /// Whether this highlighter leaves all code plain.
    pub fn is_plain(&self) -> bool {
        !self.enabled
    }

    /// The `<pre>` block for `code` in the language named by a fence's info string. Unknown
    /// or missing languages give plain, escaped code.
    pub fn code_block(&self, info: &str, code: &str) -> Arc<str> {
        let language = info.split([' ', ',', '{']).next().unwrap_or("").trim();
        let mut hasher = blake3::Hasher::new();
        hasher.update(language.as_bytes());
        hasher.update(b"\0");
        hasher.update(code.as_bytes());
        let key = *hasher.finalize().as_bytes();
        let cached = self.cache.lock().expect("highlight cache lock").get_mut(&key).map(|(html, used)| {
            *used = true;
            Arc::clone(html)
        });
        if let Some(html) = cached.and_then(|compressed| lz4_flex::decompress_size_prepended(&compressed).ok())
            && let Ok(html) = String::from_utf8(html)
        {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return html.into();
        }
        self.highlighted.fetch_add(1, Ordering::Relaxed);
        let html = self.render(language, code);
        let compressed: Arc<[u8]> = lz4_flex::compress_prepend_size(html.as_bytes()).into();
        self.cache.lock().expect("highlight cache lock").insert(key, (compressed, true));
        html.into()
    }

    /// Adds blocks highlighted by an earlier build (`BuildCache::load`), compressed as
    /// `used_blocks` gave them.
    pub fn preload(&self, blocks: Vec<(BlockKey, Vec<u8>)>) {
        if !self.enabled {
            return;
        }
        let mut cache = self.cache.lock().expect("highlight cache lock");
        cache.extend(blocks.into_iter().map(|(key, html)| (key, (Arc::from(html), false))));
    }

    /// The blocks this highlighter returned since it was made (or, with `unused`, all it
    /// holds, preloaded ones included), compressed, sorted.
    pub fn used_blocks(&self, unused: bool) -> Vec<(BlockKey, Arc<[u8]>)> {
        let cache = self.cache.lock().expect("highlight cache lock");
        let mut blocks: Vec<_> = cache
            .iter()
            .filter(|(_, (_, used))| unused || *used)
            .map(|(key, (html, _))| (*key, Arc::clone(html)))
            .collect();
        blocks.sort_by_key(|block| block.0);
        blocks
    }

    /// Drops the lines remembered so far (what is highlighted later is the same, only
    /// slower to make).
    pub fn forget_lines(&self) {
        self.lines.clear();
    }

    /// Like `code_block`, with the given 1-based lines marked (a snippet's `highlight`).
    pub fn code_block_marked(&self, info: &str, code: &str, marked: &[usize]) -> String {
        let language = info.split([' ', ',', '{']).next().unwrap_or("").trim();
        let class = language_class(language);
        let inner = mark_lines(&self.inner_html(language, code), marked);
        format!("<pre class=\"hl\"><code{class}>{inner}</code></pre>\n")
    }

    fn render(&self, language: &str, code: &str) -> String {
        let class = language_class(language);
        let mut out = String::with_capacity(code.len() * 3);
        let _ = write!(out, "<pre class=\"hl\"><code{class}>");
        out.push_str(&self.inner_html(language, code));
        out.push_str("</code></pre>\n");
        out
    }

    /// The highlighted (or escaped) code, without the `<pre>`.
    fn inner_html(&self, language: &str, code: &str) -> String {
        match self.syntax_for(language) {
            Some(syntax) if self.enabled => self.classed_html(syntax, code),
            _ => {
                let mut out = String::with_capacity(code.len() + code.len() / 8);
                let _ = pulldown_cmark_escape::escape_html_body_text(&mut out, code);
                out
            }
        }
    }

    fn classed_html(&self, syntax: &SyntaxReference, code: &str) -> String {
        self.lines.classed_html(syntax, &self.syntaxes, CLASS_STYLE, code).unwrap_or_else(|_| {
            let mut plain = String::new();
            pulldown_cmark_escape::escape_html_body_text(&mut plain, code).ok();
            plain
        })
    }

    fn syntax_for(&self, language: &str) -> Option<&SyntaxReference> {
        if language.is_empty() {
            return None;
        }
        let lowered = language.to_ascii_lowercase();
        let token = grammar_token(&lowered);
        self.syntaxes.find_syntax_by_token(token).or_else(|| self.syntaxes.find_syntax_by_name(token))
    }
}

/// Wraps the given 1-based lines of highlighted HTML in `<mark class="hl-mark">`. Spans
/// may run across lines, so each marked line closes the spans open at its end and reopens
/// them inside the next one: every mark holds balanced HTML. The input is syntect's classed
/// output or escaped text, so `<` only ever starts a `<span …>` or `</span>`.
fn mark_lines(html: &str, marked: &[usize]) -> String {
    const MARK: &str = "<mark class=\"hl-mark\">";
    let mut out = String::with_capacity(html.len() + marked.len() * 40);
    let mut open: Vec<&str> = Vec::new();
    let mut line = 1;
    let mut in_mark = false;
    let mut rest = html;
    let reopen = |out: &mut String, open: &[&str]| open.iter().for_each(|tag| out.push_str(tag));
    let close = |out: &mut String, open: &[&str]| open.iter().for_each(|_| out.push_str("</span>"));
    if marked.contains(&line) && !html.is_empty() {
        out.push_str(MARK);
        in_mark = true;
    }
    while let Some(index) = rest.find(['<', '\n']) {
        out.push_str(&rest[..index]);
        if rest[index..].starts_with('<') {
            let end = rest[index..].find('>').map_or(rest.len(), |end| index + end + 1);
            let tag = &rest[index..end];
            if tag.starts_with("</") {
                open.pop();
            } else {
                open.push(tag);
            }
            out.push_str(tag);
            rest = &rest[end..];
            continue;
        }
        rest = &rest[index + 1..];
        if in_mark {
            close(&mut out, &open);
            out.push_str("\n</mark>");
            reopen(&mut out, &open);
            in_mark = false;
        } else {
            out.push('\n');
        }
        line += 1;
        if marked.contains(&line) && !rest.is_empty() {
            close(&mut out, &open);
            out.push_str(MARK);
            reopen(&mut out, &open);
            in_mark = true;
        }
    }
    out.push_str(rest);
    if in_mark {
        close(&mut out, &open);
        out.push_str("</mark>");
        reopen(&mut out, &open);
    }
    out
}

/// Maps DocFX and GitHub language names (lowercase) to a token syntect's grammars know.
pub fn grammar_token(language: &str) -> &str {
    match language {
        "powershell" | "ps" | "pwsh" | "ps1" | "azurepowershell" | "azurepowershell-interactive" => "ps1",
        "console" | "shell" | "sh" | "bash" | "zsh" | "azurecli" | "azurecli-interactive" | "terminal" => "bash",
        "cmd" | "bat" | "batch" | "dos" => "bat",
        "csharp" | "c#" | "cs" => "cs",
        "yml" | "yaml" => "yaml",
        "dockerfile" | "docker" => "Dockerfile",
        "typescript" | "ts" => "ts",
        "javascript" | "js" => "js",
        "python" | "py" => "py",
        "rust" | "rs" => "rs",
        "xml" | "xaml" | "csproj" => "xml",
        "json" | "jsonc" => "json",
        other => other,
    }
}

fn language_class(language: &str) -> String {
    let safe: String =
        language.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#')).collect();
    if safe.is_empty() { String::new() } else { format!(" class=\"language-{}\"", safe.to_ascii_lowercase()) }
}

/// The stylesheet for highlighted code: a light palette by default, a dark one when the
/// reader's system prefers dark (unless the page forces light) or the page forces dark.
pub fn stylesheet() -> String {
    let themes = two_face::theme::extra();
    // Coldark's palettes are designed for WCAG AA contrast; InspiredGitHub's greys and
    // light blues fail it on a white page (axe-core's color-contrast rule).
    let light =
        css_for_theme_with_class_style(themes.get(EmbeddedThemeName::ColdarkCold), CLASS_STYLE).unwrap_or_default();
    let dark =
        css_for_theme_with_class_style(themes.get(EmbeddedThemeName::OneHalfDark), CLASS_STYLE).unwrap_or_default();
    let mut css =
        String::from("/* Generated by polydoc from syntect themes: Coldark-Cold (light), OneHalfDark (dark). */\n");
    css.push_str(&light);
    css.push_str("\n@media (prefers-color-scheme: dark) {\n");
    css.push_str(&scope_selectors(&dark, ":root:not([data-theme=\"light\"])"));
    css.push_str("}\n");
    css.push_str(&scope_selectors(&dark, ":root[data-theme=\"dark\"]"));
    css
}

/// Prefixes every selector of a flat stylesheet (no nested at-rules) with `scope`.
fn scope_selectors(css: &str, scope: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    let mut in_comment = false;
    for line in css.lines() {
        let trimmed = line.trim();
        if in_comment || trimmed.starts_with("/*") {
            in_comment = !trimmed.ends_with("*/");
            continue;
        }
        match trimmed.strip_suffix('{') {
            Some(selectors) if !trimmed.starts_with('@') => {
                let scoped: Vec<String> = selectors.split(',').map(|s| format!("{scope} {}", s.trim())).collect();
                let _ = writeln!(out, "{} {{", scoped.join(", "));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_docfx_language_names_and_escapes_unknown_ones() {
        let highlighter = Highlighter::new();
        for language in [
            "powershell",
            "PowerShell",
            "dockerfile",
            "bash",
            "console",
            "cmd",
            "yaml",
            "json",
            "csharp",
            "C#",
            "xml",
            "toml",
            "typescript",
            "rust",
            "python",
        ] {
            let html = highlighter.code_block(language, "a = \"b\" # c\n");
            assert!(html.contains("<span class=\"hl-"), "{language} was not highlighted: {html}");
        }
        let plain = highlighter.code_block("no-such-language", "<b>&</b>\n");
        assert_eq!(
            &*plain,
            "<pre class=\"hl\"><code class=\"language-no-such-language\">&lt;b&gt;&amp;&lt;/b&gt;\n</code></pre>\n"
        );
        let bare = highlighter.code_block("", "x\n");
        assert_eq!(&*bare, "<pre class=\"hl\"><code>x\n</code></pre>\n");
    }

    #[test]
    fn marked_lines_hold_balanced_html() {
        let html = "<span class=\"a\">x\ny</span>\nz\n";
        assert_eq!(
            mark_lines(html, &[2]),
            "<span class=\"a\">x\n</span><mark class=\"hl-mark\"><span class=\"a\">y</span>\n</mark>z\n"
        );
        assert_eq!(mark_lines("a\nb\n", &[1]), "<mark class=\"hl-mark\">a\n</mark>b\n");
        let highlighter = Highlighter::new();
        let marked = highlighter.code_block_marked("csharp", "/* a\nb */\nint c;\n", &[2]);
        assert_eq!(marked.matches("<span").count(), marked.matches("</span>").count(), "{marked}");
        assert!(marked.contains("<mark class=\"hl-mark\"><span"), "{marked}");
    }

    #[test]
    fn plain_highlighter_escapes_only() {
        let html = Highlighter::plain().code_block("powershell", "Get-Item <x>\n");
        assert_eq!(&*html, "<pre class=\"hl\"><code class=\"language-powershell\">Get-Item &lt;x&gt;\n</code></pre>\n");
    }

    #[test]
    fn stylesheet_has_both_palettes() {
        let css = stylesheet();
        assert!(css.contains(".hl-"));
        assert!(css.contains(":root[data-theme=\"dark\"] .hl-"));
        assert!(css.contains("prefers-color-scheme: dark"));
    }
}
