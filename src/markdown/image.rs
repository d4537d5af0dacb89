//! `:::image type="content|complex|icon" source="…" alt-text="…" lightbox="…" border="…"
//! link="…":::` as DocFX renders it: an `<img>` in a bordered block (inline in a line), a
//! link or lightbox around it, and for `complex` a long description — the Markdown up to
//! `:::image-end:::` — tied to the image by `aria-describedby`. URLs stay as written: the
//! links pass resolves them (locale fallback included) like any raw-HTML `src` and `href`.

use super::directives::{Attributes, Problem};
use crate::i18n::UiStrings;

const KNOWN: &[&str] = &["type", "source", "alt-text", "lightbox", "border", "link", "loc-scope"];

/// The HTML of one image directive, each tag that carries a URL in its own fragment.
pub(super) struct Image {
    pub(super) fragments: Vec<String>,
    /// Whether a description block was opened that `:::image-end:::` closes.
    pub(super) opens_description: bool,
}

pub(super) fn render(
    attributes: &Attributes,
    block: bool,
    description_id: &str,
    strings: &UiStrings,
    problems: &mut Vec<Problem>,
) -> Image {
    let kind = match attributes.get("type").map(str::to_ascii_lowercase).as_deref() {
        None | Some("content") => Kind::Content,
        Some("complex") => Kind::Complex,
        Some("icon") => Kind::Icon,
        Some(other) => {
            problems.push(Problem::new(
                "bad-directive",
                format!("`:::image` type `{other}` is not `content`, `complex` or `icon`; it is shown as `content`"),
            ));
            Kind::Content
        }
    };
    let unknown = attributes.unknown(KNOWN);
    if !unknown.is_empty() {
        problems
            .push(Problem::new("bad-directive", format!("`:::image` has unknown attributes: {}", unknown.join(", "))));
    }
    let opens_description = kind == Kind::Complex && block;
    let Some(source) = attributes.get("source").map(str::trim).filter(|s| !s.is_empty()) else {
        problems.push(Problem::new("bad-directive", "`:::image` needs a `source`"));
        let fragments = if opens_description { vec![description_start(description_id)] } else { Vec::new() };
        return Image { fragments, opens_description };
    };
    let alt = attributes.get("alt-text").map(str::trim).unwrap_or("");
    if alt.is_empty() && kind != Kind::Icon {
        problems.push(
            Problem::new("missing-alt", format!("`:::image` of `{source}` has no `alt-text`"))
                .with_help("describe the image for readers who cannot see it"),
        );
    }
    // DocFX draws a border around content and complex images unless told otherwise.
    let border = match attributes.get("border").map(|b| b.trim().to_ascii_lowercase()).as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => kind != Kind::Icon,
    };
    let wrapper = if block { "p" } else { "span" };
    let class = if border { "pd-image pd-image-border" } else { "pd-image" };
    let mut fragments = vec![format!("<{wrapper} class=\"{class}\">")];
    let link = attributes.get("link").map(str::trim).filter(|l| !l.is_empty());
    let lightbox = attributes.get("lightbox").map(str::trim).filter(|l| !l.is_empty());
    if let Some(link) = link {
        fragments.push(format!("<a href=\"{}\">", url_attribute(link)));
    } else if let Some(lightbox) = lightbox {
        // The theme's script opens the lightbox in place; without it the link opens the image.
        let mut close = String::new();
        let _ = pulldown_cmark_escape::escape_html(&mut close, strings.get("lightbox_close"));
        fragments.push(format!(
            "<a href=\"{}\" class=\"pd-lightbox\" data-close-label=\"{close}\">",
            url_attribute(lightbox)
        ));
    }
    let mut img = format!("<img src=\"{}\" alt=\"", url_attribute(source));
    let _ = pulldown_cmark_escape::escape_html(&mut img, alt);
    // An icon without alt text gets `alt=""`: that alone marks it decorative (HTML forbids
    // adding `role="presentation"` to it).
    img.push('"');
    if opens_description {
        img.push_str(&format!(" aria-describedby=\"{description_id}\""));
    }
    img.push('>');
    fragments.push(img);
    if link.is_some() || lightbox.is_some() {
        fragments.push("</a>".to_string());
    }
    fragments.push(format!("</{wrapper}>{}", if block { "\n" } else { "" }));
    if opens_description {
        fragments.push(description_start(description_id));
    }
    Image { fragments, opens_description }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Content,
    Complex,
    Icon,
}

/// The long description of a complex image: for screen readers, as DocFX does.
fn description_start(id: &str) -> String {
    format!("<div id=\"{id}\" class=\"pd-image-description pd-sr\">\n")
}

/// A URL as an attribute value: characters that would end or break the attribute are
/// percent-encoded, `&` becomes `&amp;`; everything else stays for the links pass.
pub(super) fn url_attribute(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '"' => out.push_str("%22"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            ' ' => out.push_str("%20"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(attributes: &[(&str, &str)], block: bool) -> (String, Vec<String>) {
        let attributes =
            Attributes::from_pairs(attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let mut problems = Vec::new();
        let image = render(&attributes, block, "d1", &UiStrings::default(), &mut problems);
        (image.fragments.concat(), problems.into_iter().map(|p| format!("{}: {}", p.code, p.message)).collect())
    }

    #[test]
    fn renders_each_image_type() {
        let (html, problems) = image(&[("source", "media/a b.png"), ("alt-text", "A \"quoted\" <b>")], true);
        assert_eq!(
            html,
            "<p class=\"pd-image pd-image-border\"><img src=\"media/a%20b.png\" alt=\"A &quot;quoted&quot; &lt;b&gt;\"></p>\n"
        );
        assert!(problems.is_empty());
        let (html, _) =
            image(&[("type", "complex"), ("source", "x.svg"), ("alt-text", "X"), ("lightbox", "big.svg")], true);
        assert_eq!(
            html,
            "<p class=\"pd-image pd-image-border\"><a href=\"big.svg\" class=\"pd-lightbox\" data-close-label=\"lightbox_close\"><img src=\"x.svg\" alt=\"X\" aria-describedby=\"d1\"></a></p>\n<div id=\"d1\" class=\"pd-image-description pd-sr\">\n"
        );
        let (html, problems) = image(&[("type", "icon"), ("source", "i.svg")], false);
        assert_eq!(html, "<span class=\"pd-image\"><img src=\"i.svg\" alt=\"\"></span>");
        assert!(problems.is_empty(), "icons need no alt text");
        let (html, _) =
            image(&[("source", "x.png"), ("alt-text", "X"), ("border", "false"), ("link", "a.md?x=1&y=2")], true);
        assert_eq!(html, "<p class=\"pd-image\"><a href=\"a.md?x=1&amp;y=2\"><img src=\"x.png\" alt=\"X\"></a></p>\n");
    }

    #[test]
    fn reports_what_is_missing() {
        let (_, problems) = image(&[("source", "x.png"), ("typo", "1")], true);
        assert_eq!(
            problems,
            [
                "bad-directive: `:::image` has unknown attributes: typo",
                "missing-alt: `:::image` of `x.png` has no `alt-text`"
            ]
        );
        let (html, problems) = image(&[("type", "complex"), ("alt-text", "X")], true);
        assert_eq!(
            html, "<div id=\"d1\" class=\"pd-image-description pd-sr\">\n",
            "the description still opens for `:::image-end:::`"
        );
        assert_eq!(problems, ["bad-directive: `:::image` needs a `source`"]);
    }
}
