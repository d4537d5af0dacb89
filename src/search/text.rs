//! The readable text of a rendered page body: one linear pass over its HTML that drops
//! tags, skips what is not text (`<script>`, `<style>`, `<template>`, the hidden tab
//! buttons that repeat the tab labels), decodes entities and puts a space where a block
//! ends, so words in neighbouring cells or list items do not run together. Heading text is
//! also collected on its own: a query word in a heading ranks the page higher.
//!
//! `walk` hands the text to a `TextSink` as it goes, run by run, so that a search record
//! is made in the same pass (`index::PageRecord::new`); `extract` collects it.

/// A page body as text.
#[derive(Debug, Default, PartialEq)]
pub struct BodyText {
    /// All the text, whitespace collapsed to single spaces.
    pub text: String,
    /// The text of the `<h1>`…`<h6>` headings, separated by newlines.
    pub headings: String,
}

/// Elements whose content is not text a reader sees.
const SKIPPED: &[&str] = &["script", "style", "template", "noscript"];

/// Elements inside a run of text: no space where they start or end (`容<em>器</em>` is
/// one word). Highlighted code is mostly `<span>`s, so this runs for nearly every tag:
/// the name, lowercased, is read as a number and matched against the list's numbers.
fn is_inline(name: &str) -> bool {
    const INLINE: [u64; 27] = [
        tag_key(b"span"),
        tag_key(b"a"),
        tag_key(b"code"),
        tag_key(b"em"),
        tag_key(b"strong"),
        tag_key(b"b"),
        tag_key(b"i"),
        tag_key(b"abbr"),
        tag_key(b"bdi"),
        tag_key(b"bdo"),
        tag_key(b"cite"),
        tag_key(b"data"),
        tag_key(b"dfn"),
        tag_key(b"kbd"),
        tag_key(b"mark"),
        tag_key(b"q"),
        tag_key(b"s"),
        tag_key(b"samp"),
        tag_key(b"small"),
        tag_key(b"sub"),
        tag_key(b"sup"),
        tag_key(b"time"),
        tag_key(b"u"),
        tag_key(b"var"),
        tag_key(b"wbr"),
        tag_key(b"del"),
        tag_key(b"ins"),
    ];
    name.len() <= 6 && INLINE.contains(&tag_key(name.as_bytes()))
}

/// A tag name of up to eight bytes as a number, its letters lowercased.
const fn tag_key(name: &[u8]) -> u64 {
    let mut key = 0;
    let mut at = 0;
    while at < name.len() && at < 8 {
        key |= (name[at].to_ascii_lowercase() as u64) << (8 * at);
        at += 1;
    }
    key
}

/// Where `walk` hands a body's text.
pub trait TextSink {
    /// A run of text between two tags, entities decoded; `in_heading` inside `<h1>`…`<h6>`.
    fn text(&mut self, run: &str, in_heading: bool);
    /// A block starts or ends (a paragraph, a cell, a list item, a heading): the text on
    /// either side is apart, as if whitespace were between.
    fn split(&mut self, in_heading: bool);
    /// A heading ended (and a `split` follows).
    fn heading_end(&mut self);
}

/// Extracts the text of `html` (a body fragment as `markdown::render` writes it).
pub fn extract(html: &str) -> BodyText {
    let mut out = BodyText::default();
    walk(html, &mut out);
    let trimmed = out.text.trim_end().len();
    out.text.truncate(trimmed);
    out
}

impl TextSink for BodyText {
    fn text(&mut self, run: &str, in_heading: bool) {
        if in_heading {
            // Headings are short and rare: their text goes to both strings part by part.
            push_parts(self, run.split(char::is_whitespace), true);
        } else {
            push_collapsed(&mut self.text, run);
        }
    }

    fn split(&mut self, in_heading: bool) {
        if in_heading {
            push_separator(self, true);
        } else {
            push_space(&mut self.text);
        }
    }

    fn heading_end(&mut self) {
        self.headings.push('\n');
    }
}

