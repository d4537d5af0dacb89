//! `l10n stamp`'s edit: write `ms.openlocfilehash`, `ms.sourcegitcommit` and
//! `ms.lasthandoff` into a translation's front matter and change no other byte. Works on
//! the file's bytes, not on parsed YAML, so key spelling, quoting, comments, line endings
//! and a BOM survive: an existing key's value is replaced in place, a missing key is
//! appended before the closing fence, and a file without front matter gets a block. Pure.

use jiff::civil::Date;

/// The values to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// SHA-1 of the source file's bytes as on disk.
    pub hash: String,
    /// The source repository's `HEAD`; `None` outside git, and the key is then left alone.
    pub commit: Option<String>,
    /// The hand-off date, written as DocFX does: `MM/DD/YYYY`.
    pub handoff: Date,
}

/// Why a file could not be stamped, located in the file (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StampError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Yaml,
    Toml,
}

/// The file's bytes with `stamp` written into its front matter.
pub fn apply(bytes: &[u8], stamp: &Stamp) -> Result<Vec<u8>, StampError> {
    let bom_len = if bytes.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let (bom, text) = bytes.split_at(bom_len);
    let newline: &[u8] = match text.iter().position(|&b| b == b'\n') {
        Some(index) if index > 0 && text[index - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    };
    let handoff = format!("{:02}/{:02}/{:04}", stamp.handoff.month(), stamp.handoff.day(), stamp.handoff.year());
    let mut entries: Vec<(&str, &str)> = vec![("ms.openlocfilehash", stamp.hash.as_str())];
    if let Some(commit) = &stamp.commit {
        entries.push(("ms.sourcegitcommit", commit.as_str()));
    }
    entries.push(("ms.lasthandoff", handoff.as_str()));

    let lines = split_lines(text);
    let syntax = match lines.first().map(|line| trim_end(line)) {
        Some(b"---") => Syntax::Yaml,
        Some(b"+++") => Syntax::Toml,
        _ => return Ok(with_new_block(bom, text, &entries, newline)),
    };
    let closing = closing_fence(&lines, syntax)?;
    let mut block: Vec<Vec<u8>> = lines[1..closing].iter().map(|line| line.to_vec()).collect();
    for (key, value) in &entries {
        write_entry(&mut block, syntax, key, value, newline);
    }
    let mut out = bom.to_vec();
    out.extend_from_slice(lines[0]);
    block.iter().for_each(|line| out.extend_from_slice(line));
    lines[closing..].iter().for_each(|line| out.extend_from_slice(line));
    Ok(out)
}

/// A file without front matter: a new YAML block in front of its bytes.
fn with_new_block(bom: &[u8], text: &[u8], entries: &[(&str, &str)], newline: &[u8]) -> Vec<u8> {
    let mut out = bom.to_vec();
    out.extend_from_slice(b"---");
    out.extend_from_slice(newline);
    for (key, value) in entries {
        out.extend_from_slice(entry_line(Syntax::Yaml, key, value).as_bytes());
        out.extend_from_slice(newline);
    }
    out.extend_from_slice(b"---");
    out.extend_from_slice(newline);
    out.extend_from_slice(text);
    out
}

/// The index of the line that closes the front matter opened on line 0.
fn closing_fence(lines: &[&[u8]], syntax: Syntax) -> Result<usize, StampError> {
    let fence: &[u8] = if syntax == Syntax::Yaml { b"---" } else { b"+++" };
    let closes = |line: &&[u8]| {
        let line = trim_end(line);
        line == fence || (syntax == Syntax::Yaml && line == b"...")
    };
    lines.iter().skip(1).position(closes).map(|index| index + 1).ok_or_else(|| StampError {
        line: 1,
        column: 1,
        message: format!(
            "the front matter opened with `{}` is never closed; fix it before stamping",
            String::from_utf8_lossy(fence)
        ),
    })
}

/// Replaces `key`'s value in the front-matter lines `block`, keeping the key as written and
/// the line's ending, or appends the key when it is missing.
fn write_entry(block: &mut Vec<Vec<u8>>, syntax: Syntax, key: &str, value: &str, newline: &[u8]) {
    let Some(index) = block.iter().position(|line| key_of(syntax, line).is_some_and(|found| same_key(&found, key)))
    else {
        let mut line = entry_line(syntax, key, value).into_bytes();
        line.extend_from_slice(newline);
        block.push(line);
        return;
    };
    let line = &block[index];
    let value_start = line.iter().position(|&b| b == separator(syntax)).map_or(line.len(), |i| i + 1);
    let mut replaced = line[..value_start].to_vec();
    replaced.push(b' ');
    replaced.extend_from_slice(quoted(syntax, value).as_bytes());
    replaced.extend_from_slice(line_ending(line));
    block[index] = replaced;
    // A value continued on indented lines belongs to the replaced key.
    while block.get(index + 1).is_some_and(|next| is_continuation(next)) {
        block.remove(index + 1);
    }
}

/// The lines of `text`, each with its line ending.
fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    text.split_inclusive(|&b| b == b'\n').collect()
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    &line[..end]
}

fn line_ending(line: &[u8]) -> &[u8] {
    if line.ends_with(b"\r\n") {
        b"\r\n"
    } else if line.ends_with(b"\n") {
        b"\n"
    } else {
        b""
    }
}

fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t')) && !trim_end(line).is_empty()
}

