//! The naive floor for the build benchmark (issue #8): the least work any generator must do
//! to turn the corpus into highlighted HTML, done the obvious way. Every `.md` file under the
//! content folder is, in parallel (rayon): read, stripped of its `---` front matter (as text,
//! the YAML is not parsed), parsed with pulldown-cmark, its fenced code highlighted with
//! syntect and two-face's grammars into class-based HTML (as `markdown/highlight.rs` does,
//! but with no cache: translations repeat their source's code blocks, and this pass highlights
//! them again), rendered with `push_html` and written to one `.html` file per page, mirroring
//! the paths. No templates, navigation, search, links or dedup. `scripts/bench` runs it next
//! to `polydoc build`; the target is a cold build within 0.85 × this floor.
//!
//! Usage: `cargo build --release --example floor`, then `floor <content-dir> <out-dir>
//! [--folders]`. `--folders` writes each page where docs sites serve it, `a/b.md` as
//! `a/b/index.html` (polydoc's, Hugo's and Zola's URL layout): a folder per page, which on
//! some file systems costs as much again as the file. `POLYDOC_NO_HIGHLIGHT=1` leaves code
//! plain, like polydoc, to show what highlighting costs.

use std::path::{Path, PathBuf};
use std::time::Instant;
use std::{env, fs, process};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use rayon::prelude::*;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;
use walkdir::WalkDir;

/// polydoc's class style, so both produce the same markup.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn main() {
    let args: Vec<String> = env::args().collect();
    let (content, out, folders) = match args.as_slice() {
        [_, content, out] => (content, out, false),
        [_, content, out, flag] if flag == "--folders" => (content, out, true),
        _ => {
            eprintln!("usage: floor <content-dir> <out-dir> [--folders]");
            process::exit(2);
        }
    };
    let start = Instant::now();
    let highlight = env::var_os("POLYDOC_NO_HIGHLIGHT").is_none();
    let syntaxes = two_face::syntax::extra_newlines();
    let sources = markdown_files(Path::new(content));
    let written = sources
        .par_iter()
        .map(|source| build_page(&syntaxes, highlight, folders, Path::new(content), Path::new(out), source))
        .collect::<Result<Vec<()>, String>>();
    if let Err(message) = written {
        eprintln!("floor: {message}");
        process::exit(1);
    }
    eprintln!("floor: {} pages in {:.3} s", sources.len(), start.elapsed().as_secs_f64());
}

/// Every `.md` file under `content`, in walk order.
fn markdown_files(content: &Path) -> Vec<PathBuf> {
    WalkDir::new(content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file() && entry.path().extension().is_some_and(|ext| ext == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Reads, renders and writes one page.
fn build_page(
    syntaxes: &SyntaxSet,
    highlight: bool,
    folders: bool,
    content: &Path,
    out: &Path,
    source: &Path,
) -> Result<(), String> {
    let text = fs::read_to_string(source).map_err(|err| format!("{}: {err}", source.display()))?;
    let html = render(syntaxes, highlight, strip_front_matter(&text));
    let page = out.join(source.strip_prefix(content).expect("walked under content"));
    let target = match folders {
        false => page.with_extension("html"),
        true if page.file_stem().is_some_and(|stem| stem == "index") => page.with_extension("html"),
        true => page.with_extension("").join("index.html"),
    };
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
    }
    fs::write(&target, html).map_err(|err| format!("{}: {err}", target.display()))
}

/// The text after a leading `---` … `---` block, or all of it when there is none.
fn strip_front_matter(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return text;
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return &rest[offset..];
        }
    }
    text
}

/// The page's HTML: pulldown-cmark with polydoc's options, fenced code replaced by its
/// highlighted `<pre>`.
fn render(syntaxes: &SyntaxSet, highlight: bool, markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM;
    let mut events = Vec::new();
    let mut fence: Option<(CowStr<'_>, String)> = None;
    for event in Parser::new_ext(markdown, options) {
        match (event, &mut fence) {
            (Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))), None) => fence = Some((info, String::new())),
            (Event::Text(text), Some((_, code))) => code.push_str(&text),
            (Event::End(TagEnd::CodeBlock), Some(_)) => {
                let (info, code) = fence.take().expect("inside a fence");
                events.push(Event::Html(code_block(syntaxes, highlight, &info, &code).into()));
            }
            (event, _) => events.push(event),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

/// One fenced block as `<pre><code>`, highlighted when its language is known.
fn code_block(syntaxes: &SyntaxSet, highlight: bool, info: &str, code: &str) -> String {
    let language = info.split([' ', ',', '{']).next().unwrap_or("").trim();
    let mut out = String::with_capacity(code.len() * 3);
    out.push_str("<pre class=\"hl\"><code>");
    match find_syntax(syntaxes, language) {
        Some(syntax) if highlight => out.push_str(&classed_html(syntaxes, syntax, code)),
        _ => escape(&mut out, code),
    }
    out.push_str("</code></pre>\n");
    out
}

fn classed_html(syntaxes: &SyntaxSet, syntax: &SyntaxReference, code: &str) -> String {
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator.parse_html_for_line_which_includes_newline(line).is_err() {
            let mut plain = String::new();
            escape(&mut plain, code);
            return plain;
        }
    }
    generator.finalize()
}

/// The grammar for a fence's language token. DocFX names some languages differently from
/// the grammars (`csharp`, `azurecli`…); polydoc maps them, and so does the floor, so both
/// highlight the same blocks with the same grammars.
fn find_syntax<'a>(syntaxes: &'a SyntaxSet, language: &str) -> Option<&'a SyntaxReference> {
    if language.is_empty() {
        return None;
    }
    let lowered = language.to_ascii_lowercase();
    let token = polydoc::markdown::highlight::grammar_token(&lowered);
    syntaxes.find_syntax_by_token(token).or_else(|| syntaxes.find_syntax_by_name(token))
}

fn escape(out: &mut String, text: &str) {
    pulldown_cmark_escape::escape_html_body_text(out, text).expect("writing to a String");
}
