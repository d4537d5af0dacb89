//! Content problems as data: `Diagnostic` (severity, stable code, file, line, column,
//! message, help) and the rustc-like text form. Producing stages return them instead of
//! failing, so one run reports every problem; `main` decides what they mean for the exit code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in the site's input, located in a file relative to the site root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable kebab-case name (`broken-link`, `front-matter`, …).
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
        if let Some(source_line) = self.source_line(site_root) {
            let gutter = self.line.to_string();
            let caret_pad: String = source_line
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{:width$} |", "", width = gutter.len());
            let _ = writeln!(out, "{gutter} | {source_line}");
            let _ = writeln!(out, "{:width$} | {caret_pad}^", "", width = gutter.len());
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }

    fn source_line(&self, site_root: &Path) -> Option<String> {
        if self.line == 0 {
            return None;
        }
        let bytes = std::fs::read(site_root.join(PathBuf::from(&self.path))).ok()?;
        let text = String::from_utf8_lossy(&bytes);
        let line = text.lines().nth(self.line - 1)?;
        let line = line.trim_start_matches('\u{feff}');
        // Very long lines (minified HTML, 5 MB one-line pages) are cut around the column.
        Some(line.chars().take(self.column.max(1) + 120).collect())
    }
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
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineIndex { text, line_starts }
    }

    /// The (line, column) of `offset`, both 1-based.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let index = LineIndex::new("ab\n容器x\n\nz");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        assert_eq!(index.position(9), (2, 3));
        assert_eq!(index.position(12), (4, 1));
    }
}
