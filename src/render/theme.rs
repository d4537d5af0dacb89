//! `Theme`: the Tera templates and static assets of the built-in theme (embedded in the
//! binary from `theme/`), with a site's own `templates/*.html` and `static/*` overriding
//! them by name. Built once per build; rendering only borrows it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use tera::Tera;

use crate::content::page::sha1_hex;
use crate::markdown::highlight;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../theme/templates/base.html")),
    ("macros.html", include_str!("../../theme/templates/macros.html")),
    ("sidebar.html", include_str!("../../theme/templates/sidebar.html")),
    ("footer.html", include_str!("../../theme/templates/footer.html")),
    ("page.html", include_str!("../../theme/templates/page.html")),
    ("section.html", include_str!("../../theme/templates/section.html")),
    ("landing.html", include_str!("../../theme/templates/landing.html")),
    ("chooser.html", include_str!("../../theme/templates/chooser.html")),
    ("404.html", include_str!("../../theme/templates/404.html")),
    ("redirect.html", include_str!("../../theme/templates/redirect.html")),
    ("l10n.html", include_str!("../../theme/templates/l10n.html")),
];

const CSS: &str = include_str!("../../theme/static/polydoc.css");
const JS: &str = include_str!("../../theme/static/polydoc.js");
/// The search box's script and styles, only in builds that write a search index.
#[cfg(feature = "search")]
const SEARCH: Option<(&str, &str)> =
    Some((include_str!("../../theme/static/search.js"), include_str!("../../theme/static/search.css")));
#[cfg(not(feature = "search"))]
const SEARCH: Option<(&str, &str)> = None;

/// Theme files written to the output root, by fingerprinted name.
#[derive(Clone, Debug, Serialize)]
pub struct Assets {
    pub css: String,
    pub js: String,
    pub highlight_css: String,
    /// `favicon.svg` when the site's `static/` has one, else empty.
    pub favicon: String,
    /// The search box's script and stylesheet; empty without the `search` feature, and
    /// then the theme shows no search box.
    pub search_js: String,
    pub search_css: String,
}

pub struct Theme {
    tera: Tera,
    /// Covers every template and file of the theme, overrides included, so cached pages
    /// are re-rendered when any of them changes.
    pub fingerprint: blake3::Hash,
    pub assets: Assets,
    /// (output path, bytes) of the theme's own files.
    pub files: Vec<(String, Vec<u8>)>,
    /// The hash of the files the theme was made from (`ThemeSources::hash`).
    sources: blake3::Hash,
}

/// What a theme is made from: the built-in templates with the site's overriding them, and
/// the site's stylesheet, script and icon.
struct ThemeSources {
    /// (name, text), built-in first, each override replacing its built-in.
    templates: Vec<(String, String)>,
    template_dir: PathBuf,
    css: Vec<u8>,
    js: Vec<u8>,
    /// `favicon.svg` when the site's `static/` has one, else empty.
    favicon: String,
}

impl ThemeSources {
    fn read(site_root: &Path) -> Result<ThemeSources> {
        let mut templates: Vec<(String, String)> =
            TEMPLATES.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
        let template_dir = site_root.join("templates");
        if let Ok(entries) = std::fs::read_dir(&template_dir) {
            let mut overrides: Vec<_> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .collect();
            overrides.sort();
            for path in overrides {
                let name = path.file_name().expect("a file").to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                templates.retain(|(existing, _)| *existing != name);
                templates.push((name, text));
            }
        }
        let static_dir = site_root.join("static");
        let css = std::fs::read(static_dir.join("polydoc.css")).unwrap_or_else(|_| CSS.as_bytes().to_vec());
        let js = std::fs::read(static_dir.join("polydoc.js")).unwrap_or_else(|_| JS.as_bytes().to_vec());
        let favicon = if static_dir.join("favicon.svg").is_file() { "favicon.svg".to_string() } else { String::new() };
        Ok(ThemeSources { templates, template_dir, css, js, favicon })
    }

