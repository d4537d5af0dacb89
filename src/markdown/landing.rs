//! DocFX landing pages (`index.yml` starting `### YamlMime:Landing`): the YAML's `title`
//! and `summary` head the page, and each `landingContent` card becomes a card of link
//! lists, each list labelled by its `linkListType` in the reader's language. The links go
//! through the links pass like any Markdown link (resolved, rewritten, checked), each
//! placed at its `url:` line in the YAML for diagnostics. Content loading already turned
//! the `metadata` block into the page's front matter and reported malformed YAML.

use std::collections::HashSet;

use pulldown_cmark::Event;
use yaml_rust2::{Yaml, YamlLoader};

use super::source::{Positions, SourceText, Sources};
use super::{MarkdownContext, RenderedPage, Spanned, links, slugify};
use crate::content::Page;
use crate::diagnostic::Diagnostic;

/// Renders a landing page's cards.
pub(super) fn render(page: &Page, context: &MarkdownContext<'_>) -> RenderedPage {
    let mut rendered = RenderedPage::default();
    let sources = Sources::new(page);
    let text = SourceText::of_file(&sources, 0, None);
    let positions = Positions::new(sources, &text);
    let Ok(documents) = YamlLoader::load_from_str(page.body()) else { return rendered };
    let Some(landing) = documents.into_iter().next() else { return rendered };
    let mut writer = Writer { body: page.body(), searched: 0, events: Vec::new(), positions: &positions };
    let title = text_of(&landing["title"]);
    if title.is_empty() {
        writer.warn(&mut rendered.diagnostics, "a landing page needs a `title`", 0);
    } else {
        writer.html(format!("<h1>{}</h1>\n", escape(&title)), 0);
        rendered.first_heading = Some(title);
    }
    let summary = text_of(&landing["summary"]);
    if !summary.is_empty() {
        writer.html(format!("<p class=\"pd-landing-summary\">{}</p>\n", escape(&summary)), 0);
    }
    let cards = landing["landingContent"].as_vec().map(Vec::as_slice).unwrap_or_default();
    if !cards.is_empty() {
        writer.html("<ul class=\"pd-landing-cards\">\n".to_string(), 0);
    }
    let mut ids = HashSet::new();
    for card in cards {
        writer.card(card, context, &mut ids, &mut rendered.diagnostics);
    }
    if !cards.is_empty() {
        writer.html("</ul>\n".to_string(), page.body().len());
    }
    let mut events = writer.events;
    links::rewrite(&mut events, page, context, &positions, &mut rendered);
    pulldown_cmark::html::push_html(&mut rendered.html, events.into_iter().map(|(event, _)| event));
    rendered
}

/// Builds the page's HTML as events placed in the YAML text.
struct Writer<'w, 'a> {
    body: &'a str,
    /// How far the YAML text has been searched for values, so repeated values are found
    /// in order.
    searched: usize,
    events: Vec<Spanned<'a>>,
    positions: &'w Positions<'a>,
}

impl Writer<'_, '_> {
    fn card(
        &mut self,
        card: &Yaml,
        context: &MarkdownContext<'_>,
        ids: &mut HashSet<String>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let title = text_of(&card["title"]);
        let offset = self.find(&title);
        self.html("<li class=\"pd-landing-card\">\n".to_string(), offset);
        if title.is_empty() {
            self.warn(diagnostics, "a `landingContent` card needs a `title`", offset);
        } else {
            let id = unique(slugify(&title), ids);
            self.html(format!("<h2 id=\"{}\">{}</h2>\n", escape(&id), escape(&title)), offset);
        }
        for list in card["linkLists"].as_vec().map(Vec::as_slice).unwrap_or_default() {
            let kind = text_of(&list["linkListType"]);
            let offset = self.find(&kind);
            if !kind.is_empty() {
                let key = format!("landing_{}", kind.replace('-', "_"));
                let label = context.strings.get(&key);
                let label = if label == key { kind.replace('-', " ") } else { label.to_string() };
                self.html(
                    format!("<p class=\"pd-linklist-type\" data-type=\"{}\">{}</p>\n", escape(&kind), escape(&label)),
                    offset,
                );
            }
            self.html("<ul class=\"pd-linklist\">\n".to_string(), offset);
            for link in list["links"].as_vec().map(Vec::as_slice).unwrap_or_default() {
                self.link(link, diagnostics);
            }
            self.html("</ul>\n".to_string(), offset);
        }
        self.html("</li>\n".to_string(), offset);
    }

    fn link(&mut self, link: &Yaml, diagnostics: &mut Vec<Diagnostic>) {
        let (text, url) = (text_of(&link["text"]), text_of(&link["url"]));
        let text_offset = self.find(&text);
        let offset = self.find(&url);
        if text.is_empty() || url.is_empty() {
            self.warn(diagnostics, "a landing page link needs a `text` and a `url`", text_offset.min(offset));
            return;
        }
        let mut href = String::new();
        let _ = pulldown_cmark_escape::escape_href(&mut href, &url);
        // The `<a>` is its own event, so the links pass rewrites its `href`.
        self.html("<li>".to_string(), offset);
        self.html(format!("<a href=\"{href}\">"), offset);
        self.html(format!("{}</a></li>\n", escape(&text)), offset);
    }

    fn html(&mut self, html: String, offset: usize) {
        self.events.push((Event::Html(html.into()), offset..offset));
    }

    /// The offset of `value` in the YAML text after what was found before.
    fn find(&mut self, value: &str) -> usize {
        if value.is_empty() {
            return self.searched;
        }
        match self.body[self.searched..].find(value) {
            Some(index) => {
                self.searched += index;
                self.searched
            }
            None => self.searched,
        }
    }

    fn warn(&self, diagnostics: &mut Vec<Diagnostic>, message: &str, offset: usize) {
        let diagnostic = Diagnostic::warning("landing", self.positions.path, message)
            .with_help("see DocFX's YamlMime:Landing schema: title, summary, landingContent cards of linkLists");
        diagnostics.push(self.positions.diagnostic(diagnostic, offset));
    }
}

/// A scalar as text (numbers and booleans too); empty for anything else.
fn text_of(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(text) | Yaml::Real(text) => text.trim().to_string(),
        Yaml::Integer(number) => number.to_string(),
        Yaml::Boolean(value) => value.to_string(),
        _ => String::new(),
    }
}

fn unique(wanted: String, used: &mut HashSet<String>) -> String {
    let base = if wanted.is_empty() { "card".to_string() } else { wanted };
    let mut candidate = base.clone();
    let mut counter = 0;
    while !used.insert(candidate.clone()) {
        counter += 1;
        candidate = format!("{base}-{counter}");
    }
    candidate
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = pulldown_cmark_escape::escape_html_body_text(&mut out, text);
    out
}
