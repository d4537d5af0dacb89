//! Where each byte of the text being parsed came from. Includes splice other files into a
//! page and DocFX block directives are swapped for placeholders before parsing, so offsets
//! in the parsed text no longer match the page file. `SourceText` records, for every run of
//! the text, the file and offset it came from; `Positions` turns a parsed offset back into a
//! file, line and column for diagnostics, and names the file whose folder a relative link
//! written there starts from.

use std::borrow::Cow;
use std::ops::Range;

use crate::content::Page;
use crate::diagnostic::{Diagnostic, LineIndex};

/// One file that contributed text: the page (always file 0) or an included file.
pub(super) struct SourceFile<'a> {
    /// Relative to the site root, for diagnostics.
    pub(super) source_path: &'a str,
    /// Under its locale folder, as on disk: relative links in the file start from its folder.
    pub(super) rel_path: &'a str,
    /// The file's text after its front matter.
    pub(super) body: &'a str,
    index: LineIndex<'a>,
    /// The 1-based line of the file on which `body` starts.
    body_line: usize,
}

/// Every file that contributed to a page's text. File 0 is the page.
pub(super) struct Sources<'a> {
    files: Vec<SourceFile<'a>>,
}

/// A place in a source file that a byte of the parsed text stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Origin {
    pub(super) file: usize,
    /// Byte offset in the file's body.
    pub(super) offset: usize,
    /// Byte offset in the page's body of what brought this text in: the text itself for the
    /// page's own text, the outermost include directive for included text.
    pub(super) page_offset: usize,
}

/// A run of the text that comes from one place. Synthetic runs (placeholders, the quote
/// markers added to included lines) have no text of their own in any file: every byte of
/// them stands for `origin`.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: usize,
    origin: Origin,
    synthetic: bool,
}

/// A text assembled from pieces of source files.
pub(super) struct SourceText<'a> {
    pub(super) text: Cow<'a, str>,
    pieces: Vec<Piece>,
}

/// Assembles a `SourceText` from slices of others and synthetic text.
#[derive(Default)]
pub(super) struct Builder {
    text: String,
    pieces: Vec<Piece>,
}

/// Maps offsets in the parsed text to files, lines and columns.
pub(super) struct Positions<'a> {
    sources: Sources<'a>,
    pieces: Vec<Piece>,
    /// The page file, relative to the site root.
    pub(super) path: &'a str,
}

impl<'a> Sources<'a> {
    pub(super) fn new(page: &'a Page) -> Sources<'a> {
        let mut sources = Sources { files: Vec::new() };
        sources.add(&page.source_path, &page.rel_path, page.body(), page.body_line);
        sources
    }

    /// Registers a file and returns its number.
    pub(super) fn add(&mut self, source_path: &'a str, rel_path: &'a str, body: &'a str, body_line: usize) -> usize {
        self.files.push(SourceFile { source_path, rel_path, body, index: LineIndex::new(body), body_line });
        self.files.len() - 1
    }

    pub(super) fn file(&self, file: usize) -> &SourceFile<'a> {
        &self.files[file]
    }

    /// The file's path and the 1-based line and column of an origin.
    fn locate(&self, origin: Origin) -> (&'a str, usize, usize) {
        let file = &self.files[origin.file];
        let (line, column) = file.index.position(origin.offset);
        (file.source_path, line + file.body_line - 1, column)
    }

    /// `diagnostic`, placed at `origin`.
    pub(super) fn diagnostic(&self, diagnostic: Diagnostic, origin: Origin) -> Diagnostic {
        let (path, line, column) = self.locate(origin);
        Diagnostic { path: path.to_string(), ..diagnostic }.at(line, column)
    }
}

