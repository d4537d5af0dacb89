//! Front matter: the YAML block between `---` lines (DocFX) or the TOML block between `+++`
//! lines. Every key is kept verbatim (`ms.date` included) in `FrontMatter::meta`; typed
//! accessors read the keys polydoc knows. Errors carry the line and column of the problem in
//! the whole file, so they point into the `.md` file rather than into the YAML.

use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// Every front-matter key of a page, verbatim, plus typed access to the known ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrontMatter {
    meta: Map<String, Value>,
    /// Whether a key is spelled other than in lowercase without white space (`MS.date`),
    /// so that a lookup missing it exactly has to compare normalized keys. Most pages have
    /// none, and their lookups of absent keys stay one map probe.
    irregular_keys: bool,
}

/// A page's text split into front matter and body.
#[derive(Debug)]
pub struct Split<'a> {
    pub front_matter: FrontMatter,
    pub body: &'a str,
    /// The 1-based line of the file on which `body` starts.
    pub body_line: usize,
}

/// Malformed front matter, located in the whole file (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatterError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Splits `text` (BOM already removed) into front matter and body.
pub fn split(text: &str) -> Result<Split<'_>, FrontMatterError> {
    let Some((fence, first_line_end)) = opening_fence(text) else {
        return Ok(Split { front_matter: FrontMatter::default(), body: text, body_line: 1 });
    };
    let block_start = first_line_end;
    let mut offset = block_start;
    let mut line_number = 2;
    while offset < text.len() {
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i + 1);
        let line = text[offset..line_end].trim_end();
        let closes = line == fence || (fence == "---" && line == "...");
        if closes {
            let block = &text[block_start..offset];
            let meta = match fence {
                "---" => parse_yaml(block),
                _ => parse_toml(block),
            }
            .map_err(|mut error| {
                error.line += 1; // The block starts on the file's second line.
                error
            })?;
            return Ok(Split {
                front_matter: FrontMatter::new(meta),
                body: &text[line_end..],
                body_line: line_number + 1,
            });
        }
        offset = line_end;
        line_number += 1;
    }
    Err(FrontMatterError { line: 1, column: 1, message: format!("front matter opened with `{fence}` is never closed") })
}

/// The first line of a DocFX landing page, a YAML file.
pub const LANDING_HEADER: &str = "### YamlMime:Landing";

/// The front matter of a DocFX landing page: its `metadata` keys verbatim, plus the
/// top-level `title` and `summary` (as `description`) where `metadata` has none.
pub fn landing(text: &str) -> Result<FrontMatter, FrontMatterError> {
    let documents = YamlLoader::load_from_str(text).map_err(yaml_error)?;
    let Some(Yaml::Hash(mut top)) = documents.into_iter().next() else {
        return Err(FrontMatterError { line: 1, column: 1, message: "a landing page must be a YAML mapping".into() });
    };
    let mut meta = match top.remove(&Yaml::String("metadata".into())) {
        Some(Yaml::Hash(hash)) => hash.into_iter().map(|(key, value)| (yaml_key(key), yaml_to_json(value))).collect(),
        _ => Map::new(),
    };
    for (from, to) in [("title", "title"), ("summary", "description")] {
        if let Some(value) = top.remove(&Yaml::String(from.into())) {
            meta.entry(to).or_insert_with(|| yaml_to_json(value));
        }
    }
    Ok(FrontMatter::new(meta))
}

fn opening_fence(text: &str) -> Option<(&'static str, usize)> {
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let first_line = text[..first_line_end].trim_end();
    let fence = match first_line {
        "---" => "---",
        "+++" => "+++",
        _ => return None,
    };
    Some((fence, first_line_end))
}

fn parse_yaml(block: &str) -> Result<Map<String, Value>, FrontMatterError> {
    let documents = match YamlLoader::load_from_str(block) {
        Ok(documents) => documents,
        // DocFX (YamlDotNet) tolerates tabs that YAML forbids, e.g. a tab after a value.
        Err(_) if block.contains('\t') => YamlLoader::load_from_str(&block.replace('\t', " ")).map_err(yaml_error)?,
        Err(error) => return Err(yaml_error(error)),
    };
    match documents.into_iter().next() {
        None | Some(Yaml::Null) => Ok(Map::new()),
        Some(Yaml::Hash(hash)) => {
            Ok(hash.into_iter().map(|(key, value)| (yaml_key(key), yaml_to_json(value))).collect())
        }
        Some(_) => Err(FrontMatterError {
            line: 1,
            column: 1,
            message: "front matter must be a mapping of keys to values".into(),
        }),
    }
}

fn yaml_error(error: yaml_rust2::ScanError) -> FrontMatterError {
    let marker = error.marker();
    FrontMatterError {
        line: marker.line().max(1),
        column: marker.col() + 1,
        message: format!("invalid YAML: {}", error.info()),
    }
}

