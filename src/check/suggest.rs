//! Did-you-mean help for links, images, TOC entries and anchors that point nowhere: the
//! closest existing name by edit distance (`strsim`), "close" meaning at most a third of the
//! name's length, as rustc decides for misspelt identifiers. Pure lookups over `Site`; the
//! producers of the diagnostics attach the help.

use crate::content::page::parent_folder;
use crate::content::{Locale, LocaleContent, Site, TocItem, join};
use crate::output::relative_url;

/// What a link may name, which decides the candidates offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// A Markdown link or `href`: a page, or any file.
    Link,
    /// An image: a file (asset or diagram), never a page.
    Image,
}

/// The help for a relative link `written` in the file `from_rel_path` (under the locale
/// folder) that resolves nowhere: `did you mean `images-eula.md`?`, spelled relative to the
/// file, or `None` when nothing is close.
pub fn link_help(site: &Site, locale: &Locale, from_rel_path: &str, written: &str, wanted: Wanted) -> Option<String> {
    let from_folder = parent_folder(from_rel_path);
    let joined = join(from_folder, written)?;
    let found = similar_file(site, locale, &joined, wanted)?;
    Some(did_you_mean(&relative_url(from_folder, &found)))
}

/// The help for a TOC entry whose `href` (already rebased onto the locale root) names
/// nothing, spelled relative to the TOC file that holds the entry.
pub fn toc_help(site: &Site, locale: &Locale, item: &TocItem, href: &str) -> Option<String> {
    let joined = join("", href)?;
    let found = similar_file(site, locale, &joined, Wanted::Link)?;
    // `origin` is `content/<locale>/<folder>/TOC.md`; the href is written relative to its folder.
    let toc_rel_path = item.origin.splitn(3, '/').nth(2).unwrap_or("");
    Some(did_you_mean(&relative_url(parent_folder(toc_rel_path), &found)))
}

/// The help for a `#fragment` that is not among `anchors`: the closest anchor, if close.
pub fn anchor_help<'a>(fragment: &str, anchors: impl IntoIterator<Item = &'a String>) -> Option<String> {
    closest(fragment, anchors.into_iter().map(String::as_str)).map(|anchor| did_you_mean(&format!("#{anchor}")))
}

/// The candidate nearest to `wanted` by edit distance, if it is within a third of
/// `wanted`'s length; ties go to the first in sort order, so the answer is reproducible.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = wanted.chars().count().max(3) / 3;
    let wanted_length = wanted.chars().count();
    candidates
        .into_iter()
        // The length difference is a lower bound of the distance: a cheap first filter.
        .filter(|candidate| candidate.chars().count().abs_diff(wanted_length) <= limit)
        .map(|candidate| (strsim::levenshtein(wanted, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

fn did_you_mean(spelling: &str) -> String {
    format!("did you mean `{spelling}`?")
}

/// The existing file (as named on disk, under the locale folder) most like `joined`, a
/// path under the locale folder. A typo in the file name is looked for among the files of
/// the same folder; failing that, a file of the same name in the nearest other folder.
/// Files of the source locale count too, since a locale falls back to them. Both steps look
/// at a few names per broken link, so a site with thousands of them stays fast.
fn similar_file(site: &Site, locale: &Locale, joined: &str, wanted: Wanted) -> Option<String> {
    let lower = joined.to_lowercase();
    let (folder, name) = lower.rsplit_once('/').map_or(("", lower.as_str()), |(folder, name)| (folder, name));
    if name.is_empty() {
        return None;
    }
    let contents: Vec<&LocaleContent> = site.locale(locale).into_iter().chain([site.source()]).collect();
    let files = || contents.iter().flat_map(|content| candidates(content, wanted));

    let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
    let siblings: Vec<(&str, &str)> = files()
        .filter_map(|(key, rel_path)| {
            let sibling_name = key.strip_prefix(&prefix).filter(|rest| !rest.contains('/'))?;
            Some((sibling_name, rel_path))
        })
        .collect();
    if let Some(best) = closest(name, siblings.iter().map(|(sibling_name, _)| *sibling_name)) {
        return siblings.iter().find(|(sibling_name, _)| *sibling_name == best).map(|(_, rel)| rel.to_string());
    }
    let namesakes: Vec<(&str, &str)> = files()
        .filter(|(key, _)| key.rsplit('/').next() == Some(name))
        .map(|(key, rel)| (parent_folder(key), rel))
        .collect();
    namesakes
        .iter()
        .map(|(other_folder, rel_path)| (strsim::levenshtein(&prefix, other_folder), *rel_path))
        .min()
        .map(|(_, rel_path)| rel_path.to_string())
}

/// (lowercase key, path as on disk) of the files a link may name in one locale folder.
fn candidates(content: &LocaleContent, wanted: Wanted) -> Box<dyn Iterator<Item = (&str, &str)> + '_> {
    let assets = content.assets.iter().map(|(key, asset)| (key.as_str(), asset.rel_path.as_str()));
    let diagrams = content.diagrams.iter().map(|(key, diagram)| (key.as_str(), diagram.rel_path.as_str()));
    let files = assets.chain(diagrams);
    match wanted {
        Wanted::Image => Box::new(files),
        Wanted::Link => {
            Box::new(content.pages.iter().map(|(key, page)| (key.as_str(), page.rel_path.as_str())).chain(files))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_allows_a_third_of_the_length() {
        let names = ["images-eula.md", "index.md", "samples.md"];
        assert_eq!(closest("images_eula.md", names), Some("images-eula.md"));
        assert_eq!(closest("build-locally", ["building-locally", "build"]), Some("building-locally"));
        assert_eq!(closest("kube-dns-def", ["service-subnet-def", "cluster-subnet-def"]), None);
        assert_eq!(closest("ab", ["ac", "ad"]), Some("ac"), "ties go to the first in sort order");
        assert_eq!(closest("x", Vec::<&str>::new()), None);
    }
}
