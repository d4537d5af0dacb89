//! Code snippets quoted from files of the docs set, highlighted like fenced code:
//! `:::code source="x.cs" language="csharp" range="3-9" highlight="2" id="main":::` and
//! `[!code-csharp[](x.cs#main)]`, `[!code-cs[](x.cs#L3-L9)]`,
//! `[!code-cs[](x.cs?name=main&highlight=2&dedent=4)]`. A region is the lines between
//! `#region name` / `#endregion` or a `<name>` … `</name>` comment in any comment style
//! DocFX knows (`//`, `#`, `'`, `--`, `rem`, `<!-- -->`, `/* */`, `%`, `;`); tag lines are
//! left out and the common indentation removed. The file is read through `Site::asset_text`
//! (the page locale's, else the source locale's), relative to the file the directive is in.

use std::ops::RangeInclusive;

use super::MarkdownContext;
use super::directives::{Attributes, Problem};

/// Which lines of the file to show.
#[derive(Debug, PartialEq)]
enum Selection {
    All,
    Region(String),
    Lines(Vec<RangeInclusive<usize>>),
}

/// One snippet, as written.
#[derive(Debug, PartialEq)]
struct Request {
    source: String,
    language: String,
    selection: Selection,
    /// 1-based lines of the shown snippet to mark.
    highlight: Vec<RangeInclusive<usize>>,
    dedent: Option<usize>,
}

/// `:::code …:::`.
pub(super) fn render_directive(
    attributes: &Attributes,
    from_rel_path: &str,
    context: &MarkdownContext<'_>,
    problems: &mut Vec<Problem>,
) -> String {
    let unknown = attributes.unknown(&["source", "language", "range", "highlight", "id", "interactive"]);
    if !unknown.is_empty() {
        problems
            .push(Problem::new("bad-directive", format!("`:::code` has unknown attributes: {}", unknown.join(", "))));
    }
    let Some(source) = attributes.get("source").map(str::trim).filter(|s| !s.is_empty()) else {
        problems.push(Problem::new("bad-directive", "`:::code` needs a `source`"));
        return String::new();
    };
    let selection = match (attributes.get("id"), attributes.get("range")) {
        (Some(id), _) if !id.trim().is_empty() => Selection::Region(id.trim().to_string()),
        (_, Some(range)) => match line_ranges(range) {
            Some(ranges) => Selection::Lines(ranges),
            None => return bad_ranges("range", range, problems),
        },
        _ => Selection::All,
    };
    let highlight = match attributes.get("highlight").map(|h| (h, line_ranges(h))) {
        None => Vec::new(),
        Some((_, Some(ranges))) => ranges,
        Some((written, None)) => return bad_ranges("highlight", written, problems),
    };
    let language = attributes.get("language").unwrap_or("").trim().to_string();
    let request = Request { source: source.to_string(), language, selection, highlight, dedent: None };
    render(request, from_rel_path, context, problems)
}

/// `[!code-lang[name](target)]`.
pub(super) fn render_reference(
    language: &str,
    target: &str,
    from_rel_path: &str,
    context: &MarkdownContext<'_>,
    problems: &mut Vec<Problem>,
) -> String {
    match parse_reference(language, target) {
        Ok(request) => render(request, from_rel_path, context, problems),
        Err(message) => {
            problems.push(Problem::new("bad-directive", message));
            String::new()
        }
    }
}

