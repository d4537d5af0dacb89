//! Content problems as data: `Diagnostic` (severity, stable code, file, line, column,
//! message, help), its two outside forms (rustc-like text, SPEC §1's JSON) and the one table
//! of problems whose severity depends on the command (`severity_in`). Producing stages return
//! them instead of failing, so one run reports every problem; `main` decides what they mean
//! for the exit code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// The command a diagnostic is reported by. SPEC §1 makes a link, image, anchor or TOC
/// entry that points nowhere an error for `check` and a warning for `build` and `serve`,
/// which must still produce pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Build,
    Check,
}

/// Every diagnostic code polydoc produces. Diagnostics read back from the build cache
/// must name one of them (a test checks the sources against this list).
pub const CODES: &[&str] = &[
    "bad-date",
    "bad-directive",
    "broken-anchor",
    "broken-image",
    "broken-link",
    "broken-toc-entry",
    "case-mismatch",
    "duplicate-id",
    "duplicate-url",
    "encoding",
    "external-link",
    "front-matter",
    "git-history",
    "include",
    "io",
    "landing",
    "missing-alt",
    "orphaned-translation",
    "site-root-link",
    "toc",
    "unknown-directive",
    "unknown-locale",
];

/// Reads a diagnostic back (from the build cache): its code must be one of `CODES`.
impl<'de> serde::Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Diagnostic, D::Error> {
        #[derive(serde::Deserialize)]
        struct Stored {
            severity: Severity,
            code: String,
            path: String,
            line: usize,
            column: usize,
            message: String,
            help: Option<String>,
        }
        let stored = Stored::deserialize(deserializer)?;
        let code = CODES
            .iter()
            .find(|known| **known == stored.code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{}`", stored.code)))?;
        let Stored { severity, path, line, column, message, help, .. } = stored;
        Ok(Diagnostic { severity, code, path, line, column, message, help })
    }
}

/// Codes of problems that are errors in `check` and warnings in `build`: something the
/// reader clicks leads nowhere.
const POINTING_NOWHERE: &[&str] = &["broken-link", "broken-image", "broken-anchor", "broken-toc-entry"];

/// The severity of a problem with `code` in `mode`, when SPEC §1's table makes it depend on
/// the command; `None` leaves the producer's severity (an error in every command, like
/// `front-matter`, or a warning in every command, like `case-mismatch`).
pub fn severity_in(code: &str, mode: Mode) -> Option<Severity> {
    if !POINTING_NOWHERE.contains(&code) {
        return None;
    }
    Some(match mode {
        Mode::Build => Severity::Warning,
        Mode::Check => Severity::Error,
    })
}

/// Gives every diagnostic its severity in `mode` (see `severity_in`).
pub fn apply_mode(diagnostics: &mut [Diagnostic], mode: Mode) {
    for diagnostic in diagnostics {
        if let Some(severity) = severity_in(diagnostic.code, mode) {
            diagnostic.severity = severity;
        }
    }
}

/// The diagnostics as SPEC §1's JSON array (`severity`, `code`, `path`, `line`, `column`,
/// `message`, and `help` where there is one), pretty-printed, with a final newline.
pub fn to_json(diagnostics: &[Diagnostic]) -> String {
    let mut json = serde_json::to_string_pretty(diagnostics).expect("diagnostics serialize");
    json.push('\n');
    json
}

/// One problem in the site's input, located in a file relative to the site root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable kebab-case name (`broken-link`, `front-matter`, …), one of `CODES`.
    pub code: &'static str,
    /// Relative to the site root, with `/` separators.
    pub path: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based, counted in Unicode characters; 0 when unknown.
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, path.into(), message.into())
    }

    pub fn warning(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, path.into(), message.into())
    }

    fn new(severity: Severity, code: &'static str, path: String, message: String) -> Diagnostic {
        Diagnostic { severity, code, path, line: 0, column: 0, message, help: None }
    }

    pub fn at(mut self, line: usize, column: usize) -> Diagnostic {
        self.line = line;
        self.column = column;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders `path:line:col: severity[code]: message`, then the source line with a caret
    /// under the column and the help line, reading the source line from `site_root`.
    pub fn render(&self, site_root: &Path) -> String {
        self.render_with(&mut SourceFiles::new(site_root))
    }

    fn render_with(&self, sources: &mut SourceFiles<'_>) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = write!(out, "{}", self.path);
        if self.line > 0 {
            let _ = write!(out, ":{}:{}", self.line, self.column.max(1));
        }
        let _ = writeln!(out, ": {severity}[{}]: {}", self.code, self.message);
        if let Some((excerpt, caret_pad)) = sources.line(&self.path, self.line).map(|line| excerpt(line, self.column)) {
            let gutter = self.line.to_string();
            let _ = writeln!(out, "{:width$} |", "", width = gutter.len());
            let _ = writeln!(out, "{gutter} | {excerpt}");
            let _ = writeln!(out, "{:width$} | {caret_pad}^", "", width = gutter.len());
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// Renders every diagnostic (see `Diagnostic::render`), reading each source file once.
pub fn render_all(diagnostics: &[Diagnostic], site_root: &Path) -> String {
    let mut sources = SourceFiles::new(site_root);
    diagnostics.iter().map(|diagnostic| diagnostic.render_with(&mut sources)).collect()
}

/// Source files read for their lines, kept while one file's diagnostics are rendered
/// (diagnostics come sorted by file, so one file at a time is enough).
struct SourceFiles<'a> {
    site_root: &'a Path,
    /// The file's path, and its lines once read (none when it cannot be read).
    current: Option<(String, Vec<String>)>,
    /// The last line asked for, as characters: a 5 MB line with thousands of problems is
    /// split into characters once, not once per problem.
    line_chars: Option<(usize, Vec<char>)>,
}

impl<'a> SourceFiles<'a> {
    fn new(site_root: &'a Path) -> SourceFiles<'a> {
        SourceFiles { site_root, current: None, line_chars: None }
    }

    /// The characters of the 1-based `line` of the file at `path` (relative to the site
    /// root), if any.
    fn line(&mut self, path: &str, line: usize) -> Option<&[char]> {
        if line == 0 {
            return None;
        }
        if self.current.as_ref().is_none_or(|(current, _)| current != path) {
            let bytes = std::fs::read(self.site_root.join(PathBuf::from(path))).unwrap_or_default();
            let lines = String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect();
            self.current = Some((path.to_string(), lines));
            self.line_chars = None;
        }
        if self.line_chars.as_ref().is_none_or(|(cached, _)| *cached != line) {
            let text = self.current.as_ref()?.1.get(line - 1)?;
            self.line_chars = Some((line, text.trim_start_matches('\u{feff}').chars().collect()));
        }
        self.line_chars.as_ref().map(|(_, chars)| chars.as_slice())
    }
}

/// The part of a source line to show around `column`, and the padding that puts a caret
/// under it. Very long lines (minified HTML, 5 MB one-line pages) are cut to a window
/// around the column; control characters, which would garble a terminal, show as `\u{fffd}`.
fn excerpt(line: &[char], column: usize) -> (String, String) {
    const BEFORE: usize = 60;
    const WIDTH: usize = 120;
    let column = column.max(1);
    let skip = column.saturating_sub(1 + BEFORE).min(line.len());
    let window = &line[skip..line.len().min(skip + WIDTH)];
    let mut shown = String::new();
    let mut caret_pad = String::new();
    if skip > 0 {
        shown.push('…');
        caret_pad.push(' ');
    }
    let visible = |c: &char| if c.is_control() && *c != '\t' { '\u{fffd}' } else { *c };
    shown.extend(window.iter().map(visible));
    // The caret lines up in a terminal: a tab stays a tab, a wide (CJK) character takes two
    // columns there.
    for c in window.iter().take(column - 1 - skip) {
        match c {
            '\t' => caret_pad.push('\t'),
            c => caret_pad.extend(std::iter::repeat_n(' ', unicode_width::UnicodeWidthChar::width(*c).unwrap_or(1))),
        }
    }
    (shown, caret_pad)
}

/// Sorts diagnostics into a stable reading order: by file, then position, then code.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.code, &a.message).cmp(&(&b.path, b.line, b.column, b.code, &b.message))
    });
}

/// Maps byte offsets in a text to 1-based (line, column) pairs, columns in characters.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// The last answer as (line index, offset, column): passes ask in increasing order, so
    /// counting on from it keeps a long line with many links linear, not quadratic.
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineIndex { text, line_starts, last: std::cell::Cell::new((0, 0, 1)) }
    }

    /// The (line, column) of `offset`, both 1-based.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let (last_line, last_offset, last_column) = self.last.get();
        let (from, from_column) = if last_line == line && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (self.line_starts[line], 1)
        };
        let column = from_column + self.text.get(from..offset).map_or(offset - from, |s| s.chars().count());
        self.last.set((line, offset, column));
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_in_the_sources_is_a_known_code() {
        let call =
            regex::Regex::new(r#"(?:Diagnostic::(?:error|warning)|Problem::new|warn)\(\s*"([a-z][a-z-]*)""#).unwrap();
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = 0;
        for entry in walkdir::WalkDir::new(&src) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for code in call.captures_iter(&text).map(|c| c[1].to_string()) {
                found += 1;
                let in_a_test = entry.path().ends_with("tests.rs") || code == "x";
                assert!(
                    in_a_test || CODES.contains(&code.as_str()),
                    "{}: `{code}` is not in CODES",
                    entry.path().display()
                );
            }
        }
        assert!(found > 50, "the scan found only {found} codes");
    }

    #[test]
    fn severity_of_links_pointing_nowhere_depends_on_the_command() {
        for code in ["broken-link", "broken-image", "broken-anchor", "broken-toc-entry"] {
            assert_eq!(severity_in(code, Mode::Check), Some(Severity::Error), "{code}");
            assert_eq!(severity_in(code, Mode::Build), Some(Severity::Warning), "{code}");
        }
        for code in ["case-mismatch", "front-matter", "missing-alt", "duplicate-url"] {
            assert_eq!(severity_in(code, Mode::Check), None, "{code}");
        }
        let mut diagnostics = vec![
            Diagnostic::warning("broken-link", "a.md", "x"),
            Diagnostic::warning("case-mismatch", "a.md", "y"),
            Diagnostic::error("front-matter", "a.md", "z"),
        ];
        apply_mode(&mut diagnostics, Mode::Check);
        let severities: Vec<Severity> = diagnostics.iter().map(|d| d.severity).collect();
        assert_eq!(severities, [Severity::Error, Severity::Warning, Severity::Error]);
    }

    #[test]
    fn json_has_exactly_the_keys_of_the_spec() {
        let json = to_json(&[
            Diagnostic::error("broken-link", "content/zh-cn/TOC.md", "m").at(12, 5),
            Diagnostic::warning("unknown-locale", "content/fr", "n").with_help("h"),
        ]);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!([
                {"severity": "error", "code": "broken-link", "path": "content/zh-cn/TOC.md", "line": 12, "column": 5, "message": "m"},
                {"severity": "warning", "code": "unknown-locale", "path": "content/fr", "line": 0, "column": 0, "message": "n", "help": "h"},
            ])
        );
    }

    #[test]
    fn renders_like_rustc_with_a_caret_under_the_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.md"), "\u{feff}first\n\tsee [x](y.md)\n").unwrap();
        let text = Diagnostic::error("broken-link", "a.md", "link target `y.md` does not exist")
            .at(2, 6)
            .with_help("did you mean `x.md`?")
            .render(dir.path());
        assert_eq!(
            text,
            "a.md:2:6: error[broken-link]: link target `y.md` does not exist\n  |\n2 | \tsee [x](y.md)\n  | \t    ^\n  = help: did you mean `x.md`?\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column_and_controls_hidden() {
        let line: Vec<char> = format!("{}[x](y.md)\0", "a".repeat(5_000_000)).chars().collect();
        let (shown, pad) = excerpt(&line, 5_000_001);
        assert!(shown.starts_with('…') && shown.chars().count() <= 121, "{}", shown.len());
        assert!(shown.contains("[x](y.md)\u{fffd}"), "{shown}");
        assert_eq!(shown.chars().nth(pad.chars().count()), Some('['));
        let (short, pad) = excerpt(&['a', 'b'], 2);
        assert_eq!((short.as_str(), pad.as_str()), ("ab", " "));
        let (_, pad) = excerpt(&['容', '器', '[', 'x'], 3);
        assert_eq!(pad, "    ", "wide characters take two terminal columns");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let index = LineIndex::new("ab\n容器x\n\nz");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(9), (2, 3));
        assert_eq!(index.position(12), (4, 1));
        // Out of order too: the cache only helps when offsets grow on one line.
        assert_eq!(index.position(6), (2, 2));
        assert_eq!(index.position(1), (1, 2));
        assert_eq!(index.position(10), (2, 4));
        assert_eq!(index.position(9), (2, 3));
    }

    #[test]
    fn positions_on_a_long_line_are_linear() {
        let line = "容器 [link](x.md) ".repeat(200_000);
        let index = LineIndex::new(&line);
        let started = std::time::Instant::now();
        let last = line.match_indices('[').map(|(offset, _)| index.position(offset)).last();
        assert_eq!(last, Some((1, 199_999 * 16 + 4)));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }
}
