//! Navigation of one locale: its TOC (its own, else the source locale's, else the folder
//! tree) with every entry resolved to a page of the locale, then per page the open path of
//! the sidebar, breadcrumbs and previous/next. The whole tree goes out once per locale as
//! JSON, so a page's HTML holds only its own open path and does not grow with the site:
//! of a long level it shows one block of entries (`SIDEBAR_BLOCK`), the one on the path,
//! and a marker for each run of entries left out, which polydoc.js fills from the JSON.

use foldhash::{HashMap, HashMapExt as _};

use serde::Serialize;

use crate::config::Config;
use crate::content::{Locale, Site, TocItem};
use crate::diagnostic::Diagnostic;
use crate::markdown::PageLink;

/// A resolved navigation entry.
#[derive(Clone, Debug)]
pub struct NavNode {
    pub title: String,
    pub target: NavTarget,
    pub children: Vec<NavNode>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NavTarget {
    /// A group heading with no page of its own.
    None,
    /// A page or folder of this locale by key, with an optional fragment.
    Page { key: String, fragment: Option<String> },
    /// A URL outside the site, or a site-root link left as written.
    External(String),
}

/// The navigation of one locale, with an index from page key to the entry that shows it.
pub struct LocaleNav {
    pub roots: Vec<NavNode>,
    /// Page key → the index path of its first entry in the tree.
    positions: HashMap<String, Vec<usize>>,
    /// Page keys in reading order (first appearance in the tree), for previous/next.
    order: Vec<String>,
    order_index: HashMap<String, usize>,
}

/// One entry of a sidebar: the open path is expanded, the rest collapsed. Which entry is
/// the current page is not part of it: pages on the same open path share one rendering,
/// and `render` marks the page's own link afterwards. An entry with `more` > 0 stands for
/// that many entries of its level left out, `title` saying so.
#[derive(Clone, Debug, Serialize)]
pub struct SidebarItem {
    pub title: String,
    pub href: String,
    pub open: bool,
    pub has_children: bool,
    pub children: Vec<SidebarItem>,
    pub more: usize,
}

/// About how many entries of one level a sidebar shows. A level of up to one and a half
/// times this many shows whole; a longer one is cut into blocks of about this size (from
/// 0.75 to 1.5 times it), and a sidebar shows the block on its path. A page's sidebar is
/// then bounded by the depth of the tree, not by the size of the site: at 100,000 pages
/// the generated corpus has levels of 50 to 100 entries, which every page would repeat.
pub const SIDEBAR_BLOCK: usize = 24;

/// The entries of a level of `len` entries that a sidebar focused on entry `focus` shows.
fn shown_block(len: usize, focus: usize) -> std::ops::Range<usize> {
    let blocks = ((len + SIDEBAR_BLOCK / 2) / SIDEBAR_BLOCK).max(1);
    let start = |block: usize| block * len / blocks;
    let mut block = (focus * blocks / len.max(1)).min(blocks - 1);
    // Integer division can put the focus one block off either way.
    while block + 1 < blocks && start(block + 1) <= focus {
        block += 1;
    }
    while block > 0 && start(block) > focus {
        block -= 1;
    }
    start(block)..start(block + 1)
}

/// What a page's sidebar shows: the entries it expands (`open_path`, indexes from the
/// roots), and on the innermost level shown, the block of the page's own entry. Pages
/// with the same view share one rendering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SidebarView {
    pub open_path: Vec<usize>,
    /// The first entry of the innermost level's block shown.
    pub innermost_block: usize,
}

/// The TOC entries of a file, for checking against the output after rendering.
pub type TocLinks = Vec<(String, PageLink)>;

impl LocaleNav {
    /// Resolves `locale`'s navigation. TOC entries that point nowhere are reported (only for
    /// the locale whose TOC file it is) and shown as plain text.
    pub fn build(
        config: &Config,
        site: &Site,
        locale: &Locale,
        titles: &dyn Fn(&str) -> Option<String>,
        diagnostics: &mut Vec<Diagnostic>,
        toc_links: &mut TocLinks,
    ) -> LocaleNav {
        let own = site.locale(locale).expect("configured locale");
        let (items, report) = match (&own.toc, &site.source().toc) {
            (Some(items), _) => (items.clone(), true),
            (None, Some(items)) => (items.clone(), false),
            (None, None) => (folder_tree(site, locale, titles), false),
        };
        let mut resolver = Resolver { config, site, locale, report, diagnostics, toc_links };
        let roots = items.iter().map(|item| resolver.node(item)).collect();
        LocaleNav::index(roots)
    }

    fn index(roots: Vec<NavNode>) -> LocaleNav {
        let mut nav = LocaleNav { roots, positions: HashMap::new(), order: Vec::new(), order_index: HashMap::new() };
        let mut path = Vec::new();
        let roots = std::mem::take(&mut nav.roots);
        nav.walk(&roots, &mut path);
        nav.roots = roots;
        nav
    }