fn render(request: Request, from_rel_path: &str, context: &MarkdownContext<'_>, problems: &mut Vec<Problem>) -> String {
    let file = match context.site.asset_text(context.locale, from_rel_path, &request.source) {
        Ok(file) => {
            context.read_files.borrow_mut().push(file.file.clone());
            file
        }
        Err(message) => {
            problems.push(
                Problem::new("broken-link", format!("code snippet source {message}"))
                    .with_help("the path is relative to the file holding the snippet"),
            );
            return String::new();
        }
    };
    if let Some(mismatch) = &file.case_mismatch {
        problems.push(Problem::new(
            "case-mismatch",
            format!("`{}` matches the file `{}` only ignoring case", mismatch.written, mismatch.actual),
        ));
    }
    let lines = match extract(&file.text, &request.selection) {
        Ok(lines) if !lines.is_empty() => lines,
        Ok(_) => {
            problems
                .push(Problem::new("bad-directive", format!("the snippet of `{}` selects no lines", request.source)));
            return String::new();
        }
        Err(message) => {
            problems.push(Problem::new("bad-directive", format!("{message} in `{}`", request.source)));
            return String::new();
        }
    };
    let code = dedent(&lines, request.dedent);
    let language = if request.language.is_empty() { language_of(&request.source) } else { request.language.clone() };
    let marked: Vec<usize> = request.highlight.iter().flat_map(|range| range.clone()).collect();
    if marked.is_empty() {
        context.highlighter.code_block(&language, &code).to_string()
    } else {
        context.highlighter.code_block_marked(&language, &code, &marked)
    }
}

fn bad_ranges(attribute: &str, written: &str, problems: &mut Vec<Problem>) -> String {
    problems.push(
        Problem::new("bad-directive", format!("`{attribute}=\"{written}\"` is not a list of line ranges"))
            .with_help("write lines like `3-9,12` (1-based; `5-` runs to the end)"),
    );
    String::new()
}

/// Parses `path?name=x&range=1-3&highlight=2&dedent=4#region "title"` (`#L3-L9` for lines).
fn parse_reference(language: &str, target: &str) -> Result<Request, String> {
    let target = target.trim();
    // An optional title in quotes ends the target.
    let target = match target.find(" \"") {
        Some(space) if target.ends_with('"') => target[..space].trim_end(),
        _ => target,
    };
    let (path_and_query, bookmark) = target.split_once('#').map_or((target, None), |(p, b)| (p, Some(b)));
    let (path, query) = path_and_query.split_once('?').map_or((path_and_query, None), |(p, q)| (p, Some(q)));
    if path.trim().is_empty() {
        return Err("the snippet reference has no path".to_string());
    }
    let mut request = Request {
        source: path.trim().to_string(),
        language: language.trim().to_string(),
        selection: Selection::All,
        highlight: Vec::new(),
        dedent: None,
    };
    let (mut start, mut end) = (None, None);
    for pair in query.unwrap_or("").split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| format!("`{pair}` in the snippet query has no value"))?;
        let ranges = || line_ranges(value).ok_or_else(|| format!("`{key}={value}` is not a list of line ranges"));
        let number = || value.trim().parse::<usize>().map_err(|_| format!("`{key}={value}` is not a number"));
        match key.to_ascii_lowercase().as_str() {
            "name" => request.selection = Selection::Region(value.to_string()),
            "range" => request.selection = Selection::Lines(ranges()?),
            "highlight" => request.highlight = ranges()?,
            "dedent" => request.dedent = Some(number()?),
            "start" => start = Some(number()?),
            "end" => end = Some(number()?),
            other => return Err(format!("`{other}` is not a snippet query parameter")),
        }
    }
    if let Some(start) = start {
        request.selection = Selection::Lines(vec![start..=end.unwrap_or(usize::MAX)]);
    }
    if let Some(bookmark) = bookmark.map(str::trim).filter(|b| !b.is_empty()) {
        request.selection = match bookmark_lines(bookmark) {
            Some(lines) => Selection::Lines(vec![lines]),
            None => Selection::Region(bookmark.to_string()),
        };
    }
    Ok(request)
}

/// `L3-L9` or `L5`.
fn bookmark_lines(bookmark: &str) -> Option<RangeInclusive<usize>> {
    let (first, last) = bookmark.split_once('-').map_or((bookmark, None), |(f, l)| (f, Some(l)));
    let line = |text: &str| text.strip_prefix(['L', 'l'])?.parse::<usize>().ok().filter(|n| *n > 0);
    let first = line(first)?;
    let last = match last {
        Some(last) => line(last)?,
        None => first,
    };
    Some(first..=last)
}

