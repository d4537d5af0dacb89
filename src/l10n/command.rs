//! The `polydoc l10n` commands: `status`, `diff` and `stamp`. This is their driver, as
//! `pipeline` is `build`'s: it loads the site, calls the pure parts (`analyze`, `report`,
//! `sections`, `stamp`) and `history` (git), prints, writes stamped files and picks the exit
//! code: 0, 1 when `--fail-on` trips or a file could not be stamped, 2 (an `Err`) when the
//! site or the request is unusable. No links are checked.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use jiff::civil::Date;
use serde::Serialize;

use super::history::{BaseQuery, BaseVersion, FoundBy, SourceHistory};
use super::report;
use super::sections::{self, Change, SectionChange, SourceDiff};
use super::stamp::{self, Stamp};
use super::{TranslationStatus, analyze};
use crate::cli::{DiffFormat, FailOn, L10nCommand, StatusFormat};
use crate::config::Config;
use crate::content::{Locale, Page, Reading, Site};
use crate::diagnostic::Diagnostic;
use crate::render::theme::Theme;

/// Runs one `l10n` subcommand.
pub fn run(command: L10nCommand) -> Result<ExitCode> {
    match command {
        L10nCommand::Status { root, locale, format, fail_on } => status(&root, locale.as_deref(), format, &fail_on),
        L10nCommand::Diff { root, locale, page, format } => diff(&root, &locale, &page, format),
        L10nCommand::Stamp { root, locale, pages } => stamp(&root, &locale, &pages),
    }
}