fn yaml_key(key: Yaml) -> String {
    match yaml_to_json(key) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

fn yaml_to_json(yaml: Yaml) -> Value {
    match yaml {
        Yaml::String(s) => Value::String(s),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(r) => {
            r.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::String(r), Value::Number)
        }
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(hash) => Value::Object(hash.into_iter().map(|(k, v)| (yaml_key(k), yaml_to_json(v))).collect()),
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn parse_toml(block: &str) -> Result<Map<String, Value>, FrontMatterError> {
    let table: toml::Table = toml::from_str(block).map_err(|error| {
        let (line, column) = error.span().map_or((1, 1), |span| {
            let before = &block[..span.start.min(block.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            (line, column)
        });
        FrontMatterError { line, column, message: format!("invalid TOML: {}", error.message()) }
    })?;
    match serde_json::to_value(table) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Ok(Map::new()),
    }
}

impl FrontMatter {
    pub fn new(meta: Map<String, Value>) -> FrontMatter {
        let irregular_keys = !meta.keys().all(|key| is_normalized_key(key));
        FrontMatter { meta, irregular_keys }
    }

    /// Every key and value as written.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// The value of a known key. Keys match ignoring case and white space, because real
    /// DocFX front matter has `ms. author` and `MS.date`, which DocFX reads too.
    pub fn get(&self, key: &str) -> Option<&Value> {
        // A few dozen keys at most: a scan comparing lengths first is several times faster
        // than the map's search, which compares strings all sharing `ms.` at every step.
        let exact = self.meta.iter().find(|(candidate, _)| candidate.len() == key.len() && *candidate == key);
        if let Some((_, value)) = exact {
            return Some(value);
        }
        if !self.irregular_keys && is_normalized_key(key) {
            return None;
        }
        self.meta.iter().find(|(candidate, _)| normalized_key_eq(candidate, key)).map(|(_, value)| value)
    }

    /// A scalar key as text (numbers and booleans are spelled out), trimmed; `None` if empty.
    pub fn text(&self, key: &str) -> Option<String> {
        let text = match self.get(key)? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    pub fn title(&self) -> Option<String> {
        self.text("title")
    }

    /// `keywords` as a list, whether written as a list or a comma-separated string.
    pub fn keywords(&self) -> Vec<String> {
        match self.get("keywords") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::String(s)) => s.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
            _ => Vec::new(),
        }
    }

    pub fn is_draft(&self) -> bool {
        matches!(self.get("draft"), Some(Value::Bool(true))) || self.text("draft").as_deref() == Some("true")
    }
}

/// Whether `key` is already as `normalized_key_eq` compares it: no white space, no capitals.
fn is_normalized_key(key: &str) -> bool {
    !key.chars().any(|c| c.is_whitespace() || c.is_ascii_uppercase())
}

fn normalized_key_eq(candidate: &str, key: &str) -> bool {
    let mut candidate_chars = candidate.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase());
    let mut key_chars = key.chars().map(|c| c.to_ascii_lowercase());
    loop {
        match (candidate_chars.next(), key_chars.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => continue,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_yaml_and_keeps_every_key() {
        let text = "---\ntitle: 容器与虚拟机\nms.date: 10/21/2019\nms. author: jgerend\nms.locfileid: \"74910817\"\n---\n# Body\n";
        let split = split(text).unwrap();
        assert_eq!(split.body, "# Body\n");
        assert_eq!(split.body_line, 7);
        assert_eq!(split.front_matter.title().as_deref(), Some("容器与虚拟机"));
        assert_eq!(split.front_matter.text("ms.date").as_deref(), Some("10/21/2019"));
        assert_eq!(split.front_matter.text("ms.author").as_deref(), Some("jgerend"));
        assert!(split.front_matter.meta.contains_key("ms. author"));
        assert_eq!(split.front_matter.text("ms.locfileid").as_deref(), Some("74910817"));
    }

    #[test]
    fn tolerates_crlf_and_trailing_tabs() {
        let text = "---\r\ntitle: Hi\t\r\nkeywords: a, b\r\n---\r\nbody";
        let split = split(text).unwrap();
        assert_eq!(split.front_matter.title().as_deref(), Some("Hi"));
        assert_eq!(split.front_matter.keywords(), ["a", "b"]);
        assert_eq!(split.body, "body");
    }

    #[test]
    fn reports_yaml_errors_at_their_line_in_the_file() {
        let error = split("---\ntitle: ok\ndescription: [unclosed\n---\nbody").unwrap_err();
        assert!(error.line >= 3, "{error:?}");
        assert!(error.message.starts_with("invalid YAML"));
        let unclosed = split("---\ntitle: x\n").unwrap_err();
        assert_eq!((unclosed.line, unclosed.column), (1, 1));
    }

    #[test]
    fn reads_toml_front_matter() {
        let split = split("+++\ntitle = \"T\"\ndraft = true\n+++\nbody").unwrap();
        assert_eq!(split.front_matter.title().as_deref(), Some("T"));
        assert!(split.front_matter.is_draft());
        let error = super::split("+++\ntitle = \n+++\n").unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn no_front_matter_is_an_empty_map() {
        let split = split("# Title\n---\n").unwrap();
        assert!(split.front_matter.meta.is_empty());
        assert_eq!(split.body_line, 1);
    }
}