/// `1-3,5,7-` as 1-based inclusive ranges (`7-` runs to the end).
fn line_ranges(text: &str) -> Option<Vec<RangeInclusive<usize>>> {
    let mut ranges = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (first, last) = part.split_once('-').map_or((part, None), |(f, l)| (f, Some(l)));
        let first: usize = first.trim().parse().ok().filter(|n| *n > 0)?;
        let last = match last.map(str::trim) {
            None => first,
            Some("") => usize::MAX,
            Some(last) => last.parse().ok().filter(|n| *n >= first)?,
        };
        ranges.push(first..=last);
    }
    Some(ranges)
}

/// The selected lines of `text`.
fn extract<'t>(text: &'t str, selection: &Selection) -> Result<Vec<&'t str>, String> {
    let lines: Vec<&str> = text.lines().collect();
    match selection {
        Selection::All => Ok(lines),
        Selection::Lines(ranges) => {
            let mut selected = Vec::new();
            for range in ranges {
                if *range.start() == 0 || range.end() < range.start() {
                    return Err(format!("lines {}-{} are not a range of lines", range.start(), range.end()));
                }
                if *range.start() > lines.len() {
                    return Err(format!("line {} is past the end ({} lines)", range.start(), lines.len()));
                }
                let end = (*range.end()).min(lines.len());
                selected.extend_from_slice(&lines[range.start() - 1..end]);
            }
            Ok(selected)
        }
        Selection::Region(name) => {
            let range = region(&lines, name).ok_or_else(|| format!("there is no region or snippet tag `{name}`"))?;
            Ok(lines[range].iter().copied().filter(|line| tag_of(line).is_none()).collect())
        }
    }
}

/// What a tag line is: a start (`#region x`, `// <x>`) or an end (`#endregion`, `// </x>`).
#[derive(Debug, PartialEq)]
enum Tag {
    Start(String),
    End(Option<String>),
}

/// Comment styles of snippet tags: what comes before and after `<name>`.
const TAG_STYLES: &[(&str, &str)] =
    &[("//", ""), ("#", ""), ("'", ""), ("--", ""), ("rem", ""), ("<!--", "-->"), ("/*", "*/"), ("%", ""), (";", "")];

fn tag_of(line: &str) -> Option<Tag> {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    if let Some(name) = compact.strip_prefix("#region") {
        return Some(Tag::Start(name.trim_matches('"').to_string()));
    }
    if compact.starts_with("#endregion") || compact == "#endregion" {
        return Some(Tag::End(None));
    }
    for (open, close) in TAG_STYLES {
        let Some(inner) = compact.strip_prefix(open).and_then(|rest| rest.strip_suffix(close)) else { continue };
        let Some(tag) = inner.strip_prefix('<').and_then(|rest| rest.strip_suffix('>')) else { continue };
        let valid =
            |name: &str| !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
        match tag.strip_prefix('/') {
            Some(name) if valid(name) => return Some(Tag::End(Some(name.to_string()))),
            None if valid(tag) => return Some(Tag::Start(tag.to_string())),
            _ => {}
        }
    }
    None
}

/// The lines inside region `name` (or `snippet<name>`), tags excluded.
fn region(lines: &[&str], name: &str) -> Option<std::ops::Range<usize>> {
    let name = name.to_lowercase();
    // DocFX also finds `<snippetX>` for the name `X`.
    let wanted = |tag: &str| tag == name || tag.strip_prefix("snippet") == Some(name.as_str());
    let mut open: Vec<(String, usize)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        match tag_of(line) {
            Some(Tag::Start(tag)) => open.push((tag, index + 1)),
            Some(Tag::End(end)) => {
                // `#endregion` closes the innermost region; `</x>` closes `<x>`.
                let position = match &end {
                    None => open.len().checked_sub(1),
                    Some(tag) => open.iter().rposition(|(open_tag, _)| open_tag == tag),
                };
                let Some(position) = position else { continue };
                let (tag, start) = open.remove(position);
                if wanted(&tag) {
                    return Some(start..index);
                }
            }
            None => {}
        }
    }
    None
}

