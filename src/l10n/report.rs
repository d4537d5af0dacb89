//! The faces of `L10nReport` for people and scripts: per-locale and per-folder summaries,
//! the terminal table (what needs work first), the JSON of SPEC §5, and the dashboard view
//! the `l10n.html` template renders (for `l10n status --format html` and `build`'s
//! `/_l10n/`). Pure: `Site` and `L10nReport` in, text or serializable values out.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use jiff::civil::Date;
use serde::Serialize;

use super::{L10nReport, PageStatus, TranslationStatus};
use crate::config::Config;
use crate::content::page::url_path;
use crate::content::{Locale, Site};
use crate::output::encode_path;

/// One locale's pages, ready to print.
#[derive(Clone, Debug)]
pub struct LocaleStatus {
    pub locale: Locale,
    pub summary: Summary,
    /// By top-level folder (`about/`; pages at the root under `/`).
    pub folders: BTreeMap<String, Summary>,
    /// By path.
    pub pages: Vec<PageRow>,
}

/// Counts by status; the JSON `summary` object of SPEC §5.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub up_to_date: usize,
    pub stale: usize,
    pub missing: usize,
    pub orphaned: usize,
    pub unstamped: usize,
    pub machine_translated: usize,
}

/// One page in one locale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageRow {
    /// Relative to the locale folder, `/`-separated, as spelled on disk.
    pub path: String,
    pub status: TranslationStatus,
    pub machine_translated: bool,
    #[serde(serialize_with = "iso_date")]
    pub last_handoff: Option<Date>,
    pub source_commit: Option<String>,
    /// The lowercase page key, which names the output URL.
    #[serde(skip)]
    pub key: String,
}

impl Summary {
    fn add(&mut self, status: &PageStatus) {
        match status.status {
            TranslationStatus::UpToDate => self.up_to_date += 1,
            TranslationStatus::Stale => self.stale += 1,
            TranslationStatus::Missing => self.missing += 1,
            TranslationStatus::Orphaned => self.orphaned += 1,
            TranslationStatus::Unstamped => self.unstamped += 1,
        }
        self.machine_translated += usize::from(status.machine_translated);
    }

    /// Source pages: every page but the orphaned translations.
    pub fn source_pages(&self) -> usize {
        self.up_to_date + self.stale + self.missing + self.unstamped
    }

    /// Source pages with a translation, current or not.
    pub fn translated(&self) -> usize {
        self.up_to_date + self.stale + self.unstamped
    }
}

/// The statuses of `locales` (all translation locales when empty), pages by path.
pub fn locale_statuses(site: &Site, report: &L10nReport, locales: &[Locale]) -> Vec<LocaleStatus> {
    let source = site.source();
    report
        .locales
        .iter()
        .filter(|(locale, _)| locales.is_empty() || locales.contains(locale))
        .map(|(locale, statuses)| {
            let content = site.locale(locale);
            let mut status = LocaleStatus {
                locale: locale.clone(),
                summary: Summary::default(),
                folders: BTreeMap::new(),
                pages: Vec::with_capacity(statuses.len()),
            };
            for (key, page_status) in statuses {
                status.summary.add(page_status);
                status.folders.entry(top_folder(key)).or_default().add(page_status);
                let on_disk = content.and_then(|c| c.pages.get(key)).or_else(|| source.pages.get(key));
                status.pages.push(PageRow {
                    path: on_disk.map_or_else(|| key.clone(), |page| page.rel_path.clone()),
                    status: page_status.status,
                    machine_translated: page_status.machine_translated,
                    last_handoff: page_status.last_handoff,
                    source_commit: page_status.source_commit.clone(),
                    key: key.clone(),
                });
            }
            status
        })
        .collect()
}

/// How many pages of `statuses` have `status` (for `--fail-on`).
pub fn count_with(statuses: &[LocaleStatus], status: TranslationStatus) -> usize {
    statuses.iter().map(|locale| locale.pages.iter().filter(|page| page.status == status).count()).sum()
}

/// The JSON object of SPEC §5 (plus a `folders` summary per locale), pretty-printed.
pub fn to_json(source_locale: &Locale, statuses: &[LocaleStatus]) -> String {
    #[derive(Serialize)]
    struct Json<'a> {
        source_locale: &'a str,
        locales: BTreeMap<&'a str, LocaleJson<'a>>,
    }
    #[derive(Serialize)]
    struct LocaleJson<'a> {
        summary: Summary,
        folders: &'a BTreeMap<String, Summary>,
        pages: &'a [PageRow],
    }
    let json = Json {
        source_locale: source_locale.as_str(),
        locales: statuses
            .iter()
            .map(|s| (s.locale.as_str(), LocaleJson { summary: s.summary, folders: &s.folders, pages: &s.pages }))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&json).expect("plain data serializes");
    text.push('\n');
    text
}

/// The terminal report: per locale a summary line, coverage per folder, then every page,
/// what needs work first. Styled with ANSI codes that the caller's `anstream` writer strips
/// when stdout is not a terminal.
pub fn to_text(config: &Config, statuses: &[LocaleStatus]) -> String {
    if statuses.is_empty() {
        return format!("no translation locales: site.toml configures only {}\n", config.default_locale);
    }
    let mut out = String::new();
    for (index, status) in statuses.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        write_summary(&mut out, config, status);
        write_folders(&mut out, status);
        write_pages(&mut out, status);
    }
    out
}

