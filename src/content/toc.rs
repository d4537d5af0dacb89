//! DocFX navigation: `TOC.yml`/`toc.yml` (`name`, `href`, `items`, nested TOC files) and
//! `TOC.md` (heading levels nest; a heading with a link is an entry, one without a group).
//! Hrefs are rebased onto the locale root here, so later stages resolve every entry the
//! same way whichever TOC file it came from; whether they point anywhere is decided later.

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

use super::page::parent_folder;
use crate::diagnostic::Diagnostic;

/// One navigation entry.
#[derive(Clone, Debug, PartialEq)]
pub struct TocItem {
    pub title: String,
    /// Relative hrefs are rebased onto the locale root (`about/faq.md#x`); absolute and
    /// site-root hrefs are kept as written. `None` for a group heading.
    pub href: Option<String>,
    /// Where the entry is written, for diagnostics: the file relative to the site root.
    pub origin: String,
    pub line: usize,
    pub children: Vec<TocItem>,
}

/// The TOC files of one locale, by lowercase path under the locale folder.
pub type TocFiles = BTreeMap<String, TocFile>;

#[derive(Clone, Debug)]
pub struct TocFile {
    /// As on disk, under the locale folder.
    pub rel_path: String,
    /// Relative to the site root.
    pub source_path: String,
    pub text: String,
}

/// Whether a file name is a DocFX TOC file.
pub fn is_toc_file(file_name: &str) -> bool {
    ["toc.yml", "toc.md", "toc.yaml"].iter().any(|name| file_name.eq_ignore_ascii_case(name))
}

/// Builds the locale's navigation from its root TOC file, following nested TOC references.
/// Returns `None` when the locale has no root TOC.
pub fn load_root(files: &TocFiles, diagnostics: &mut Vec<Diagnostic>) -> Option<Vec<TocItem>> {
    let root = ["toc.yml", "toc.yaml", "toc.md"].into_iter().find(|name| files.contains_key(*name))?;
    let mut visiting = Vec::new();
    Some(load_file(files, root, &mut visiting, diagnostics))
}

