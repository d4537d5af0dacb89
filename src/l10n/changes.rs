//! What changed in the sources of a build's stale translations, for the stale banners'
//! lists of changed sections. Only where the source locale's folder is in a git repository;
//! elsewhere (and for an unreadable repository, with a warning) the banners simply carry no
//! list. One history walk serves every stale page of every locale.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::history::{BaseQuery, SourceHistory};
use super::sections::{self, SourceDiff};
use super::{L10nReport, TranslationStatus};
use crate::config::Config;
use crate::content::{Locale, Page, Site};
use crate::diagnostic::Diagnostic;

/// (locale, page key) → what changed in the source since the translation was made.
pub type SourceChanges = BTreeMap<(Locale, String), SourceDiff>;

/// The last answer of `source_changes`, for a process that builds the same site again and
/// again (`serve`): walking the history takes far longer than a rebuild after an edit
/// should, and its answer holds while `HEAD` and the stale pages are the same.
#[derive(Default)]
pub struct ChangesMemo {
    head: Option<String>,
    /// Each stale page's query with its source and translation, held so that the pointer
    /// comparison below can never meet a reused address.
    inputs: Vec<StalePage>,
    changes: Arc<SourceChanges>,
}

/// A stale translation's history query, its source page and the translation.
type StalePage = (BaseQuery, Arc<Page>, Arc<Page>);

impl ChangesMemo {
    fn answers(&self, head: &Option<String>, inputs: &[StalePage]) -> bool {
        let same = |(a, b): (&StalePage, &StalePage)| a.0 == b.0 && Arc::ptr_eq(&a.1, &b.1) && Arc::ptr_eq(&a.2, &b.2);
        head.is_some()
            && self.head == *head
            && self.inputs.len() == inputs.len()
            && self.inputs.iter().zip(inputs).all(same)
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
    let mut wanted = Vec::new();
    for (locale, statuses) in &report.locales {
        if !locales.is_empty() && !locales.contains(locale) {
            continue;
        }
        let Some(content) = site.locale(locale) else { continue };
        for (key, status) in statuses {
            if status.status != TranslationStatus::Stale {
                continue;
            }
            let (Some(source_page), Some(translation)) = (source.pages.get(key), content.pages.get(key)) else {
                continue;
            };
            let Some(hash) = translation.front_matter.text("ms.openlocfilehash") else { continue };
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
            wanted.push(((locale.clone(), key.clone()), query));
        }
    }
    if wanted.is_empty() {
        return (Arc::default(), Vec::new());
    }
    let source_dir = config.content_dir().join(source.locale.as_str());
    let Ok(history) = SourceHistory::discover(&source_dir) else { return (Arc::default(), Vec::new()) };
    let head = history.head().ok().flatten();
    let inputs: Vec<StalePage> = wanted
        .iter()
        .map(|((locale, key), query)| {
            let translation = &site.locale(locale).expect("a locale of the report").pages[key];
            (query.clone(), Arc::clone(&source.pages[key]), Arc::clone(translation))
        })
        .collect();
    if memo.answers(&head, &inputs) {
        return (Arc::clone(&memo.changes), Vec::new());
    }
    let queries: Vec<BaseQuery> = wanted.iter().map(|(_, query)| query.clone()).collect();
    let bases = match history.find_bases(&queries) {
        Ok(bases) => bases,
        Err(error) => {
            let path = format!("content/{}", source.locale);
            let message = format!("cannot read the git history, so stale banners list no changed sections: {error:#}");
            return (Arc::default(), vec![Diagnostic::warning("git-history", path, message)]);
        }
    };
    let mut changes = SourceChanges::new();
    for ((((locale, key), _), base), (_, source_page, translation)) in wanted.into_iter().zip(bases).zip(&inputs) {
        let Some(base) = base else { continue };
        let old = String::from_utf8_lossy(&base.bytes);
        let diff = sections::diff(&old, source_page, Some(&**translation));
        changes.insert((locale, key), diff);
    }
    *memo = ChangesMemo { head, inputs, changes: Arc::new(changes) };
    (Arc::clone(&memo.changes), Vec::new())
}
