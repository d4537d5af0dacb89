//! UI strings: the built-in theme's words for each locale (embedded from `theme/i18n/`),
//! overridden by a site's own `i18n/<locale>.toml`. Templates, diagram templates and alert
//! titles read them through `UiStrings`, already merged with fallbacks, so a missing key in
//! one language shows the source language's word rather than nothing.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, anyhow};

use crate::config::Config;
use crate::content::Locale;

const BUILT_IN: &[(&str, &str)] =
    &[("en-us", include_str!("../theme/i18n/en-us.toml")), ("zh-cn", include_str!("../theme/i18n/zh-cn.toml"))];

/// The merged UI strings of one locale.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UiStrings {
    strings: BTreeMap<String, String>,
}

impl UiStrings {
    /// The string for `key`, or the key itself so a missing string is visible, not blank.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map_or(key, String::as_str)
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.strings
    }

    fn extend(&mut self, more: &BTreeMap<String, String>) {
        self.strings.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// Every configured locale's UI strings.
#[derive(Clone, Debug)]
pub struct Translations {
    by_locale: BTreeMap<Locale, UiStrings>,
}

impl Translations {
    /// Merges, lowest priority first: the built-in English strings, the site's strings for
    /// its default locale, the built-in strings of the locale (or of its language), the
    /// site's strings for the locale.
    pub fn load(config: &Config) -> Result<Translations> {
        let built_in: BTreeMap<Locale, BTreeMap<String, String>> = BUILT_IN
            .iter()
            .map(|(tag, text)| {
                Ok((
                    Locale::parse(tag).expect("built-in tags are valid"),
                    parse(text).with_context(|| format!("built-in theme/i18n/{tag}.toml"))?,
                ))
            })
            .collect::<Result<_>>()?;
        let mut site_strings = BTreeMap::new();
        for locale_config in &config.locales {
            let path = config.root.join("i18n").join(format!("{}.toml", locale_config.locale));
            if let Ok(text) = std::fs::read_to_string(&path) {
                let strings = parse(&text).with_context(|| format!("invalid {}", path.display()))?;
                site_strings.insert(locale_config.locale.clone(), strings);
            }
        }
        let english = Locale::parse("en-us").expect("valid tag");
        let mut by_locale = BTreeMap::new();
        for locale_config in &config.locales {
            let locale = &locale_config.locale;
            let mut strings = UiStrings::default();
            strings.extend(&built_in[&english]);
            if let Some(defaults) = site_strings.get(&config.default_locale) {
                strings.extend(defaults);
            }
            let own_built_in = built_in
                .get(locale)
                .or_else(|| built_in.iter().find(|(l, _)| l.language() == locale.language()).map(|(_, s)| s));
            if let Some(own) = own_built_in {
                strings.extend(own);
            }
            if let Some(own) = site_strings.get(locale) {
                strings.extend(own);
            }
            by_locale.insert(locale.clone(), strings);
        }
        Ok(Translations { by_locale })
    }

    pub fn get(&self, locale: &Locale) -> &UiStrings {
        static EMPTY: std::sync::LazyLock<UiStrings> = std::sync::LazyLock::new(UiStrings::default);
        self.by_locale.get(locale).unwrap_or(&EMPTY)
    }
}

fn parse(text: &str) -> Result<BTreeMap<String, String>> {
    let table: toml::Table = toml::from_str(text.trim_start_matches('\u{feff}')).map_err(|error| anyhow!("{error}"))?;
    table
        .into_iter()
        .map(|(key, value)| match value {
            toml::Value::String(s) => Ok((key, s)),
            other => Err(anyhow!("`{key}` must be a string, not {}", other.type_str())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_locales_have_the_same_keys() {
        let english = parse(BUILT_IN[0].1).unwrap();
        let chinese = parse(BUILT_IN[1].1).unwrap();
        let english_keys: Vec<_> = english.keys().collect();
        let chinese_keys: Vec<_> = chinese.keys().collect();
        assert_eq!(english_keys, chinese_keys);
        assert_eq!(chinese["alert_note"], "注意");
        assert_eq!(chinese["alert_caution"], "注意事项");
    }
}