/// Hands the text of `html` (a body fragment as `markdown::render` writes it) to `sink`.
/// Text between inline tags is one run (`容<em>器</em>` is `容器`), so it is gathered
/// (entities decoded) and handed over once a block starts or ends: a highlighted code
/// block, hundreds of `<span>`s, is one run.
pub fn walk(html: &str, sink: &mut impl TextSink) {
    let bytes = html.as_bytes();
    let mut i = 0;
    // While inside a skipped element: its name, so only its own end tag ends the skip.
    let mut skipping: Option<&str> = None;
    // Depth inside headings (they do not nest, but bad raw HTML may try).
    let mut in_heading = 0usize;
    let mut run = String::new();
    let flush = |run: &mut String, sink: &mut _, in_heading: usize| {
        if !run.is_empty() {
            TextSink::text(sink, run, in_heading > 0);
            run.clear();
        }
    };
    while i < bytes.len() {
        let Some(special) = find_special(bytes, i) else {
            if skipping.is_none() {
                run.push_str(&html[i..]);
            }
            break;
        };
        if skipping.is_none() {
            run.push_str(&html[i..special]);
        }
        if bytes[special] == b'&' {
            i = special + 1;
            if skipping.is_none() {
                match reference(&html[special..]) {
                    Some((c, len)) => {
                        run.push(c);
                        i = special + len;
                    }
                    None => run.push('&'),
                }
            }
            continue;
        }
        let lt = special;
        // Highlighted code is mostly `<span class="…">` and `</span>`: inline, never
        // skipped, never a heading, so nothing to do but step over them.
        let rest = &html[lt..];
        if rest.starts_with("</span>") {
            i = lt + "</span>".len();
            continue;
        }
        if rest.starts_with("<span ") {
            i = lt + span_end(rest);
            continue;
        }
        let tag = Tag::parse(rest);
        i = lt + tag.len.max(1);
        if tag.name.is_empty() {
            // A lone `<` (escaped text never has one, but raw HTML may): keep it as text.
            if skipping.is_none() && tag.len == 0 {
                run.push('<');
            }
            continue;
        }
        if let Some(name) = skipping {
            if tag.closing && tag.name.eq_ignore_ascii_case(name) {
                skipping = None;
            }
            continue;
        }
        if !tag.closing && !tag.self_closing {
            if let Some(skipped) = SKIPPED.iter().find(|s| tag.name.eq_ignore_ascii_case(s)) {
                skipping = Some(skipped);
                continue;
            }
            if tag.hidden_tablist {
                skipping = Some("div");
                continue;
            }
        }
        if is_inline(tag.name) {
            continue;
        }
        flush(&mut run, sink, in_heading);
        if is_heading(tag.name) {
            if tag.closing {
                in_heading = in_heading.saturating_sub(1);
                sink.heading_end();
            } else {
                in_heading += 1;
            }
        }
        sink.split(in_heading > 0);
    }
    flush(&mut run, sink, in_heading);
}

/// The length of the `<span …>` tag `s` starts with. The highlighter's are all
/// `<span class="…">`: one look for the closing quote finds their end.
fn span_end(s: &str) -> usize {
    const START: &str = "<span class=\"";
    if let Some(value) = s.strip_prefix(START)
        && let Some(quote) = memchr::memchr(b'"', value.as_bytes())
        && value.as_bytes().get(quote + 1) == Some(&b'>')
    {
        return START.len() + quote + 2;
    }
    find_tag_end(s)
}

fn is_heading(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 2 && bytes[0].eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(&bytes[1])
}

/// Appends `raw` to `text` with every run of whitespace made one space, and none where
/// `text` is empty or already ends with one. Highlighted code calls this for every token
/// between its `<span>`s and prose for every run between tags, so it copies the runs
/// between whitespace whole and decodes only the characters outside ASCII.
pub fn push_collapsed(text: &mut String, raw: &str) {
    let bytes = raw.as_bytes();
    // Most runs are ASCII with single spaces for whitespace: copied whole. (Folds, not
    // searches that stop early, so that the compiler checks many bytes at a time.)
    let unusual = bytes.iter().fold(0u8, |unusual, &b| unusual | (b & 0x80) | u8::from(b.wrapping_sub(b'\t') < 5));
    let doubled =
        bytes.iter().zip(bytes.iter().skip(1)).fold(false, |doubled, (&a, &b)| doubled | (a == b' ' && b == b' '));
    if unusual == 0 && !doubled {
        let space_again = bytes.first() == Some(&b' ') && (text.is_empty() || text.ends_with(' '));
        text.push_str(&raw[usize::from(space_again)..]);
        return;
    }
    let (mut at, mut copied) = (0, 0);
    while at < bytes.len() {
        let byte = bytes[at];
        let (whitespace, width) = if byte.is_ascii() {
            // `char::is_whitespace` in ASCII: `u8::is_ascii_whitespace` leaves out U+000B.
            (matches!(byte, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'), 1)
        } else if WIDE_WHITESPACE_LEADS.contains(&byte) {
            let c = raw[at..].chars().next().unwrap_or_default();
            (c.is_whitespace(), c.len_utf8())
        } else {
            (false, utf8_width(byte))
        };
        if whitespace {
            text.push_str(&raw[copied..at]);
            push_space(text);
            copied = at + width;
        }
        at += width;
    }
    text.push_str(&raw[copied..]);
}

/// The first bytes of the UTF-8 of every whitespace character outside ASCII (U+0085,
/// U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
const WIDE_WHITESPACE_LEADS: [u8; 4] = [0xC2, 0xE1, 0xE2, 0xE3];

/// The length of the character whose UTF-8 starts with `lead` (not ASCII).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    }
}

/// Whether `text` holds whitespace outside ASCII. Only characters starting with one of
/// `WIDE_WHITESPACE_LEADS` are looked at: Chinese text is mostly ideographs, skipped by
/// a vectorized search.
pub fn has_wide_whitespace(text: &str) -> bool {
    let bytes = text.as_bytes();
    let at_lead = |at: usize| text[at..].chars().next().is_some_and(char::is_whitespace);
    let [a, b, c, d] = WIDE_WHITESPACE_LEADS;
    memchr::memchr3_iter(a, b, c, bytes).any(at_lead) || memchr::memchr_iter(d, bytes).any(at_lead)
}

/// Appends the parts of a text cut at whitespace, a space between each two.
fn push_parts<'a>(out: &mut BodyText, mut parts: impl Iterator<Item = &'a str>, in_heading: bool) {
    if let Some(first) = parts.next() {
        push_part(out, first, in_heading);
    }
    for part in parts {
        push_separator(out, in_heading);
        push_part(out, part, in_heading);
    }
}

