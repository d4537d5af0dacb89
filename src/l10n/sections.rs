//! What changed between two versions of a source page, section by section. A section is a
//! heading and the text up to the next heading, named by the id the rendered page gives the
//! heading (`<a name>`, `{#id}` or the slug: `markdown::heading_offsets`), so sections pair
//! up with the anchors readers see and, through the `<a name>` anchors translations keep,
//! with the translation's headings. Pure: the versions come in as text.

use std::collections::{BTreeMap, HashMap, HashSet};

use pulldown_cmark::{Event, Parser, Tag};
use serde::Serialize;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::content::{Page, front_matter};
use crate::markdown::{heading_offsets, parser_options};

/// The differences between the version a translation was made from and the current source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceDiff {
    /// Front-matter keys added, removed or changed, sorted.
    pub front_matter: Vec<String>,
    /// Changed, added and removed sections, in the order of the current source (removed ones
    /// where they used to be).
    pub sections: Vec<SectionChange>,
}

/// One section that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SectionChange {
    /// The heading's id; empty for the text before the first heading.
    pub id: String,
    /// The heading text in the source (the old version's for a removed section).
    pub title: String,
    /// The same section's heading in the translation, when the two pair up.
    pub translated_title: Option<String>,
    pub change: Change,
    /// Blocks (paragraphs, lists, tables, code blocks, …) by kind: how many changed, were
    /// added and were removed inside a changed section.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub changed: BTreeMap<BlockKind, usize>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub added: BTreeMap<BlockKind, usize>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub removed: BTreeMap<BlockKind, usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Changed,
    Added,
    Removed,
}

/// What a top-level Markdown block is, to say "2 paragraphs and 1 table changed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    Heading,
    /// A tab label (`# [Linux](#tab/linux)`): a heading in Markdown, not a section.
    Tab,
    Paragraph,
    List,
    Table,
    CodeBlock,
    Quote,
    Html,
    Other,
}

impl BlockKind {
    /// The English noun, singular or plural.
    pub fn noun(self, count: usize) -> &'static str {
        let (one, many) = match self {
            BlockKind::Heading => ("heading", "headings"),
            BlockKind::Tab => ("tab", "tabs"),
            BlockKind::Paragraph => ("paragraph", "paragraphs"),
            BlockKind::List => ("list", "lists"),
            BlockKind::Table => ("table", "tables"),
            BlockKind::CodeBlock => ("code block", "code blocks"),
            BlockKind::Quote => ("quote", "quotes"),
            BlockKind::Html => ("HTML block", "HTML blocks"),
            BlockKind::Other => ("block", "blocks"),
        };
        if count == 1 { one } else { many }
    }
}

/// One section of one version of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// From the heading's first byte up to the next heading, line endings as LF.
    pub text: String,
}

/// Compares the version of a source file a translation was made from (`old_file`, front
/// matter included) with the current `source` page, and names the sections by the
/// translation's headings where the two pair up.
pub fn diff(old_file: &str, source: &Page, translation: Option<&Page>) -> SourceDiff {
    let (old_meta, old_body) = split_front_matter(old_file);
    let old_sections = sections(&old_body);
    let new_sections = sections(&source.body().replace("\r\n", "\n"));
    let titles = translation
        .map(|page| translated_titles(&old_sections, &sections(&page.body().replace("\r\n", "\n"))))
        .unwrap_or_default();
    let mut changes = compare(&old_sections, &new_sections);
    for change in &mut changes {
        // Only sections the old version had can have a translation; an added one has none.
        change.translated_title = titles.get(&change.id).cloned();
    }
    SourceDiff { front_matter: changed_keys(&old_meta, source.front_matter.meta()), sections: changes }
}

/// The changed, added and removed sections in the new version's order, each removed one
/// after the surviving section that preceded it.
fn compare(old: &[Section], new: &[Section]) -> Vec<SectionChange> {
    let old_by_id: HashMap<&str, &Section> = old.iter().map(|s| (s.id.as_str(), s)).collect();
    let new_ids: HashSet<&str> = new.iter().map(|s| s.id.as_str()).collect();
    let mut removed_after: HashMap<Option<&str>, Vec<&Section>> = HashMap::new();
    let mut previous_surviving = None;
    for section in old {
        if new_ids.contains(section.id.as_str()) {
            previous_surviving = Some(section.id.as_str());
        } else {
            removed_after.entry(previous_surviving).or_default().push(section);
        }
    }
    let removed = |section: &Section| SectionChange::new(section, Change::Removed);
    let mut changes: Vec<SectionChange> =
        removed_after.remove(&None).unwrap_or_default().into_iter().map(removed).collect();
    for section in new {
        match old_by_id.get(section.id.as_str()) {
            None => changes.push(SectionChange::new(section, Change::Added)),
            Some(old_section) if old_section.text != section.text => {
                let (changed, added, removed) = block_changes(&old_section.text, &section.text);
                changes.push(SectionChange { changed, added, removed, ..SectionChange::new(section, Change::Changed) });
            }
            Some(_) => {}
        }
        if let Some(gone) = removed_after.remove(&Some(section.id.as_str())) {
            changes.extend(gone.into_iter().map(removed));
        }
    }
    changes
}