    fn walk(&mut self, nodes: &[NavNode], path: &mut Vec<usize>) {
        for (index, node) in nodes.iter().enumerate() {
            path.push(index);
            if let NavTarget::Page { key, fragment: None } = &node.target
                && !self.positions.contains_key(key)
            {
                self.positions.insert(key.clone(), path.clone());
                self.order_index.insert(key.clone(), self.order.len());
                self.order.push(key.clone());
            }
            self.walk(&node.children, path);
            path.pop();
        }
    }

    /// The open path of the page `key`'s sidebar: the index path of its entry, without the
    /// entry itself when it has no children to expand. Pages with the same open path show
    /// the same sidebar (siblings in a long TOC share it), so it is rendered once for them.
    pub fn open_path(&self, key: &str) -> &[usize] {
        let Some(path) = self.positions.get(key) else { return &[] };
        let mut nodes = &self.roots;
        for (depth, &index) in path.iter().enumerate() {
            let node = &nodes[index];
            if depth + 1 == path.len() && node.children.is_empty() {
                return &path[..depth];
            }
            nodes = &node.children;
        }
        path
    }

    /// What the sidebar of the page `key` shows.
    pub fn sidebar_view(&self, key: &str) -> SidebarView {
        let open_path = self.open_path(key);
        let mut innermost = &self.roots;
        for &index in open_path {
            innermost = &innermost[index].children;
        }
        // The page's own entry, when it is one of the innermost level's (a leaf).
        let own = self.positions.get(key).filter(|path| path.len() > open_path.len()).map(|path| path[open_path.len()]);
        let innermost_block = shown_block(innermost.len(), own.unwrap_or(0)).start;
        SidebarView { open_path: open_path.to_vec(), innermost_block }
    }

    /// The sidebar of `view`: the roots, and the children of each entry on the open path,
    /// of each level the block on the path. `href` maps a target to a URL, `more` names a
    /// run of `n` entries left out.
    pub fn sidebar(
        &self,
        view: &SidebarView,
        href: &dyn Fn(&NavTarget) -> String,
        more: &dyn Fn(usize) -> String,
    ) -> Vec<SidebarItem> {
        sidebar_level(&self.roots, &view.open_path, view.innermost_block, href, more)
    }

    /// The entries above the page `key` that link somewhere, outermost first.
    pub fn ancestors(&self, key: &str) -> Vec<&NavNode> {
        let Some(path) = self.positions.get(key) else { return Vec::new() };
        let mut nodes = &self.roots;
        let mut ancestors = Vec::new();
        for &index in &path[..path.len() - 1] {
            let node = &nodes[index];
            ancestors.push(node);
            nodes = &node.children;
        }
        ancestors
    }

    /// The pages before and after `key` in reading order.
    pub fn neighbours(&self, key: &str) -> (Option<&str>, Option<&str>) {
        let Some(&index) = self.order_index.get(key) else { return (None, None) };
        let previous = index.checked_sub(1).map(|i| self.order[i].as_str());
        let next = self.order.get(index + 1).map(String::as_str);
        (previous, next)
    }

    /// The whole tree as JSON, hrefs relative to the locale root.
    pub fn to_json(&self, href: &dyn Fn(&NavTarget) -> String) -> String {
        #[derive(Serialize)]
        struct JsonNode {
            title: String,
            href: String,
            children: Vec<JsonNode>,
        }
        fn convert(nodes: &[NavNode], href: &dyn Fn(&NavTarget) -> String) -> Vec<JsonNode> {
            nodes
                .iter()
                .map(|n| JsonNode {
                    title: n.title.clone(),
                    href: href(&n.target),
                    children: convert(&n.children, href),
                })
                .collect()
        }
        serde_json::to_string(&convert(&self.roots, href)).unwrap_or_else(|_| "[]".into())
    }
}

fn sidebar_level(
    nodes: &[NavNode],
    path: &[usize],
    innermost_block: usize,
    href: &dyn Fn(&NavTarget) -> String,
    more: &dyn Fn(usize) -> String,
) -> Vec<SidebarItem> {
    let shown = shown_block(nodes.len(), path.first().copied().unwrap_or(innermost_block));
    let left_out = |count: usize| SidebarItem {
        title: more(count),
        href: String::new(),
        open: false,
        has_children: false,
        children: Vec::new(),
        more: count,
    };
    let mut items = Vec::with_capacity(shown.len() + 2);
    if shown.start > 0 {
        items.push(left_out(shown.start));
    }
    for (index, node) in nodes.iter().enumerate().take(shown.end).skip(shown.start) {
        let on_path = path.first() == Some(&index);
        let open = on_path && !node.children.is_empty();
        let children =
            if open { sidebar_level(&node.children, &path[1..], innermost_block, href, more) } else { Vec::new() };
        items.push(SidebarItem {
            title: node.title.clone(),
            href: href(&node.target),
            open,
            has_children: !node.children.is_empty(),
            children,
            more: 0,
        });
    }
    if shown.end < nodes.len() {
        items.push(left_out(nodes.len() - shown.end));
    }
    items
}