/// Pages in the order they need a translator's attention: stale, missing, unstamped,
/// orphaned, up to date; the oldest hand-off first within a status, then by path.
pub fn by_need(pages: &[PageRow]) -> Vec<&PageRow> {
    let mut sorted: Vec<&PageRow> = pages.iter().collect();
    sorted.sort_by(|a, b| {
        (work_rank(a.status), a.last_handoff, &a.path).cmp(&(work_rank(b.status), b.last_handoff, &b.path))
    });
    sorted
}

fn write_summary(out: &mut String, config: &Config, status: &LocaleStatus) {
    let bold = Style::new().bold();
    let summary = &status.summary;
    let _ = writeln!(
        out,
        "{bold}{} ({}){bold:#}: {} of {} pages up to date ({}), {} translated ({})",
        status.locale,
        config.locale_name(&status.locale),
        summary.up_to_date,
        summary.source_pages(),
        percent(summary.up_to_date, summary.source_pages()),
        summary.translated(),
        percent(summary.translated(), summary.source_pages()),
    );
    let _ = writeln!(
        out,
        "  {} stale, {} missing, {} unstamped, {} orphaned; {} machine-translated",
        summary.stale, summary.missing, summary.unstamped, summary.orphaned, summary.machine_translated
    );
}

fn write_folders(out: &mut String, status: &LocaleStatus) {
    let dim = Style::new().dimmed();
    let width = status.folders.keys().map(|f| f.chars().count()).max().unwrap_or(0).max(6);
    let _ = writeln!(
        out,
        "\n  {dim}{:width$}  {:>10}  {:>5}  {:>7}  {:>9}  {:>8}{dim:#}",
        "FOLDER", "UP TO DATE", "STALE", "MISSING", "UNSTAMPED", "ORPHANED"
    );
    for (folder, counts) in &status.folders {
        let done = format!("{}/{}", counts.up_to_date, counts.source_pages());
        let _ = writeln!(
            out,
            "  {folder:width$}  {done:>10}  {:>5}  {:>7}  {:>9}  {:>8}",
            counts.stale, counts.missing, counts.unstamped, counts.orphaned
        );
    }
}

fn write_pages(out: &mut String, status: &LocaleStatus) {
    let dim = Style::new().dimmed();
    let pages = by_need(&status.pages);
    let width = pages.iter().map(|p| p.path.chars().count()).max().unwrap_or(0).max(4);
    let _ = writeln!(
        out,
        "\n  {dim}{:10}  {:width$}  {:2}  {:10}  SOURCE COMMIT{dim:#}",
        "STATUS", "PAGE", "MT", "HANDOFF"
    );
    for page in pages {
        let style = status_style(page.status);
        let line = format!(
            "{:10}  {:width$}  {:2}  {:10}  {}",
            status_name(page.status),
            page.path,
            if page.machine_translated { "MT" } else { "" },
            page.last_handoff.map(|d| d.to_string()).unwrap_or_default(),
            page.source_commit.as_deref().map(short_commit).unwrap_or_default(),
        );
        let _ = writeln!(out, "  {style}{}{style:#}", line.trim_end());
    }
}

/// The first 12 characters of a commit id, as people quote them (the stamp is free text,
/// so characters, not bytes).
pub fn short_commit(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// The order in which pages need a translator's attention.
pub fn work_rank(status: TranslationStatus) -> u8 {
    match status {
        TranslationStatus::Stale => 0,
        TranslationStatus::Missing => 1,
        TranslationStatus::Unstamped => 2,
        TranslationStatus::Orphaned => 3,
        TranslationStatus::UpToDate => 4,
    }
}

pub fn status_name(status: TranslationStatus) -> &'static str {
    match status {
        TranslationStatus::UpToDate => "up-to-date",
        TranslationStatus::Stale => "stale",
        TranslationStatus::Missing => "missing",
        TranslationStatus::Orphaned => "orphaned",
        TranslationStatus::Unstamped => "unstamped",
    }
}

fn status_style(status: TranslationStatus) -> Style {
    match status {
        TranslationStatus::Stale => AnsiColor::Yellow.on_default().bold(),
        TranslationStatus::Missing => AnsiColor::Red.on_default(),
        TranslationStatus::Unstamped | TranslationStatus::Orphaned => AnsiColor::Magenta.on_default(),
        TranslationStatus::UpToDate => AnsiColor::Green.on_default(),
    }
}