/// What whitespace in the text leaves: one space in the text (and headings), however long.
fn push_separator(out: &mut BodyText, in_heading: bool) {
    push_space(&mut out.text);
    if in_heading && !out.headings.is_empty() && !out.headings.ends_with([' ', '\n']) {
        out.headings.push(' ');
    }
}

fn push_part(out: &mut BodyText, part: &str, in_heading: bool) {
    out.text.push_str(part);
    if in_heading {
        out.headings.push_str(part);
    }
}

/// Appends a space unless `text` is empty or ends with one.
pub fn push_space(text: &mut String) {
    if !text.is_empty() && !text.ends_with(' ') {
        text.push(' ');
    }
}

/// One tag at the start of `s` (which starts with `<`): its lowercase name, whether it
/// closes, and its length. Comments and doctypes come back with an empty name.
struct Tag<'a> {
    /// As written: compare ignoring ASCII case.
    name: &'a str,
    closing: bool,
    self_closing: bool,
    /// `<div role="tablist" hidden>`: the theme's tab buttons, which repeat the labels.
    hidden_tablist: bool,
    /// Bytes up to and including `>`; 0 when this `<` starts no tag.
    len: usize,
}

impl Tag<'_> {
    fn parse(s: &str) -> Tag<'_> {
        let none = |len| Tag { name: "", closing: false, self_closing: false, hidden_tablist: false, len };
        if let Some(rest) = s.strip_prefix("<!--") {
            return none(rest.find("-->").map_or(s.len(), |end| 4 + end + 3));
        }
        let bytes = s.as_bytes();
        let closing = bytes.get(1) == Some(&b'/');
        let name_start = if closing { 2 } else { 1 };
        let starts_tag = bytes.get(name_start).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'!' || *b == b'?');
        if !starts_tag {
            return none(0);
        }
        // Most tags are a bare name (`<p>`, `</li>`, `<code>`): read without looking for
        // quoted attribute values.
        let name_len = bytes[name_start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if bytes.get(name_start + name_len) == Some(&b'>') {
            let name = &s[name_start..name_start + name_len];
            return Tag { name, closing, self_closing: false, hidden_tablist: false, len: name_start + name_len + 1 };
        }
        let end = find_tag_end(s);
        // A tag that never ends runs to the end of `s`, whatever character is last.
        let inner_end = if bytes[end - 1] == b'>' { end - 1 } else { end };
        let inner = &s[name_start..inner_end.max(name_start)];
        let name_len =
            inner.bytes().position(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>').unwrap_or(inner.len());
        let name = &inner[..name_len];
        if name.starts_with(['!', '?']) {
            return none(end);
        }
        let attributes = &inner[name_len..];
        let hidden_tablist = !closing
            && name.eq_ignore_ascii_case("div")
            && attributes.contains("role=\"tablist\"")
            && attributes.contains("hidden");
        Tag { name, closing, self_closing: attributes.trim_end().ends_with('/'), hidden_tablist, len: end }
    }
}

/// The offset just past the `>` that ends the tag at the start of `s`, minding quoted
/// attribute values; the end of `s` when the tag never ends.
fn find_tag_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut at = 1;
    while let Some(found) = memchr::memchr3(b'>', b'"', b'\'', &bytes[at..]) {
        let found = at + found;
        match bytes[found] {
            b'>' => return found + 1,
            quote => match memchr::memchr(quote, &bytes[found + 1..]) {
                Some(close) => at = found + 1 + close + 1,
                None => return s.len(),
            },
        }
    }
    s.len()
}