impl<'a> SourceText<'a> {
    /// The whole body of `file`. `page_offset` is the page offset of the include directive
    /// that brought it in, `None` for the page itself.
    pub(super) fn of_file(sources: &Sources<'a>, file: usize, page_offset: Option<usize>) -> SourceText<'a> {
        let origin = Origin { file, offset: 0, page_offset: page_offset.unwrap_or(0) };
        SourceText {
            text: Cow::Borrowed(sources.file(file).body),
            pieces: vec![Piece { start: 0, origin, synthetic: false }],
        }
    }

    /// Where the byte at `offset` came from.
    pub(super) fn origin(&self, offset: usize) -> Origin {
        origin_in(&self.pieces, offset)
    }
}

impl Builder {
    /// Appends `range` of `source`, keeping where each byte came from.
    pub(super) fn push_slice(&mut self, source: &SourceText<'_>, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let first = piece_index(&source.pieces, range.start);
        for (index, piece) in source.pieces.iter().enumerate().skip(first) {
            if piece.start >= range.end {
                break;
            }
            let from = piece.start.max(range.start);
            let origin = if piece.synthetic { piece.origin } else { advance(piece.origin, from - piece.start) };
            self.push_piece(self.text.len(), origin, piece.synthetic);
            let to = source.pieces.get(index + 1).map_or(range.end, |next| next.start.min(range.end));
            self.text.push_str(&source.text[from..to]);
        }
    }

    /// Appends text that stands for `origin` (a placeholder, a container prefix).
    pub(super) fn push_synthetic(&mut self, text: &str, origin: Origin) {
        if text.is_empty() {
            return;
        }
        self.push_piece(self.text.len(), origin, true);
        self.text.push_str(text);
    }

    pub(super) fn finish<'a>(self) -> SourceText<'a> {
        SourceText { text: Cow::Owned(self.text), pieces: self.pieces }
    }

    fn push_piece(&mut self, start: usize, origin: Origin, synthetic: bool) {
        // A piece that continues the previous one byte for byte is merged into it.
        if let Some(last) = self.pieces.last()
            && !synthetic
            && !last.synthetic
            && advance(last.origin, start - last.start) == origin
        {
            return;
        }
        if self.pieces.last().is_some_and(|last| last.start == start) {
            self.pieces.pop();
        }
        self.pieces.push(Piece { start, origin, synthetic });
    }
}

impl<'a> Positions<'a> {
    /// Positions in a bare text that is no page file, for callers that need only ids.
    pub(super) fn of_text(body: &'a str) -> Positions<'a> {
        let mut sources = Sources { files: Vec::new() };
        sources.add("", "", body, 1);
        let text = SourceText::of_file(&sources, 0, Some(0));
        Positions::new(sources, &text)
    }

    /// The positions of `text`, assembled from `sources`.
    pub(super) fn new(sources: Sources<'a>, text: &SourceText<'_>) -> Positions<'a> {
        let path = sources.file(0).source_path;
        Positions { sources, pieces: text.pieces.clone(), path }
    }

    /// The file that the byte at `offset` came from.
    pub(super) fn file_at(&self, offset: usize) -> &SourceFile<'a> {
        self.sources.file(origin_in(&self.pieces, offset).file)
    }

    /// The 1-based (line, column) in the page file of what put the byte at `offset` on the
    /// page: the byte itself, or the include directive that brought it in.
    pub(super) fn page_at(&self, offset: usize) -> (usize, usize) {
        let origin = origin_in(&self.pieces, offset);
        let page = Origin { file: 0, offset: origin.page_offset, page_offset: origin.page_offset };
        let (_, line, column) = self.sources.locate(if origin.file == 0 { origin } else { page });
        (line, column)
    }

    /// `diagnostic`, placed in the file, line and column the byte at `offset` came from.
    pub(super) fn diagnostic(&self, diagnostic: Diagnostic, offset: usize) -> Diagnostic {
        self.sources.diagnostic(diagnostic, origin_in(&self.pieces, offset))
    }
}