/// The key of a top-level `key: value` (YAML) or `key = value` (TOML) line, unquoted.
fn key_of(syntax: Syntax, line: &[u8]) -> Option<String> {
    if matches!(line.first(), Some(b' ' | b'\t' | b'#')) {
        return None;
    }
    let key = &line[..line.iter().position(|&b| b == separator(syntax))?];
    let key = String::from_utf8_lossy(key);
    Some(key.trim().trim_matches(['"', '\'']).to_string())
}

/// Keys match ignoring case and white space, as `FrontMatter::get` reads them (real files
/// have `ms. author`).
fn same_key(found: &str, key: &str) -> bool {
    let normalized = |text: &str| text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    normalized(found) == normalized(key)
}

fn separator(syntax: Syntax) -> u8 {
    if syntax == Syntax::Yaml { b':' } else { b'=' }
}

/// `key: value` or `"key" = "value"`.
fn entry_line(syntax: Syntax, key: &str, value: &str) -> String {
    match syntax {
        Syntax::Toml => format!("\"{key}\" = {}", quoted(syntax, value)),
        Syntax::Yaml => format!("{key}: {}", quoted(syntax, value)),
    }
}

/// A value as written after the separator: TOML strings are always quoted; YAML ones only
/// where YAML would not read a string (a hash of digits, or digits with one `e`, reads as
/// a number).
fn quoted(syntax: Syntax, value: &str) -> String {
    match syntax {
        Syntax::Toml => format!("\"{value}\""),
        Syntax::Yaml if value.is_empty() || value.parse::<f64>().is_ok() => format!("'{value}'"),
        Syntax::Yaml => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(commit: Option<&str>) -> Stamp {
        Stamp {
            hash: "917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb".into(),
            commit: commit.map(str::to_string),
            handoff: jiff::civil::date(2020, 4, 5),
        }
    }

    fn apply_str(text: &str, stamp: &Stamp) -> String {
        String::from_utf8(apply(text.as_bytes(), stamp).unwrap()).unwrap()
    }

    #[test]
    fn replaces_values_in_place_and_keeps_every_other_byte() {
        let text = "---\ntitle: 容器\nms.openlocfilehash: 0000\nms.sourcegitcommit: 1111 # old\nms.lasthandoff: 3/10/2020\nms.locfileid: \"79027867\"\n---\n# Body\n";
        let out = apply_str(text, &stamp(Some("8eedfdc1fda9d0abb36e28dc2b5fb39891777364")));
        assert_eq!(
            out,
            "---\ntitle: 容器\nms.openlocfilehash: 917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\nms.sourcegitcommit: 8eedfdc1fda9d0abb36e28dc2b5fb39891777364\nms.lasthandoff: 04/05/2020\nms.locfileid: \"79027867\"\n---\n# Body\n"
        );
    }

    #[test]
    fn appends_missing_keys_before_the_closing_fence_with_the_files_line_endings() {
        let text = "\u{feff}---\r\ntitle: T\r\nms. lasthandoff: 1/1/2019\r\n---\r\nbody\r\n";
        let out = apply_str(text, &stamp(None));
        assert_eq!(
            out,
            "\u{feff}---\r\ntitle: T\r\nms. lasthandoff: 04/05/2020\r\nms.openlocfilehash: 917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\r\n---\r\nbody\r\n"
        );
    }

    #[test]
    fn adds_a_front_matter_block_where_there_is_none() {
        assert_eq!(
            apply_str("\u{feff}# Title\r\n\r\nText", &stamp(Some("abc"))),
            "\u{feff}---\r\nms.openlocfilehash: 917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\r\nms.sourcegitcommit: abc\r\nms.lasthandoff: 04/05/2020\r\n---\r\n# Title\r\n\r\nText"
        );
        assert_eq!(
            apply_str("", &stamp(None)),
            "---\nms.openlocfilehash: 917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\nms.lasthandoff: 04/05/2020\n---\n"
        );
    }

    #[test]
    fn replaces_a_value_continued_on_indented_lines() {
        let text = "---\nms.openlocfilehash:\n  abc\n  def\ntitle: T\n---\n";
        let out = apply_str(text, &stamp(None));
        assert!(
            out.starts_with("---\nms.openlocfilehash: 917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\ntitle: T\n"),
            "{out}"
        );
    }

    #[test]
    fn writes_toml_front_matter_as_toml() {
        let text = "+++\ntitle = \"T\"\n\"ms.openlocfilehash\" = \"0\"\n+++\nbody";
        let out = apply_str(text, &stamp(None));
        assert_eq!(
            out,
            "+++\ntitle = \"T\"\n\"ms.openlocfilehash\" = \"917c07e13d6a0ec5b5e73213da4dc4f04ec0d9bb\"\n\"ms.lasthandoff\" = \"04/05/2020\"\n+++\nbody"
        );
        let parsed = crate::content::front_matter::split(&out).unwrap();
        assert_eq!(parsed.front_matter.text("ms.lasthandoff").as_deref(), Some("04/05/2020"));
    }

    #[test]
    fn quotes_hashes_yaml_would_read_as_numbers() {
        let numeric = Stamp { hash: "1234567e89".into(), ..stamp(None) };
        let out = apply_str("---\n---\n", &numeric);
        assert!(out.contains("ms.openlocfilehash: '1234567e89'\n"), "{out}");
        let parsed = crate::content::front_matter::split(&out).unwrap();
        assert_eq!(parsed.front_matter.text("ms.openlocfilehash").as_deref(), Some("1234567e89"));
    }

    #[test]
    fn refuses_unclosed_front_matter() {
        let error = apply(b"---\ntitle: T\n# Body\n", &stamp(None)).unwrap_err();
        assert_eq!((error.line, error.column), (1, 1));
        assert!(error.message.contains("never closed"));
    }
}