struct Resolver<'a> {
    config: &'a Config,
    site: &'a Site,
    locale: &'a Locale,
    report: bool,
    diagnostics: &'a mut Vec<Diagnostic>,
    toc_links: &'a mut TocLinks,
}

impl Resolver<'_> {
    fn node(&mut self, item: &TocItem) -> NavNode {
        let target = match &item.href {
            None => NavTarget::None,
            Some(href) => self.target(item, href),
        };
        let children = item.children.iter().map(|child| self.node(child)).collect();
        NavNode { title: item.title.clone(), target, children }
    }

    fn target(&mut self, item: &TocItem, href: &str) -> NavTarget {
        if href.contains("://") || href.starts_with("mailto:") {
            return NavTarget::External(href.to_string());
        }
        if href.starts_with('/') {
            if self.config.link_root.is_none() && self.report {
                self.diagnostics.push(
                    Diagnostic::warning(
                        "site-root-link",
                        &item.origin,
                        format!(
                            "`{href}` is a site-root link and site.toml sets no `link_root`; it is left as written"
                        ),
                    )
                    .at(item.line, 1)
                    .with_help(
                        "set `link_root` in site.toml (e.g. `https://learn.microsoft.com`), or write a relative link",
                    ),
                );
            }
            return NavTarget::External(
                self.config.link_root.as_ref().map_or_else(|| href.to_string(), |root| format!("{root}{href}")),
            );
        }
        let (path, fragment) = href.split_once('#').map_or((href, None), |(p, f)| (p, Some(f.to_string())));
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        // TOC hrefs are already relative to the locale root.
        match self.site.resolve(self.locale, "", &decoded) {
            Some(resolution) => {
                if let Some(mismatch) = resolution.case_mismatch.filter(|_| self.report) {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            "case-mismatch",
                            &item.origin,
                            format!("`{}` matches the file `{}` only ignoring case", mismatch.written, mismatch.actual),
                        )
                        .at(item.line, 1)
                        .with_help("spell the entry as the file is named"),
                    );
                }
                match resolution.target {
                    crate::content::Target::Page { key } => {
                        if let Some(fragment) = fragment.clone().filter(|_| self.report) {
                            self.toc_links.push((
                                item.origin.clone(),
                                PageLink { key: key.clone(), fragment, line: item.line, column: 1 },
                            ));
                        }
                        NavTarget::Page { key, fragment }
                    }
                    crate::content::Target::Asset { output_path } => {
                        NavTarget::External(format!("asset:{output_path}"))
                    }
                }
            }
            None => {
                if self.report {
                    let mut diagnostic = Diagnostic::warning(
                        "broken-toc-entry",
                        &item.origin,
                        format!("TOC entry `{}` points to `{path}`, which does not exist", item.title),
                    )
                    .at(item.line, 1);
                    diagnostic.help = crate::check::suggest::toc_help(self.site, self.locale, item, &decoded);
                    self.diagnostics.push(diagnostic);
                }
                NavTarget::None
            }
        }
    }
}

/// A navigation tree from the folders, for a locale without any TOC: each folder is an
/// entry linking to its index (or generated listing) page, pages in path order.
fn folder_tree(site: &Site, locale: &Locale, titles: &dyn Fn(&str) -> Option<String>) -> Vec<TocItem> {
    let own = site.locale(locale).expect("configured locale");
    let mut keys: Vec<&str> = own.pages.keys().chain(site.source().pages.keys()).map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    folder_level(&keys, "", titles)
}