/// The ranges of `text` where DocFX syntax is content, not syntax: code blocks, code spans
/// and raw HTML (comments included), as Markdown parses them.
pub(super) fn literal_ranges(text: &str) -> Vec<Range<usize>> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new_ext(text, super::parser_options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Code(_) | Event::Html(_) | Event::InlineHtml(_) => Some(range),
            _ => None,
        })
        .collect()
}

/// The index of the piece holding `offset` (the last one starting at or before it).
fn piece_index(pieces: &[Piece], offset: usize) -> usize {
    pieces.partition_point(|piece| piece.start <= offset).saturating_sub(1)
}

fn origin_in(pieces: &[Piece], offset: usize) -> Origin {
    let Some(piece) = pieces.get(piece_index(pieces, offset)) else {
        return Origin { file: 0, offset: 0, page_offset: 0 };
    };
    if piece.synthetic { piece.origin } else { advance(piece.origin, offset.saturating_sub(piece.start)) }
}

/// `origin` moved `by` bytes further into its file; the page offset moves along only for
/// the page's own text.
fn advance(origin: Origin, by: usize) -> Origin {
    let page_offset = if origin.file == 0 { origin.offset + by } else { origin.page_offset };
    Origin { file: origin.file, offset: origin.offset + by, page_offset }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> Page {
        let split = crate::content::front_matter::split(body).unwrap();
        Page {
            locale: crate::content::Locale::parse("en-us").unwrap(),
            rel_path: "a/page.md".into(),
            key: "a/page.md".into(),
            source_path: "content/en-us/a/page.md".into(),
            front_matter: split.front_matter,
            body: split.body.to_string().into(),
            body_line: split.body_line,
            digests: Default::default(),
            text_hash: Default::default(),
            facts: Default::default(),
        }
    }

    #[test]
    fn literal_ranges_cover_code_and_html() {
        let text = "a `[!x]` b\n\n```\n:::image:::\n```\n\n<!-- [!INCLUDE[a](b)] -->\n";
        let literal: Vec<&str> = literal_ranges(text).into_iter().map(|range| &text[range]).collect();
        assert_eq!(literal, ["`[!x]`", "```\n:::image:::\n```", "<!-- [!INCLUDE[a](b)] -->\n"]);
    }

    #[test]
    fn spliced_text_maps_back_to_each_file() {
        let page = page("---\nt: 1\n---\nab\n[!INCLUDE[x](inc.md)]\ncd\n");
        let mut sources = Sources::new(&page);
        let included = sources.add("content/en-us/a/inc.md", "a/inc.md", "X\nY\n", 1);
        let outer = SourceText::of_file(&sources, 0, None);
        let inner = SourceText::of_file(&sources, included, Some(3));
        let mut builder = Builder::default();
        builder.push_slice(&outer, 0..3);
        builder.push_slice(&inner, 0..2);
        builder.push_synthetic("> ", inner.origin(2));
        builder.push_slice(&inner, 2..4);
        builder.push_slice(&outer, 25..28);
        let text = builder.finish();
        assert_eq!(text.text, "ab\nX\n> Y\ncd\n");
        let positions = Positions::new(sources, &text);
        let place = |offset| {
            let diagnostic = positions.diagnostic(Diagnostic::warning("x", "?", "m"), offset);
            (diagnostic.path, diagnostic.line, diagnostic.column)
        };
        assert_eq!(place(1), ("content/en-us/a/page.md".into(), 4, 2));
        assert_eq!(place(3), ("content/en-us/a/inc.md".into(), 1, 1));
        assert_eq!(place(6), ("content/en-us/a/inc.md".into(), 2, 1), "a synthetic prefix stands for its line");
        assert_eq!(place(7), ("content/en-us/a/inc.md".into(), 2, 1));
        assert_eq!(place(9), ("content/en-us/a/page.md".into(), 6, 1));
        assert_eq!(positions.file_at(7).rel_path, "a/inc.md");
        assert_eq!(positions.page_at(7), (5, 1), "included text is placed at its directive in the page");
        assert_eq!(positions.page_at(9), (6, 1));
    }
}
