//! The status rules. A translation is up to date when `ms.openlocfilehash` is the SHA-1 of
//! the current source file with LF or CRLF line endings (measured on real Microsoft repos:
//! the hash is of the file as checked out, with either ending), so no git is needed.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::content::{Locale, Site};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TranslationStatus {
    /// The translation's stamp names the current source.
    UpToDate,
    /// The source changed after the translation was made.
    Stale,
    /// The source page has no translation in this locale.
    Missing,
    /// The translation has no source page.
    Orphaned,
    /// A translation with no `ms.openlocfilehash` to judge by.
    Unstamped,
}

/// One page's standing in one locale.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageStatus {
    pub status: TranslationStatus,
    /// `ms.translationtype: MT`.
    pub machine_translated: bool,
    /// `ms.lasthandoff`: when the source was handed to translators.
    pub last_handoff: Option<Date>,
    /// `ms.sourcegitcommit`.
    pub source_commit: Option<String>,
}

/// Every non-source locale's page statuses, by page key.
#[derive(Clone, Debug, Default)]
pub struct L10nReport {
    pub locales: BTreeMap<Locale, BTreeMap<String, PageStatus>>,
}

impl L10nReport {
    pub fn status(&self, locale: &Locale, key: &str) -> Option<&PageStatus> {
        self.locales.get(locale)?.get(key)
    }
}

/// Judges every page of every locale against the source locale.
pub fn analyze(site: &Site) -> L10nReport {
    use rayon::prelude::*;
    let source = site.source();
    let mut report = L10nReport::default();
    for content in &site.locales[1..] {
        // Each page's status stands alone: judged in parallel, gathered in key order.
        let judged: Vec<(&String, PageStatus)> = source
            .pages
            .par_iter()
            .map(|(key, source_page)| {
                let Some(translation) = content.pages.get(key) else {
                    let missing = PageStatus {
                        status: TranslationStatus::Missing,
                        machine_translated: false,
                        last_handoff: None,
                        source_commit: None,
                    };
                    return (key, missing);
                };
                let status = match &translation.facts().stamp.source_hash {
                    None => TranslationStatus::Unstamped,
                    Some(hash) if source_page.digests.matches(hash) => TranslationStatus::UpToDate,
                    Some(_) => TranslationStatus::Stale,
                };
                (key, stamped_status(status, translation))
            })
            .collect();
        let mut statuses: BTreeMap<String, PageStatus> =
            judged.into_iter().map(|(key, status)| (key.clone(), status)).collect();
        for (key, translation) in &content.pages {
            if !source.pages.contains_key(key) {
                statuses.insert(key.clone(), stamped_status(TranslationStatus::Orphaned, translation));
            }
        }
        report.locales.insert(content.locale.clone(), statuses);
    }
    report
}

fn stamped_status(status: TranslationStatus, translation: &crate::content::Page) -> PageStatus {
    let stamp = &translation.facts().stamp;
    PageStatus {
        status,
        machine_translated: stamp.machine_translated,
        last_handoff: stamp.last_handoff,
        source_commit: stamp.source_commit.clone(),
    }
}