impl SectionChange {
    fn new(section: &Section, change: Change) -> SectionChange {
        SectionChange {
            id: section.id.clone(),
            title: section.title.clone(),
            translated_title: None,
            change,
            changed: BTreeMap::new(),
            added: BTreeMap::new(),
            removed: BTreeMap::new(),
        }
    }
}

/// Cuts a page body into sections at its headings. Text before the first heading is a
/// section with an empty id (left out when blank).
pub fn sections(body: &str) -> Vec<Section> {
    let headings = heading_offsets(body);
    let mut sections = Vec::with_capacity(headings.len() + 1);
    let first_start = headings.first().map_or(body.len(), |(_, start)| *start);
    if !body[..first_start].trim().is_empty() {
        sections.push(Section { id: String::new(), title: String::new(), text: body[..first_start].to_string() });
    }
    for (index, (heading, start)) in headings.iter().enumerate() {
        let end = headings.get(index + 1).map_or(body.len(), |(_, next)| *next);
        sections.push(Section {
            id: heading.id.clone(),
            title: heading.title.clone(),
            text: body[*start..end].to_string(),
        });
    }
    sections
}

/// The front matter as a map and the body with LF line endings; malformed front matter is
/// compared as body text.
fn split_front_matter(text: &str) -> (serde_json::Map<String, serde_json::Value>, String) {
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    match front_matter::split(&text) {
        Ok(split) => (split.front_matter.meta().clone(), split.body.to_string()),
        Err(_) => (serde_json::Map::new(), text),
    }
}

fn changed_keys(
    old: &serde_json::Map<String, serde_json::Value>,
    new: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let mut keys: Vec<String> =
        old.keys().chain(new.keys()).filter(|key| old.get(*key) != new.get(*key)).cloned().collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The translation's heading title for each of `old`'s section ids: by id where the
/// translation kept the source's anchors, else by position when both have the same
/// number of sections (the translation's slugs are then in its own language).
fn translated_titles(old: &[Section], translation: &[Section]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &Section> = translation.iter().map(|s| (s.id.as_str(), s)).collect();
    let same_shape = old.len() == translation.len();
    old.iter()
        .enumerate()
        .filter(|(_, section)| !section.id.is_empty())
        .filter_map(|(index, section)| {
            let paired = by_id.get(section.id.as_str()).copied().or_else(|| same_shape.then(|| &translation[index]))?;
            (!paired.title.is_empty()).then(|| (section.id.clone(), paired.title.clone()))
        })
        .collect()
}

type BlockCounts = BTreeMap<BlockKind, usize>;

/// Which top-level blocks of a section changed, were added or removed.
fn block_changes(old: &str, new: &str) -> (BlockCounts, BlockCounts, BlockCounts) {
    let old_blocks = blocks(old);
    let new_blocks = blocks(new);
    let (mut changed, mut added, mut removed) = (BlockCounts::new(), BlockCounts::new(), BlockCounts::new());
    let count = |counts: &mut BlockCounts, kind: BlockKind| *counts.entry(kind).or_default() += 1;
    for op in capture_diff_slices(Algorithm::Myers, &old_blocks, &new_blocks) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete { old_index, old_len, .. } => {
                old_blocks[old_index..old_index + old_len].iter().for_each(|b| count(&mut removed, b.0));
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                new_blocks[new_index..new_index + new_len].iter().for_each(|b| count(&mut added, b.0));
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let paired = old_len.min(new_len);
                new_blocks[new_index..new_index + paired].iter().for_each(|b| count(&mut changed, b.0));
                new_blocks[new_index + paired..new_index + new_len].iter().for_each(|b| count(&mut added, b.0));
                old_blocks[old_index + paired..old_index + old_len].iter().for_each(|b| count(&mut removed, b.0));
            }
        }
    }
    (changed, added, removed)
}

/// The top-level blocks of a section's text: kind and source text (trailing blanks trimmed).
fn blocks(text: &str) -> Vec<(BlockKind, &str)> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, parser_options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    let block = text[range].trim_end();
                    let kind = match block_kind(&tag) {
                        BlockKind::Heading if block.contains("](#tab/") => BlockKind::Tab,
                        kind => kind,
                    };
                    blocks.push((kind, block));
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Rule | Event::Html(_) if depth == 0 => blocks.push((BlockKind::Other, text[range].trim_end())),
            _ => {}
        }
    }
    blocks
}

fn block_kind(tag: &Tag<'_>) -> BlockKind {
    match tag {
        Tag::Heading { .. } => BlockKind::Heading,
        Tag::Paragraph => BlockKind::Paragraph,
        Tag::List(_) => BlockKind::List,
        Tag::Table(_) => BlockKind::Table,
        Tag::CodeBlock(_) => BlockKind::CodeBlock,
        Tag::BlockQuote(_) => BlockKind::Quote,
        Tag::HtmlBlock => BlockKind::Html,
        _ => BlockKind::Other,
    }
}

#[cfg(test)]
mod tests;
