//! `Config`: the site's `site.toml`, read and validated once, then passed around as
//! `&Config`. Anything wrong here makes the site unusable (exit 2), so loading returns
//! `anyhow` errors that name the file rather than `Diagnostic`s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::Deserialize;

use crate::content::Locale;

/// The site's configuration, with every path resolved against the site root.
#[derive(Clone, Debug)]
pub struct Config {
    pub root: PathBuf,
    pub title: String,
    /// Always ends with `/`. May carry a sub-path (`https://example.org/docs/`).
    pub base_url: String,
    /// The source locale that translations derive from.
    pub default_locale: Locale,
    /// Site-root links (`/azure/…`) that are not part of this site go to this host.
    pub link_root: Option<String>,
    /// Every configured locale, the default one first, then by tag.
    pub locales: Vec<LocaleConfig>,
    /// `[l10n]`: translation maintenance.
    pub l10n: L10nConfig,
}

/// `[l10n]` in site.toml; a missing key keeps its default.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L10nConfig {
    /// Whether `build` writes the translation dashboard at `/_l10n/` (default: yes, when
    /// the site has translations).
    pub dashboard: bool,
}

impl Default for L10nConfig {
    fn default() -> L10nConfig {
        L10nConfig { dashboard: true }
    }
}

#[derive(Clone, Debug)]
pub struct LocaleConfig {
    pub locale: Locale,
    /// The language's own name, for the language switcher ("中文 (简体)").
    pub name: String,
    /// Overrides of top-level keys for this locale.
    pub title: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    base_url: String,
    default_locale: String,
    link_root: Option<String>,
    #[serde(default)]
    locales: BTreeMap<String, RawLocale>,
    #[serde(default)]
    l10n: L10nConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocale {
    name: Option<String>,
    title: Option<String>,
}

impl Config {
    /// Reads `ROOT/site.toml`.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join("site.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}: a site needs a site.toml", path.display()))?;
        Config::parse(root, &text).with_context(|| format!("invalid {}", path.display()))
    }

    pub fn parse(root: &Path, text: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text.trim_start_matches('\u{feff}')).map_err(|error| anyhow!("{error}"))?;
        let default_locale = Locale::parse(&raw.default_locale)
            .ok_or_else(|| anyhow!("default_locale `{}` is not a BCP 47 tag", raw.default_locale))?;
        let mut locales = Vec::new();
        for (tag, raw_locale) in raw.locales {
            let locale = Locale::parse(&tag).ok_or_else(|| anyhow!("[locales.{tag}]: not a BCP 47 tag"))?;
            if locales.iter().any(|l: &LocaleConfig| l.locale == locale) {
                bail!("[locales.{tag}] is configured twice");
            }
            let name = raw_locale.name.unwrap_or_else(|| locale.bcp47());
            locales.push(LocaleConfig { locale, name, title: raw_locale.title });
        }
        if !locales.iter().any(|l| l.locale == default_locale) {
            let name = default_locale.bcp47();
            locales.push(LocaleConfig { locale: default_locale.clone(), name, title: None });
        }
        locales.sort_by(|a, b| (a.locale != default_locale, &a.locale).cmp(&(b.locale != default_locale, &b.locale)));
        let base_url = normalize_base_url(&raw.base_url)?;
        let link_root = raw.link_root.map(|url| url.trim_end_matches('/').to_string()).filter(|url| !url.is_empty());
        Ok(Config {
            root: root.to_path_buf(),
            title: raw.title,
            base_url,
            default_locale,
            link_root,
            locales,
            l10n: raw.l10n,
        })
    }

    pub fn content_dir(&self) -> PathBuf {
        self.root.join("content")
    }

    pub fn locale(&self, locale: &Locale) -> Option<&LocaleConfig> {
        self.locales.iter().find(|l| &l.locale == locale)
    }

    /// The site title in `locale`.
    pub fn title_for(&self, locale: &Locale) -> &str {
        self.locale(locale).and_then(|l| l.title.as_deref()).unwrap_or(&self.title)
    }

    pub fn locale_name(&self, locale: &Locale) -> String {
        self.locale(locale).map_or_else(|| locale.bcp47(), |l| l.name.clone())
    }

    /// The path part of `base_url` (`/docs/`), for the few places that need a
    /// server-absolute URL (404 pages are served at arbitrary paths).
    pub fn base_path(&self) -> &str {
        match self.base_url.find("://") {
            Some(scheme_end) => {
                let after_host = &self.base_url[scheme_end + 3..];
                after_host.find('/').map_or("/", |slash| &after_host[slash..])
            }
            None => &self.base_url,
        }
    }
}

fn normalize_base_url(base_url: &str) -> Result<String> {
    let trimmed = base_url.trim();
    if trimmed.is_empty() {
        bail!("base_url is empty");
    }
    if trimmed.chars().any(char::is_whitespace) {
        bail!("base_url `{trimmed}` contains white space");
    }
    let mut url = trimmed.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_locales_default_first() {
        let config = Config::parse(
            Path::new("."),
            r#"title = "T"
base_url = "https://example.org/docs"
default_locale = "en-US"
[locales.zh-cn]
name = "中文"
title = "标题"
[locales.en-us]
name = "English"
"#,
        )
        .unwrap();
        assert_eq!(config.base_url, "https://example.org/docs/");
        assert_eq!(config.base_path(), "/docs/");
        let order: Vec<_> = config.locales.iter().map(|l| l.locale.as_str()).collect();
        assert_eq!(order, ["en-us", "zh-cn"]);
        assert_eq!(config.title_for(&Locale::parse("zh-cn").unwrap()), "标题");
        assert_eq!(config.title_for(&Locale::parse("en-us").unwrap()), "T");
        assert!(config.l10n.dashboard);
        let off =
            Config::parse(Path::new("."), "title='t'\nbase_url='/'\ndefault_locale='en'\n[l10n]\ndashboard=false");
        assert!(!off.unwrap().l10n.dashboard);
    }

    #[test]
    fn rejects_unknown_keys_and_bad_locales() {
        let missing_title = Config::parse(Path::new("."), "base_url='/'\ndefault_locale='en-us'");
        assert!(missing_title.is_err());
        let bad_locale = Config::parse(Path::new("."), "title='t'\nbase_url='/'\ndefault_locale='en us'");
        assert!(bad_locale.is_err());
        let unknown = Config::parse(Path::new("."), "title='t'\nbase_url='/'\ndefault_locale='en'\ntypo=1");
        assert!(unknown.is_err());
        let unknown_l10n =
            Config::parse(Path::new("."), "title='t'\nbase_url='/'\ndefault_locale='en'\n[l10n]\ndashbord=false");
        assert!(unknown_l10n.is_err());
    }
}