/// Where the next `<` or `&` is from `from` on. Highlighted code has one every few
/// bytes, too close for a vectorized search to pay off: the first bytes are looked at
/// one by one.
fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    const NEAR: usize = 16;
    let near = bytes.len().min(from + NEAR);
    if let Some(at) = bytes[from..near].iter().position(|&b| b == b'<' || b == b'&') {
        return Some(from + at);
    }
    memchr::memchr2(b'<', b'&', &bytes[near..]).map(|at| near + at)
}

/// The character that the reference at the start of `s` (at its `&`) stands for, and
/// the reference's length: the references pulldown-cmark writes and the common named
/// ones raw HTML uses. Anything else is text as written.
fn reference(s: &str) -> Option<(char, usize)> {
    // A reference is short: its `;` is among the next few bytes.
    let semi = s.as_bytes().get(1..)?.iter().take(11).position(|&b| b == b';')?;
    entity(&s[1..=semi]).map(|c| (c, semi + 2))
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "times" => '×',
        "rarr" => '→',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_dropped_and_blocks_separated() {
        let body = extract(
            "<h2 id=\"a\">Why <code>containers</code>?</h2><p>Fast&amp;small</p><table><tr><td>a</td><td>b</td></tr></table>",
        );
        assert_eq!(body.text, "Why containers? Fast&small a b");
        assert_eq!(body.headings, "Why containers?\n");
    }

    #[test]
    fn inline_elements_do_not_split_words() {
        assert_eq!(extract("<p>容<em>器</em>化</p>").text, "容器化");
        assert_eq!(extract("<P>a<SPAN>b</Span>c<strong>d</strong><div>e</div>").text, "abcd e");
        assert!(!is_inline("spanner") && !is_inline("") && is_inline("SPAN"));
        let highlighted = extract("<h2><span class=\"a>\">Get</span>-Item</h2><template><span x>no</span></template>");
        assert_eq!((highlighted.text.as_str(), highlighted.headings.as_str()), ("Get-Item", "Get-Item\n"));
    }

    #[test]
    fn scripts_styles_comments_and_tab_buttons_are_skipped() {
        let html = "<script>var x = '<p>no</p>';</script><style>p{}</style><!-- note --><div class=\"pd-tabs\">\
                    <div role=\"tablist\" hidden><button>Linux</button></div><h4 class=\"pd-tab-label\">Linux</h4></div>";
        assert_eq!(extract(html).text, "Linux");
    }

    #[test]
    fn entities_are_decoded_and_unknown_ones_kept() {
        assert_eq!(extract("a &lt;b&gt; &#x5BB9;&#22120; &bogus; & c").text, "a <b> 容器 &bogus; & c");
    }

    #[test]
    fn wide_whitespace_is_every_whitespace_character_outside_ascii() {
        for c in '\u{80}'..=char::MAX {
            let text = format!("a{c}容");
            assert_eq!(has_wide_whitespace(&text), c.is_whitespace(), "{c:?}");
            if c.is_whitespace() {
                assert!(WIDE_WHITESPACE_LEADS.contains(&c.to_string().as_bytes()[0]), "{c:?}");
            }
            assert_eq!(utf8_width(c.to_string().as_bytes()[0]), c.len_utf8());
        }
        assert!(!has_wide_whitespace("plain ascii\t\n"));
    }

    #[test]
    fn broken_html_does_not_panic() {
        for html in
            ["<", "<p", "<!--", "a < b", "<a href=\"x>y", "</", "<é>", "&#xFFFFFFFF;", "&#;", "<x。", "<a 容", "</p容"]
        {
            let _ = extract(html);
        }
        assert_eq!(extract("a < b").text, "a < b");
        assert_eq!(extract("x<p>y").text, "x y");
    }

    /// Whitespace is collapsed as cutting the text at every whitespace character and
    /// joining the parts with single spaces would (`push_parts`), ends included.
    #[test]
    fn whitespace_runs_collapse_as_the_plain_split_cuts_them() {
        let pieces = ["", " ", "  ", "a", "ab", "\t", "\n", "\x0B", "x y", "\u{a0}", "é", "\u{3000}", "容"];
        let mut texts = vec![String::new()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    texts.push(format!("{a}{b}{c}"));
                }
            }
        }
        for before in ["", "w", "w "] {
            for text in &texts {
                for in_heading in [false, true] {
                    let start = || BodyText { text: before.into(), headings: before.into() };
                    let mut fast = start();
                    fast.text(text, in_heading);
                    let mut plain = start();
                    push_parts(&mut plain, text.split(char::is_whitespace), in_heading);
                    let expected = if in_heading { plain.headings } else { before.to_string() };
                    assert_eq!((fast.text, fast.headings), (plain.text, expected), "{before:?} + {text:?}");
                }
            }
        }
    }

    #[test]
    fn quoted_greater_than_signs_stay_inside_the_tag() {
        assert_eq!(extract("<img alt=\"a > b\">text").text, "text");
    }
}