fn load_file(
    files: &TocFiles,
    key: &str,
    visiting: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<TocItem> {
    let Some(file) = files.get(key) else {
        return Vec::new();
    };
    if visiting.iter().any(|k| k == key) {
        diagnostics.push(Diagnostic::error(
            "include",
            &file.source_path,
            "this TOC file includes itself through nested TOC references",
        ));
        return Vec::new();
    }
    visiting.push(key.to_string());
    let folder = parent_folder(&file.rel_path).to_string();
    let items =
        if key.ends_with(".md") { parse_markdown(file, &folder) } else { parse_yaml(file, &folder, diagnostics) };
    let items = items.into_iter().map(|item| expand_nested(files, item, visiting, diagnostics)).collect();
    visiting.pop();
    items
}

/// Replaces references to other TOC files with that file's entries, as DocFX does.
fn expand_nested(
    files: &TocFiles,
    mut item: TocItem,
    visiting: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> TocItem {
    if let Some(href) = &item.href {
        let lower = href.to_ascii_lowercase();
        let file_name = lower.rsplit('/').next().unwrap_or("");
        let nested_key = if is_toc_file(file_name) {
            Some(lower.clone())
        } else if lower.ends_with('/') {
            ["toc.yml", "toc.yaml", "toc.md"]
                .into_iter()
                .map(|name| format!("{lower}{name}"))
                .find(|k| files.contains_key(k))
        } else {
            None
        };
        if let Some(nested_key) = nested_key
            && files.contains_key(&nested_key)
        {
            let nested = load_file(files, &nested_key, visiting, diagnostics);
            item.children.extend(nested);
            item.href = None;
        }
    }
    item.children = std::mem::take(&mut item.children)
        .into_iter()
        .map(|child| expand_nested(files, child, visiting, diagnostics))
        .collect();
    item
}

fn parse_yaml(file: &TocFile, folder: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<TocItem> {
    let documents = match YamlLoader::load_from_str(&file.text) {
        Ok(documents) => documents,
        Err(error) => {
            let marker = error.marker();
            diagnostics.push(
                Diagnostic::error("toc", &file.source_path, format!("invalid YAML: {}", error.info()))
                    .at(marker.line().max(1), marker.col() + 1),
            );
            return Vec::new();
        }
    };
    let line_of_name = NameLines::new(&file.text);
    let root = documents.into_iter().next().unwrap_or(Yaml::Null);
    // DocFX accepts both a bare list and `{ items: [...] }` at the top.
    let list = match root {
        Yaml::Array(list) => list,
        Yaml::Hash(hash) => match hash.get(&Yaml::String("items".into())) {
            Some(Yaml::Array(list)) => list.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut cursor = 0;
    yaml_items(&list, file, folder, &line_of_name, &mut cursor)
}

fn yaml_items(list: &[Yaml], file: &TocFile, folder: &str, lines: &NameLines, cursor: &mut usize) -> Vec<TocItem> {
    let mut items = Vec::new();
    for entry in list {
        let Yaml::Hash(hash) = entry else { continue };
        let field = |name: &str| hash.get(&Yaml::String(name.into())).and_then(yaml_scalar);
        let title = field("name").or_else(|| field("displayName")).unwrap_or_default();
        let href = field("href").or_else(|| field("topicHref")).or_else(|| field("tocHref"));
        let line = lines.next_after(&title, cursor);
        let children = match hash.get(&Yaml::String("items".into())) {
            Some(Yaml::Array(children)) => yaml_items(children, file, folder, lines, cursor),
            _ => Vec::new(),
        };
        let href = href.map(|h| rebase(folder, &h));
        items.push(TocItem { title, href, origin: file.source_path.clone(), line, children });
    }
    items
}

fn yaml_scalar(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(s) => Some(s.trim().to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The line of each `name:` key, so YAML entries (which the YAML parser does not locate)
/// can be reported at their line. Entries are visited in document order, so a cursor over
/// the `name:` lines finds each one.
struct NameLines {
    lines: Vec<(usize, String)>,
}

impl NameLines {
    fn new(text: &str) -> NameLines {
        let lines = text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| {
                let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
                let value = trimmed.strip_prefix("name:").or_else(|| trimmed.strip_prefix("displayName:"))?;
                Some((index + 1, value.trim().trim_matches(['"', '\'']).to_string()))
            })
            .collect();
        NameLines { lines }
    }

    fn next_after(&self, title: &str, cursor: &mut usize) -> usize {
        let found = self.lines[(*cursor).min(self.lines.len())..].iter().position(|(_, name)| name == title);
        match found {
            Some(offset) => {
                *cursor += offset + 1;
                self.lines[*cursor - 1].0
            }
            None => self.lines.get(*cursor).map_or(0, |(line, _)| *line),
        }
    }
}

fn parse_markdown(file: &TocFile, folder: &str) -> Vec<TocItem> {
    // (level, item) pairs in document order, then nested by level.
    let mut flat: Vec<(usize, TocItem)> = Vec::new();
    for (index, line) in file.text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim_end();
        let level = line.bytes().take_while(|&b| b == b'#').count();
        if level == 0 || !line[level..].starts_with([' ', '\t']) {
            continue;
        }
        let heading = line[level..].trim();
        let (title, href) = match parse_link(heading) {
            Some((title, href)) => (title, Some(rebase(folder, &href))),
            None => (heading.trim_end_matches('#').trim().to_string(), None),
        };
        flat.push((
            level,
            TocItem { title, href, origin: file.source_path.clone(), line: index + 1, children: Vec::new() },
        ));
    }
    nest(&mut flat.into_iter().peekable(), 0)
}

fn nest(flat: &mut std::iter::Peekable<impl Iterator<Item = (usize, TocItem)>>, parent_level: usize) -> Vec<TocItem> {
    let mut items = Vec::new();
    while let Some((level, _)) = flat.peek() {
        if *level <= parent_level {
            break;
        }
        let (level, mut item) = flat.next().expect("peeked");
        item.children = nest(flat, level);
        items.push(item);
    }
    items
}

/// `[Title](href)` → (title, href); `None` if the heading is not exactly one link.
fn parse_link(heading: &str) -> Option<(String, String)> {
    let rest = heading.strip_prefix('[')?;
    let close = rest.rfind("](")?;
    let href = rest[close + 2..].strip_suffix(')')?;
    let href = href.split_whitespace().next().unwrap_or("").trim_matches(['<', '>']);
    Some((rest[..close].trim().to_string(), href.to_string()))
}

/// Makes a TOC href relative to the locale root instead of the TOC file's folder.
fn rebase(folder: &str, href: &str) -> String {
    let href = href.trim();
    let is_absolute =
        href.contains("://") || href.starts_with('/') || href.starts_with('#') || href.starts_with("mailto:");
    if is_absolute || folder.is_empty() { href.to_string() } else { format!("{folder}{href}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> TocFiles {
        entries
            .iter()
            .map(|(path, text)| {
                let file = TocFile {
                    rel_path: path.to_string(),
                    source_path: format!("content/en-us/{path}"),
                    text: text.to_string(),
                };
                (path.to_ascii_lowercase(), file)
            })
            .collect()
    }

    #[test]
    fn markdown_headings_nest_and_groups_have_no_href() {
        let toc = files(&[(
            "TOC.md",
            "# [Home](index.md)\n\n# Overview\n## [About](about/index.md)\n### [Deep](about/deep.md)\n## [FAQ](about/faq.md)\n# Get Started\n",
        )]);
        let mut diagnostics = Vec::new();
        let items = load_root(&toc, &mut diagnostics).unwrap();
        assert!(diagnostics.is_empty());
        let titles: Vec<_> = items.iter().map(|i| (i.title.as_str(), i.href.as_deref(), i.children.len())).collect();
        assert_eq!(titles, [("Home", Some("index.md"), 0), ("Overview", None, 2), ("Get Started", None, 0)]);
        assert_eq!(items[1].children[0].children[0].href.as_deref(), Some("about/deep.md"));
        assert_eq!(items[1].children[1].line, 6);
    }

    #[test]
    fn yaml_nested_toc_files_are_spliced_and_rebased() {
        let toc = files(&[
            ("toc.yml", "- name: Home\n  href: index.md\n- name: Guides\n  href: guides/toc.yml\n"),
            ("guides/toc.yml", "items:\n- name: First\n  href: first.md\n- name: Site root\n  href: /azure/aks/\n"),
        ]);
        let mut diagnostics = Vec::new();
        let items = load_root(&toc, &mut diagnostics).unwrap();
        assert_eq!(items[1].href, None);
        assert_eq!(items[1].children[0].href.as_deref(), Some("guides/first.md"));
        assert_eq!(items[1].children[0].origin, "content/en-us/guides/toc.yml");
        assert_eq!(items[1].children[0].line, 2);
        assert_eq!(items[1].children[1].href.as_deref(), Some("/azure/aks/"));
    }

    #[test]
    fn self_including_toc_is_reported_not_looped() {
        let toc = files(&[("toc.yml", "- name: Me\n  href: toc.yml\n")]);
        let mut diagnostics = Vec::new();
        load_root(&toc, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
    }
}