/// The items of the folder `prefix`. `keys` are sorted and all start with `prefix`, so
/// each subfolder's keys are a contiguous run of them: every key is looked at once per
/// level it is below, never once per folder of the site.
fn folder_level(keys: &[&str], prefix: &str, titles: &dyn Fn(&str) -> Option<String>) -> Vec<TocItem> {
    let entry = |title: String, href: String, children| TocItem {
        title,
        href: Some(href),
        origin: String::new(),
        line: 0,
        children,
    };
    let mut items = Vec::new();
    // (name, first key, one past the last key)
    let mut subfolders: Vec<(&str, usize, usize)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let key = &key[prefix.len()..];
        match key.split_once('/') {
            Some((folder, _)) => match subfolders.last_mut() {
                Some(last) if last.0 == folder => last.2 = i + 1,
                _ => subfolders.push((folder, i, i + 1)),
            },
            None if key == "index.md" => {}
            None => {
                let full = format!("{prefix}{key}");
                items.push(entry(titles(&full).unwrap_or_else(|| key.to_string()), full, Vec::new()));
            }
        }
    }
    for (folder, start, end) in subfolders {
        let folder_key = format!("{prefix}{folder}/");
        let title = titles(&format!("{folder_key}index.md")).unwrap_or_else(|| folder.to_string());
        let children = folder_level(&keys[start..end], &folder_key, titles);
        items.push(entry(title, folder_key, children));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(title: String) -> NavNode {
        NavNode { title: title.clone(), target: NavTarget::Page { key: title, fragment: None }, children: Vec::new() }
    }

    /// Roots `a`, `big` (with `n` leaves `p0`…), `z`.
    fn nav_with_level(n: usize) -> LocaleNav {
        let big = NavNode {
            title: "big".into(),
            target: NavTarget::Page { key: "big".into(), fragment: None },
            children: (0..n).map(|i| leaf(format!("p{i}"))).collect(),
        };
        LocaleNav::index(vec![leaf("a".into()), big, leaf("z".into())])
    }

    /// The sidebar in one line: titles, `+n` for a run left out, children in braces.
    fn describe(items: &[SidebarItem]) -> String {
        items
            .iter()
            .map(|item| match item.more {
                0 if item.open => format!("{}{{{}}}", item.title, describe(&item.children)),
                0 => item.title.clone(),
                n => format!("+{n}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn sidebar_of(nav: &LocaleNav, key: &str) -> String {
        describe(&nav.sidebar(&nav.sidebar_view(key), &|_| String::new(), &|n| format!("{n} more")))
    }

    #[test]
    fn blocks_cover_a_level_in_order_and_stay_near_the_block_size() {
        for len in 1..400 {
            let mut next = 0;
            let mut focus = 0;
            while focus < len {
                let block = shown_block(len, focus);
                assert!(block.contains(&focus), "{len}: {block:?} misses {focus}");
                assert_eq!(block.start, next, "{len}: blocks leave a gap or overlap");
                assert!(block.len() <= SIDEBAR_BLOCK * 3 / 2, "{len}: {block:?} is too long");
                assert!(len <= SIDEBAR_BLOCK || block.len() >= SIDEBAR_BLOCK * 3 / 4, "{len}: {block:?} too short");
                // Every entry of the block shows the same block.
                assert!(block.clone().all(|i| shown_block(len, i) == block));
                next = block.end;
                focus = block.end;
            }
            assert_eq!(next, len);
        }
    }

    #[test]
    fn a_short_level_shows_whole() {
        let nav = nav_with_level(3);
        assert_eq!(sidebar_of(&nav, "p1"), "a big{p0 p1 p2} z");
        assert_eq!(sidebar_of(&nav, "big"), "a big{p0 p1 p2} z");
        assert_eq!(sidebar_of(&nav, "z"), "a big z");
    }

    #[test]
    fn a_long_level_shows_the_block_of_the_page_and_counts_the_rest() {
        let nav = nav_with_level(100);
        let shown = |range: std::ops::Range<usize>| range.map(|i| format!("p{i}")).collect::<Vec<_>>().join(" ");
        assert_eq!(sidebar_of(&nav, "p0"), format!("a big{{{} +75}} z", shown(0..25)));
        assert_eq!(sidebar_of(&nav, "p60"), format!("a big{{+50 {} +25}} z", shown(50..75)));
        assert_eq!(sidebar_of(&nav, "p99"), format!("a big{{+75 {}}} z", shown(75..100)));
        // The folder's own page opens its first block.
        assert_eq!(sidebar_of(&nav, "big"), sidebar_of(&nav, "p3"));
        // Pages of one block share a view, so one rendering; other blocks have their own.
        assert_eq!(nav.sidebar_view("p50"), nav.sidebar_view("p74"));
        assert_ne!(nav.sidebar_view("p49"), nav.sidebar_view("p50"));
    }

    #[test]
    fn a_long_level_above_the_page_shows_the_block_on_its_path() {
        let mut roots: Vec<NavNode> = (0..60).map(|i| leaf(format!("r{i}"))).collect();
        roots[45].children = vec![leaf("inner".into())];
        let nav = LocaleNav::index(roots);
        let sidebar = sidebar_of(&nav, "inner");
        assert!(sidebar.starts_with("+40 r40 "), "{sidebar}");
        assert!(sidebar.contains(" r45{inner} "), "{sidebar}");
        assert!(sidebar.ends_with(" r59"), "{sidebar}");
        // A page outside the tree gets the first block of the roots.
        assert!(sidebar_of(&nav, "elsewhere").ends_with(" r19 +40"), "{}", sidebar_of(&nav, "elsewhere"));
    }
}