/// What the `l10n.html` template receives.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    /// BCP 47 tag of the page's language (the source locale's).
    pub lang: String,
    pub title: String,
    pub source_locale: String,
    pub source_name: String,
    pub locales: Vec<DashboardLocale>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DashboardLocale {
    pub locale: String,
    pub lang: String,
    pub name: String,
    pub summary: Summary,
    pub source_pages: usize,
    pub translated: usize,
    /// Whole percentages, for the progress bars.
    pub percent_up_to_date: usize,
    pub percent_translated: usize,
    pub folders: Vec<DashboardFolder>,
    /// What needs work first.
    pub pages: Vec<DashboardPage>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DashboardFolder {
    pub folder: String,
    pub summary: Summary,
    pub source_pages: usize,
    pub percent_up_to_date: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct DashboardPage {
    pub path: String,
    pub status: &'static str,
    /// Sorts the table by need (0 first) without the script knowing the statuses.
    pub rank: u8,
    pub machine_translated: bool,
    /// `YYYY-MM-DD`, or empty.
    pub last_handoff: String,
    pub source_commit: String,
    /// The page in the built site, relative to the dashboard; empty when there is none.
    pub source_href: String,
    pub translation_href: String,
}

/// The dashboard of `statuses`, its links relative to `site_root` (the output root as seen
/// from the dashboard: `../` for `/_l10n/`, or an absolute base URL). `linked` says which
/// locales the built site has, so no link points at a page that was not built.
pub fn dashboard(config: &Config, statuses: &[LocaleStatus], site_root: &str, linked: &[Locale]) -> Dashboard {
    let source_locale = &config.default_locale;
    let href = |locale: &Locale, key: &str| {
        if linked.contains(locale) {
            format!("{site_root}{}", encode_path(&format!("{locale}/{}", url_path(key))))
        } else {
            String::new()
        }
    };
    let locales = statuses
        .iter()
        .map(|status| {
            let summary = status.summary;
            let pages = by_need(&status.pages);
            DashboardLocale {
                locale: status.locale.to_string(),
                lang: status.locale.bcp47(),
                name: config.locale_name(&status.locale),
                summary,
                source_pages: summary.source_pages(),
                translated: summary.translated(),
                percent_up_to_date: whole_percent(summary.up_to_date, summary.source_pages()),
                percent_translated: whole_percent(summary.translated(), summary.source_pages()),
                folders: status
                    .folders
                    .iter()
                    .map(|(folder, counts)| DashboardFolder {
                        folder: folder.clone(),
                        summary: *counts,
                        source_pages: counts.source_pages(),
                        percent_up_to_date: whole_percent(counts.up_to_date, counts.source_pages()),
                    })
                    .collect(),
                pages: pages
                    .into_iter()
                    .map(|page| DashboardPage {
                        path: page.path.clone(),
                        status: status_name(page.status),
                        rank: work_rank(page.status),
                        machine_translated: page.machine_translated,
                        last_handoff: page.last_handoff.map(|d| d.to_string()).unwrap_or_default(),
                        source_commit: page.source_commit.clone().unwrap_or_default(),
                        source_href: if page.status == TranslationStatus::Orphaned {
                            String::new()
                        } else {
                            href(source_locale, &page.key)
                        },
                        translation_href: if page.status == TranslationStatus::Missing {
                            String::new()
                        } else {
                            href(&status.locale, &page.key)
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    Dashboard {
        lang: source_locale.bcp47(),
        title: config.title.clone(),
        source_locale: source_locale.to_string(),
        source_name: config.locale_name(source_locale),
        locales,
    }
}

fn top_folder(key: &str) -> String {
    key.split_once('/').map_or_else(|| "/".to_string(), |(folder, _)| format!("{folder}/"))
}

fn whole_percent(part: usize, whole: usize) -> usize {
    (part * 100).checked_div(whole).unwrap_or(100)
}

fn percent(part: usize, whole: usize) -> String {
    format!("{}%", whole_percent(part, whole))
}

fn iso_date<S: serde::Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => serializer.serialize_str(&date.to_string()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, status: TranslationStatus, handoff: Option<Date>) -> PageRow {
        PageRow {
            path: path.into(),
            status,
            machine_translated: false,
            last_handoff: handoff,
            source_commit: None,
            key: path.to_lowercase(),
        }
    }

    #[test]
    fn pages_needing_work_come_first_oldest_hand_off_first() {
        let rows = [
            row("a.md", TranslationStatus::UpToDate, None),
            row("b.md", TranslationStatus::Stale, Some(jiff::civil::date(2020, 4, 15))),
            row("c.md", TranslationStatus::Missing, None),
            row("d.md", TranslationStatus::Stale, Some(jiff::civil::date(2019, 12, 4))),
            row("e.md", TranslationStatus::Orphaned, None),
            row("f.md", TranslationStatus::Unstamped, None),
        ];
        let order: Vec<&str> = by_need(&rows).iter().map(|r| r.path.as_str()).collect();
        assert_eq!(order, ["d.md", "b.md", "c.md", "f.md", "e.md", "a.md"]);
    }

    #[test]
    fn commit_ids_are_shortened_by_characters() {
        assert_eq!(short_commit("8eedfdc1fda9d0abb36e28dc2b5fb39891777364"), "8eedfdc1fda9");
        // A stamp is free text: never cut a character in two.
        assert_eq!(short_commit("提交提交提交提交提交提交提交"), "提交提交提交提交提交提交");
        assert_eq!(whole_percent(1, 3), 33);
        assert_eq!(whole_percent(0, 0), 100);
    }
}