/// The lines joined, without their common indentation (or `by` leading blanks when given).
/// Only spaces and tabs count, so cutting never splits a character.
fn dedent(lines: &[&str], by: Option<usize>) -> String {
    let indent = |line: &str| line.bytes().take_while(|b| matches!(b, b' ' | b'\t')).count();
    let common =
        by.unwrap_or_else(|| lines.iter().filter(|l| !l.trim().is_empty()).map(|l| indent(l)).min().unwrap_or(0));
    let mut code = String::new();
    for line in lines {
        code.push_str(&line[indent(line).min(common)..]);
        code.push('\n');
    }
    code
}

/// The language of a file by its name, for the highlighter.
fn language_of(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_ascii_lowercase();
    if name == "dockerfile" || name.starts_with("dockerfile.") {
        return "dockerfile".to_string();
    }
    name.rsplit_once('.').map_or_else(String::new, |(_, extension)| extension.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "using System;\n\nclass App\n{\n    #region main\n    static void Main()\n    {\n        // <snippetinner>\n        Run();\n        // </snippetinner>\n    }\n    #endregion\n}\n";

    #[test]
    fn regions_and_tags_select_lines_without_tag_lines() {
        let main = extract(CODE, &Selection::Region("Main".into())).unwrap();
        assert_eq!(dedent(&main, None), "static void Main()\n{\n    Run();\n}\n");
        let inner = extract(CODE, &Selection::Region("inner".into())).unwrap();
        assert_eq!(dedent(&inner, None), "Run();\n");
        let xml = "<a>\n  <!-- <part> -->\n  <b/>\n  <!-- </part> -->\n</a>\n";
        assert_eq!(extract(xml, &Selection::Region("part".into())).unwrap(), ["  <b/>"]);
        assert!(extract(CODE, &Selection::Region("missing".into())).is_err());
    }

    #[test]
    fn line_ranges_and_bookmarks() {
        assert_eq!(line_ranges("1-3, 5,7-"), Some(vec![1..=3, 5..=5, 7..=usize::MAX]));
        assert_eq!(line_ranges("0-2"), None);
        assert_eq!(line_ranges("3-1"), None);
        assert_eq!(extract(CODE, &Selection::Lines(vec![1..=1, 3..=3])).unwrap(), ["using System;", "class App"]);
        assert!(extract(CODE, &Selection::Lines(vec![99..=99])).is_err());
        assert_eq!(dedent(&["    a", "      b"], Some(2)), "  a\n    b\n");
        assert_eq!(dedent(&["  a", "\u{3000}b"], None), "  a\n\u{3000}b\n", "only ASCII blanks are indentation");
        let request = parse_reference("cs", "a.cs?start=0").unwrap();
        assert!(extract(CODE, &request.selection).is_err(), "line 0 does not exist");
        let request = parse_reference("cs", "a.cs?start=5&end=2").unwrap();
        assert!(extract(CODE, &request.selection).is_err());
    }

    #[test]
    fn references_parse_like_docfx() {
        let request = parse_reference("csharp", "app.cs#L3-L5 \"Title\"").unwrap();
        assert_eq!((request.source.as_str(), request.selection), ("app.cs", Selection::Lines(vec![3..=5])));
        let request = parse_reference("", "../x/app.cs?name=main&highlight=1-2&dedent=4").unwrap();
        assert_eq!(request.selection, Selection::Region("main".into()));
        assert_eq!((request.highlight, request.dedent), (vec![1..=2], Some(4)));
        assert_eq!(parse_reference("cs", "a.cs?start=2&end=4").unwrap().selection, Selection::Lines(vec![2..=4]));
        assert_eq!(parse_reference("cs", "a.cs#main").unwrap().selection, Selection::Region("main".into()));
        assert!(parse_reference("cs", "a.cs?bogus=1").is_err());
        assert_eq!(language_of("samples/Dockerfile"), "dockerfile");
        assert_eq!(language_of("a/b.PS1"), "ps1");
    }
}
