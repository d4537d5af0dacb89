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
#[derive(Clone, Debug, PartialEq, Eq)]
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
                let status = match translation.front_matter.text("ms.openlocfilehash") {
                    None => TranslationStatus::Unstamped,
                    Some(hash) if source_page.digests.matches(&hash) => TranslationStatus::UpToDate,
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
    let front_matter = &translation.front_matter;
    PageStatus {
        status,
        machine_translated: front_matter.text("ms.translationtype").is_some_and(|t| t.eq_ignore_ascii_case("MT")),
        last_handoff: front_matter.text("ms.lasthandoff").and_then(|d| parse_us_date(&d)),
        source_commit: front_matter.text("ms.sourcegitcommit"),
    }
}

/// Parses DocFX's `M/D/YYYY` (one- or two-digit parts, blanks around ignored).
pub fn parse_us_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().split('/').map(|part| part.trim().parse::<i16>().ok());
    let (month, day, year) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || !(1000..=9999).contains(&year) {
        return None;
    }
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docfx_dates() {
        assert_eq!(parse_us_date("10/21/2019"), Some(jiff::civil::date(2019, 10, 21)));
        assert_eq!(parse_us_date(" 1/2/2020 "), Some(jiff::civil::date(2020, 1, 2)));
        assert_eq!(parse_us_date("02/30/2020"), None);
        assert_eq!(parse_us_date("2020-01-02"), None);
        assert_eq!(parse_us_date("1/2/20"), None);
    }
}