fn status(root: &Path, locale: Option<&str>, format: StatusFormat, fail_on: &[FailOn]) -> Result<ExitCode> {
    let (config, site) = load(root, Reading::Stamps)?;
    let locales = match locale {
        Some(tag) => vec![translation_locale(&config, tag)?],
        None => Vec::new(),
    };
    let report = analyze(&site);
    let statuses = report::locale_statuses(&site, &report, &locales);
    let output = match format {
        StatusFormat::Text => report::to_text(&config, &statuses),
        StatusFormat::Json => report::to_json(&config.default_locale, &statuses),
        StatusFormat::Html => {
            let theme = Theme::load(&config.root)?;
            // Standalone, the page links into the site as published at `base_url`.
            let built: Vec<Locale> = config.locales.iter().map(|l| l.locale.clone()).collect();
            theme.render("l10n.html", &report::dashboard(&config, &statuses, &config.base_url, &built))?
        }
    };
    print_stdout(&output)?;
    let mut tripped = false;
    for fail_on in fail_on {
        let status = match fail_on {
            FailOn::Stale => TranslationStatus::Stale,
            FailOn::Missing => TranslationStatus::Missing,
        };
        let count = report::count_with(&statuses, status);
        if count > 0 {
            tripped = true;
            eprintln!("--fail-on {0}: {count} {0} page(s)", report::status_name(status));
        }
    }
    Ok(if tripped { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// What `l10n diff --format json` prints.
#[derive(Serialize)]
struct DiffJson<'a> {
    locale: &'a str,
    path: &'a str,
    status: TranslationStatus,
    /// The source file and the translation, relative to the site root.
    source: &'a str,
    translation: &'a str,
    /// The source version the translation was made from; `null` when up to date.
    base: Option<BaseJson>,
    #[serde(flatten)]
    diff: &'a SourceDiff,
}

#[derive(Serialize)]
struct BaseJson {
    commit: String,
    found_by: FoundBy,
}

fn diff(root: &Path, locale: &str, page: &str, format: DiffFormat) -> Result<ExitCode> {
    let (config, site) = load(root, Reading::Whole)?;
    let locale = translation_locale(&config, locale)?;
    let key = page_key(&config, &site, page)?;
    let (source_page, translation) = pair(&site, &locale, &key)?;
    let report = analyze(&site);
    let status = report.status(&locale, &key).map_or(TranslationStatus::Missing, |s| s.status);
    let (base, source_diff) = match status {
        TranslationStatus::UpToDate => (None, SourceDiff::default()),
        _ => {
            let base = find_base(&config, source_page, translation)?;
            let source_diff = sections::diff(&String::from_utf8_lossy(&base.bytes), source_page, Some(translation));
            (Some(BaseJson { commit: base.commit, found_by: base.found_by }), source_diff)
        }
    };
    let output = match format {
        DiffFormat::Json => {
            let json = DiffJson {
                locale: locale.as_str(),
                path: &translation.rel_path,
                status,
                source: &source_page.source_path,
                translation: &translation.source_path,
                base,
                diff: &source_diff,
            };
            serde_json::to_string_pretty(&json).expect("plain data serializes") + "\n"
        }
        DiffFormat::Text => diff_text(translation, source_page, status, base.as_ref(), &source_diff),
    };
    print_stdout(&output)?;
    Ok(ExitCode::SUCCESS)
}

/// The source version `translation` was made from, or why it cannot be known.
fn find_base(config: &Config, source_page: &Page, translation: &Page) -> Result<BaseVersion> {
    let Some(hash) = translation.front_matter.text("ms.openlocfilehash") else {
        bail!(
            "{} has no ms.openlocfilehash stamp, so there is no version to compare with; mark it current with `polydoc l10n stamp --locale {} {}`",
            translation.source_path,
            translation.locale,
            source_page.rel_path
        );
    };
    let history = SourceHistory::discover(&source_dir(config)).map_err(|reason| {
        anyhow!(
            "{} is not inside a git repository ({reason}): `l10n diff` reads the source's history to find the version {} was translated from (`l10n status` needs no git)",
            source_dir(config).display(),
            translation.source_path
        )
    })?;
    let query = BaseQuery {
        rel_path: source_page.rel_path.clone(),
        hash: hash.clone(),
        commit: translation.front_matter.text("ms.sourcegitcommit"),
        not_before: None,
    };
    let base = history.find_bases(std::slice::from_ref(&query))?.pop().flatten();
    base.ok_or_else(|| {
        anyhow!(
            "no version of {} in the git history hashes to ms.openlocfilehash {hash}, and ms.sourcegitcommit {} is not a commit of this repository that holds it",
            source_page.source_path,
            query.commit.as_deref().unwrap_or("(none)")
        )
    })
}

fn diff_text(
    translation: &Page,
    source_page: &Page,
    status: TranslationStatus,
    base: Option<&BaseJson>,
    source_diff: &SourceDiff,
) -> String {
    let Some(base) = base else {
        return format!(
            "{} is up to date: {} has not changed since\n",
            translation.source_path, source_page.source_path
        );
    };
    let how = match base.found_by {
        FoundBy::Openlocfilehash => "the version whose hash is ms.openlocfilehash",
        FoundBy::Sourcegitcommit => "the version at ms.sourcegitcommit (no version matches ms.openlocfilehash)",
    };
    let mut out = format!(
        "{} is {}: {} changed since {how}, in commit {}\n",
        translation.source_path,
        report::status_name(status),
        source_page.source_path,
        report::short_commit(&base.commit)
    );
    if !source_diff.front_matter.is_empty() {
        out.push_str(&format!("front matter: {} changed\n", source_diff.front_matter.join(", ")));
    }
    for section in &source_diff.sections {
        out.push_str(&section_line(section));
        out.push('\n');
    }
    if source_diff.sections.is_empty() && source_diff.front_matter.is_empty() {
        out.push_str("only white space or line endings changed\n");
    }
    out
}

/// `section `#id` (译文标题): 2 paragraphs changed; 1 table added`.
pub fn section_line(section: &SectionChange) -> String {
    let name = if section.id.is_empty() {
        "the text before the first heading".to_string()
    } else {
        format!("section `#{}`", section.id)
    };
    let title = section.translated_title.as_ref().map(|t| format!(" ({t})")).unwrap_or_default();
    match section.change {
        Change::Added => format!("{name}{title} added"),
        Change::Removed => format!("{name}{title} removed"),
        Change::Changed => {
            let mut parts = Vec::new();
            for (counts, verb) in
                [(&section.changed, "changed"), (&section.added, "added"), (&section.removed, "removed")]
            {
                if counts.is_empty() {
                    continue;
                }
                let things: Vec<String> =
                    counts.iter().map(|(kind, count)| format!("{count} {}", kind.noun(*count))).collect();
                parts.push(format!("{} {verb}", join_and(&things)));
            }
            if parts.is_empty() {
                parts.push("white space changed".to_string());
            }
            format!("{name}{title}: {}", parts.join("; "))
        }
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn stamp(root: &Path, locale: &str, pages: &[String]) -> Result<ExitCode> {
    let (config, site) = load(root, Reading::Whole)?;
    let locale = translation_locale(&config, locale)?;
    // Every argument is checked before any file is written.
    let mut targets = Vec::new();
    for page in pages {
        let key = page_key(&config, &site, page)?;
        targets.push(pair(&site, &locale, &key)?);
    }
    let commit = match SourceHistory::discover(&source_dir(&config)) {
        Ok(history) => history.head()?,
        Err(_) => None,
    };
    let handoff = today()?;
    let mut failed = false;
    for (source_page, translation) in targets {
        let file = config.root.join(&translation.source_path);
        let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let stamp = Stamp { hash: source_page.digests.as_is.clone(), commit: commit.clone(), handoff };
        match stamp::apply(&bytes, &stamp) {
            Ok(stamped) => {
                if stamped != bytes {
                    std::fs::write(&file, &stamped).with_context(|| format!("cannot write {}", file.display()))?;
                }
                let commit_note = stamp.commit.as_deref().map_or_else(
                    || "no ms.sourcegitcommit (not in git)".to_string(),
                    |commit| format!("ms.sourcegitcommit {}", report::short_commit(commit)),
                );
                eprintln!(
                    "stamped {}: ms.openlocfilehash {}, {commit_note}, ms.lasthandoff {}",
                    translation.source_path,
                    report::short_commit(&stamp.hash),
                    handoff
                );
            }
            Err(error) => {
                failed = true;
                let diagnostic = Diagnostic::error("front-matter", &translation.source_path, error.message)
                    .at(error.line, error.column)
                    .with_help("the file was left unchanged");
                eprint!("{}", diagnostic.render(&config.root));
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Today's date for `ms.lasthandoff`; `SOURCE_DATE_EPOCH` (the reproducible-builds
/// convention) fixes it.
fn today() -> Result<Date> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(seconds) => {
            let seconds: i64 = seconds
                .trim()
                .parse()
                .map_err(|_| anyhow!("SOURCE_DATE_EPOCH `{seconds}` is not a number of seconds"))?;
            let timestamp = jiff::Timestamp::from_second(seconds).context("SOURCE_DATE_EPOCH is out of range")?;
            Ok(timestamp.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
        }
        Err(_) => Ok(jiff::ZonedDateTime::now().date()),
    }
}

fn load(root: &Path, reading: Reading) -> Result<(Config, Site)> {
    let config = Config::load(root)?;
    let site = Site::load_with(&config, reading)?;
    let mut stderr = String::new();
    for diagnostic in &site.diagnostics {
        stderr.push_str(&diagnostic.render(&config.root));
    }
    eprint!("{stderr}");
    Ok((config, site))
}

/// A `--locale` that is configured and not the source locale.
fn translation_locale(config: &Config, tag: &str) -> Result<Locale> {
    let locale = Locale::parse(tag)
        .filter(|locale| config.locale(locale).is_some())
        .ok_or_else(|| anyhow!("--locale {tag}: not a locale of site.toml"))?;
    if locale == config.default_locale {
        bail!("--locale {tag}: that is the source locale; name a translation locale");
    }
    Ok(locale)
}

fn source_dir(config: &Config) -> PathBuf {
    config.content_dir().join(config.default_locale.as_str())
}

/// The page key a `PAGE` argument names: a path to an existing file under a locale folder,
/// or a path relative to the locale folders.
fn page_key(config: &Config, site: &Site, page: &str) -> Result<String> {
    let as_file = Path::new(page);
    let key = if as_file.is_file() {
        let file = as_file.canonicalize().with_context(|| format!("cannot resolve {page}"))?;
        let content_dir = config.content_dir().canonicalize().context("cannot resolve the content folder")?;
        let rel = file
            .strip_prefix(&content_dir)
            .map_err(|_| anyhow!("{page} is not under {}", config.content_dir().display()))?;
        let mut components = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
        let locale_folder = components.next().unwrap_or_default();
        if Locale::parse(&locale_folder).is_none_or(|l| config.locale(&l).is_none()) {
            bail!("{page} is not in a locale folder of {}", config.content_dir().display());
        }
        components.collect::<Vec<_>>().join("/").to_lowercase()
    } else {
        page.replace('\\', "/").trim_start_matches("./").to_lowercase()
    };
    let known = site.locales.iter().any(|content| content.pages.contains_key(&key));
    if !known {
        bail!("{page}: no such page in any locale folder of {}", config.content_dir().display());
    }
    Ok(key)
}

/// The source page and its translation in `locale`.
fn pair<'a>(site: &'a Site, locale: &Locale, key: &str) -> Result<(&'a Page, &'a Page)> {
    let source = site.source();
    let content = site.locale(locale).expect("a configured locale");
    match (source.pages.get(key), content.pages.get(key)) {
        (Some(source_page), Some(translation)) => Ok((source_page, translation)),
        (Some(source_page), None) => bail!(
            "{} has no {locale} translation yet (content/{locale}/{} is missing)",
            source_page.source_path,
            source_page.rel_path
        ),
        (None, Some(translation)) => {
            bail!("{} is orphaned: content/{}/{key} does not exist", translation.source_path, source.locale)
        }
        (None, None) => bail!("no page {key}"),
    }
}

/// Prints through `anstream`, which drops colour when stdout is not a terminal (or
/// `NO_COLOR` is set); a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) -> Result<()> {
    let mut stdout = anstream::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}
