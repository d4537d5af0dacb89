//! What changed in the sources of a build's stale translations, for the stale banners'
//! lists of changed sections. Only where the source locale's folder is in a git repository;
//! elsewhere (and for an unreadable repository, with a warning) the banners simply carry no
//! list. One history walk serves every stale page of every locale.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::HashMap;
use rayon::prelude::*;

use super::history::{BaseQuery, BaseVersion, SharedHistory, SourceHistory};
use super::sections::{self, SourceDiff};
use super::{L10nReport, PageStatus, TranslationStatus};
use crate::config::Config;
use crate::content::{Locale, Page, PageMap, PageRef, Site};
use crate::diagnostic::Diagnostic;

/// (locale, page key) → what changed in the source since the translation was made.
pub type SourceChanges = PageMap<Arc<SourceDiff>>;

/// What `source_changes` found, for a process that builds the same site again and again
/// (`serve`): opening the repository and walking its history take far longer than a
/// rebuild after an edit should. The versions found hold while `HEAD` is the same; a
/// page's diff, while its source and translation are the same pages.
#[derive(Default)]
pub struct ChangesMemo {
    /// The source folder and its repository, kept open (with its object indexes loaded).
    repository: Option<(PathBuf, SharedHistory)>,
    head: Option<String>,
    bases: HashMap<BaseQuery, Option<BaseVersion>>,
    diffs: PageMap<StaleDiff>,
    /// The last answer and the stale pages it was for, each with its source and
    /// translation (held, like `StaleDiff`'s): the same pages at the same `HEAD` have the
    /// same answer, which a rebuild after an edit elsewhere takes without a lookup.
    last: Option<(Arc<SourceChanges>, PageMap<PagePair>)>,
}

/// A stale page's source and translation.
type PagePair = (Arc<Page>, Arc<Page>);

/// A stale page of a build: locale, key, status, source and translation.
type StalePage<'a> = (&'a Locale, &'a String, &'a PageStatus, &'a Arc<Page>, &'a Arc<Page>);

/// One stale page's diff and what it was made from; the pages are held, so the pointer
/// comparisons can never meet a reused address.
struct StaleDiff {
    query: BaseQuery,
    source: Arc<Page>,
    translation: Arc<Page>,
    diff: Arc<SourceDiff>,
}

impl ChangesMemo {
    /// The repository holding `source_dir`, opened once.
    fn history(&mut self, source_dir: &Path) -> Option<SourceHistory> {
        if let Some((dir, shared)) = &self.repository
            && dir == source_dir
        {
            return Some(SourceHistory::from_shared(shared));
        }
        let history = SourceHistory::discover(source_dir).ok()?;
        self.repository = Some((source_dir.to_path_buf(), history.shared()));
        Some(history)
    }
}

/// The source changes of every stale translation in `locales` (all when empty), from
/// `memo` when it holds the answer.
pub fn source_changes(
    config: &Config,
    site: &Site,
    report: &L10nReport,
    locales: &[Locale],
    memo: &mut ChangesMemo,
) -> (Arc<SourceChanges>, Vec<Diagnostic>) {
    let source = site.source();
    // Every stale page with its source and translation. The status is a function of the
    // two pages, and so is the question asked of the history.
    let stale: Vec<StalePage<'_>> = report
        .locales
        .iter()
        .filter(|(locale, _)| locales.is_empty() || locales.contains(locale))
        .filter_map(|(locale, statuses)| Some((locale, statuses, site.locale(locale)?)))
        .flat_map(|(locale, statuses, content)| {
            statuses
                .par_iter()
                .filter(|(_, status)| status.status == TranslationStatus::Stale)
                .filter_map(|(key, status)| {
                    Some((locale, key, status, source.pages.get(key)?, content.pages.get(key)?))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if stale.is_empty() {
        return (Arc::default(), Vec::new());
    }
    let source_dir = config.content_dir().join(source.locale.as_str());
    let Some(history) = memo.history(&source_dir) else { return (Arc::default(), Vec::new()) };
    let head = history.head().ok().flatten();
    if let Some((answer, pages)) = &memo.last
        && head.is_some()
        && head == memo.head
        && pages.len() == stale.len()
        && stale.par_iter().all(|&(locale, key, _, source_page, translation)| {
            pages.get(&PageRef(locale, key)).is_some_and(|(source_then, translation_then)| {
                Arc::ptr_eq(source_then, source_page) && Arc::ptr_eq(translation_then, translation)
            })
        })
    {
        return (Arc::clone(answer), Vec::new());
    }
    memo.last = None;
    // What to ask the history for each stale page (by its index in `stale`).
    let wanted: Vec<(usize, BaseQuery)> = stale
        .iter()
        .enumerate()
        .filter_map(|(at, (_, _, status, source_page, translation))| {
            let hash = translation.facts().stamp.source_hash.clone()?;
            let not_before = status.last_handoff.and_then(|date| {
                let midnight = date.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second();
                Some(midnight - 24 * 60 * 60)
            });
            let query = BaseQuery {
                rel_path: source_page.rel_path.clone(),
                hash,
                commit: status.source_commit.clone(),
                not_before,
            };
            Some((at, query))
        })
        .collect();
    if head.is_none() || head != memo.head {
        memo.bases.clear();
        memo.diffs.clear();
        memo.head = head;
    }
    let mut missing: Vec<BaseQuery> =
        wanted.iter().map(|(_, query)| query).filter(|query| !memo.bases.contains_key(*query)).cloned().collect();
    missing.sort_by(|a, b| (&a.rel_path, &a.hash).cmp(&(&b.rel_path, &b.hash)));
    missing.dedup();
    if !missing.is_empty() {
        match history.find_bases(&missing) {
            Ok(bases) => memo.bases.extend(missing.into_iter().zip(bases)),
            Err(error) => {
                let path = format!("content/{}", source.locale);
                let message =
                    format!("cannot read the git history, so stale banners list no changed sections: {error:#}");
                return (Arc::default(), vec![Diagnostic::warning("git-history", path, message)]);
            }
        }
    }
    let mut changes = SourceChanges::default();
    let mut diffs = PageMap::default();
    for (at, query) in wanted {
        let Some(base) = &memo.bases[&query] else { continue };
        let (locale, key, _, source_page, translation) = stale[at];
        let unchanged = |made: &&StaleDiff| {
            made.query == query && Arc::ptr_eq(&made.source, source_page) && Arc::ptr_eq(&made.translation, translation)
        };
        let diff = match memo.diffs.get(&PageRef(locale, key)).filter(unchanged) {
            Some(made) => Arc::clone(&made.diff),
            None => Arc::new(sections::diff(&String::from_utf8_lossy(&base.bytes), source_page, Some(translation))),
        };
        let made = StaleDiff {
            query,
            source: Arc::clone(source_page),
            translation: Arc::clone(translation),
            diff: Arc::clone(&diff),
        };
        diffs.insert((locale.clone(), key.clone()), made);
        changes.insert((locale.clone(), key.clone()), diff);
    }
    memo.diffs = diffs;
    let changes = Arc::new(changes);
    let pages = stale
        .into_iter()
        .map(|(locale, key, _, source_page, translation)| {
            ((locale.clone(), key.clone()), (Arc::clone(source_page), Arc::clone(translation)))
        })
        .collect();
    memo.last = Some((Arc::clone(&changes), pages));
    (changes, Vec::new())
}
