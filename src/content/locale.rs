//! `Locale`: a lowercase BCP 47 tag as used for folders and URLs (`zh-cn`), with the
//! properly cased form (`zh-CN`) that `lang` and `hreflang` attributes want.

use std::fmt;

/// A locale as it names a content folder: lowercase BCP 47 (`en-us`, `zh-cn`, `zh-hans`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locale(String);

impl Locale {
    /// Parses a folder name or a `site.toml` key. Returns `None` for anything that is not
    /// shaped like a BCP 47 tag (letters and digits in `-`-separated subtags).
    pub fn parse(tag: &str) -> Option<Locale> {
        let lowered = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut subtags = lowered.split('-');
        let language = subtags.next()?;
        let language_ok = (2..=8).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
        let rest_ok = subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        (language_ok && rest_ok).then_some(Locale(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The BCP 47 spelling for `lang`/`hreflang`: `zh-CN`, `zh-Hans`, `en-US`.
    pub fn bcp47(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for (index, subtag) in self.0.split('-').enumerate() {
            if index > 0 {
                out.push('-');
            }
            match subtag.len() {
                _ if index == 0 => out.push_str(subtag),
                2 if subtag.bytes().all(|b| b.is_ascii_alphabetic()) => out.push_str(&subtag.to_ascii_uppercase()),
                4 if subtag.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    out.push_str(&subtag[..1].to_ascii_uppercase());
                    out.push_str(&subtag[1..]);
                }
                _ => out.push_str(subtag),
            }
        }
        out
    }

    /// The primary language subtag (`zh` for `zh-cn`).
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_spells_bcp47() {
        let cases = [
            ("zh-CN", "zh-cn", "zh-CN"),
            ("en-us", "en-us", "en-US"),
            ("zh-hans", "zh-hans", "zh-Hans"),
            ("de", "de", "de"),
            ("es-419", "es-419", "es-419"),
        ];
        for (input, folder, bcp47) in cases {
            let locale = Locale::parse(input).unwrap();
            assert_eq!(locale.as_str(), folder);
            assert_eq!(locale.bcp47(), bcp47);
        }
    }

    #[test]
    fn rejects_non_tags() {
        for input in ["", "x", "en us", "-en", "includes!", "en--us"] {
            assert!(Locale::parse(input).is_none(), "{input}");
        }
    }
}
