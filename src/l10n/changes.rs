//! What changed in the sources of a build's stale translations, for the stale banners'
//! lists of changed sections. Only where the source locale's folder is in a git repository;
//! elsewhere (and for an unreadable repository, with a warning) the banners simply carry no
//! list. One history walk serves every stale page of every locale.

use std::collections::BTreeMap;

use super::history::{BaseQuery, SourceHistory};
use super::sections::{self, SourceDiff};
use super::{L10nReport, TranslationStatus};
use crate::config::Config;
use crate::content::{Locale, Site};
use crate::diagnostic::Diagnostic;

/// (locale, page key) → what changed in the source since the translation was made.
pub type SourceChanges = BTreeMap<(Locale, String), SourceDiff>;

/// The source changes of every stale translation in `locales` (all when empty).
pub fn source_changes(
    config: &Config,
    site: &Site,
    report: &L10nReport,
    locales: &[Locale],
) -> (SourceChanges, Vec<Diagnostic>) {
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
        return (SourceChanges::new(), Vec::new());
    }
    let source_dir = config.content_dir().join(source.locale.as_str());
    let Ok(history) = SourceHistory::discover(&source_dir) else { return (SourceChanges::new(), Vec::new()) };
    let queries: Vec<BaseQuery> = wanted.iter().map(|(_, query)| query.clone()).collect();
    let bases = match history.find_bases(&queries) {
        Ok(bases) => bases,
        Err(error) => {
            let path = format!("content/{}", source.locale);
            let message = format!("cannot read the git history, so stale banners list no changed sections: {error:#}");
            return (SourceChanges::new(), vec![Diagnostic::warning("git-history", path, message)]);
        }
    };
    let mut changes = SourceChanges::new();
    for (((locale, key), _), base) in wanted.into_iter().zip(bases) {
        let Some(base) = base else { continue };
        let translation = site.locale(&locale).and_then(|content| content.pages.get(&key)).map(|page| &**page);
        let old = String::from_utf8_lossy(&base.bytes);
        let diff = sections::diff(&old, &source.pages[&key], translation);
        changes.insert((locale, key), diff);
    }
    (changes, Vec::new())
}