    /// Everything read; what is built in is the same for one polydoc binary.
    fn hash(&self) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new();
        for (name, text) in &self.templates {
            hasher.update(name.as_bytes());
            hasher.update(b"\0");
            hasher.update(text.as_bytes());
            hasher.update(b"\0");
        }
        for part in [&self.css, &self.js, self.favicon.as_bytes()] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize()
    }
}

impl Theme {
    /// The built-in theme with `site_root/templates/*.html` and the site's `static/`
    /// stylesheet and script (`polydoc.css`, `polydoc.js`) overriding it by name.
    pub fn load(site_root: &Path) -> Result<Theme> {
        let sources = ThemeSources::read(site_root)?;
        let hash = sources.hash();
        Theme::compile(sources, hash)
    }

    /// The theme as `load` makes it, or `previous` when it was made from the same files
    /// (`serve` rebuilds: compiling the templates is most of loading them).
    pub fn reload(site_root: &Path, previous: Option<&Arc<Theme>>) -> Result<Arc<Theme>> {
        let sources = ThemeSources::read(site_root)?;
        let hash = sources.hash();
        match previous {
            Some(previous) if previous.sources == hash => Ok(Arc::clone(previous)),
            _ => Theme::compile(sources, hash).map(Arc::new),
        }
    }

    fn compile(sources: ThemeSources, sources_hash: blake3::Hash) -> Result<Theme> {
        let ThemeSources { templates, template_dir, css, js, favicon } = sources;
        // What was read, then the files built in (and every file's output name).
        let mut hasher = blake3::Hasher::new();
        hasher.update(sources_hash.as_bytes());
        let mut tera = Tera::default();
        // Tera's default escaper also escapes `/`, which turns every URL into `&#x2F;` soup.
        tera.set_escape_fn(escape_html);
        tera.add_raw_templates(templates)
            .map_err(|error| anyhow!("{}", error_chain(&error)))
            .with_context(|| format!("invalid template in the theme or {}", template_dir.display()))?;

        let highlight_css = highlight::stylesheet().into_bytes();
        let mut files = vec![
            fingerprinted("polydoc", "css", css),
            fingerprinted("polydoc", "js", js),
            fingerprinted("highlight", "css", highlight_css),
        ];
        let (search_js, search_css) = match SEARCH {
            Some((js, css)) => {
                files.push(fingerprinted("search", "js", js.as_bytes().to_vec()));
                files.push(fingerprinted("search", "css", css.as_bytes().to_vec()));
                (files[3].0.clone(), files[4].0.clone())
            }
            None => (String::new(), String::new()),
        };
        let assets = Assets {
            css: files[0].0.clone(),
            js: files[1].0.clone(),
            highlight_css: files[2].0.clone(),
            favicon,
            search_js,
            search_css,
        };
        for (name, bytes) in &files {
            hasher.update(name.as_bytes());
            hasher.update(bytes);
        }
        Ok(Theme { tera, fingerprint: hasher.finalize(), sources: sources_hash, assets, files })
    }

    /// Renders the template `name` with `context`.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let context = tera::Context::from_serialize(context).map_err(|error| anyhow!("{}", error_chain(&error)))?;
        self.tera.render(name, &context).map_err(|error| anyhow!("template {name}: {}", error_chain(&error)))
    }
}

/// Renders a diagram template (`*.svg.tera`) with a locale's UI strings.
pub fn render_diagram(text: &str, context: &impl Serialize) -> Result<String> {
    let context = tera::Context::from_serialize(context).map_err(|error| anyhow!("{}", error_chain(&error)))?;
    Tera::one_off(text, &context, true).map_err(|error| anyhow!("{}", error_chain(&error)))
}

/// Escapes text for HTML element content and quoted attribute values. Tera calls it for
/// every printed value, so it copies unescaped runs whole instead of char by char.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        escaped.push_str(&text[start..at]);
        escaped.push_str(entity);
        start = at + 1;
    }
    escaped.push_str(&text[start..]);
    escaped
}

/// `name.<8 hex digits of the content's SHA-1>.ext`, so the files can be cached for ever.
fn fingerprinted(name: &str, extension: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
    let digest = sha1_hex(&bytes);
    (format!("{name}.{}.{extension}", &digest[..8]), bytes)
}

/// Tera nests the useful message in its error's sources.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
