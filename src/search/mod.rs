//! Search without a server: one index per locale, written into the output beside the
//! pages (`<locale>/_search/`), that `theme/static/search.js` queries in the browser.
//! `tokenize` cuts text into words (ICU4X's dictionaries for Chinese), `text` turns a
//! rendered body into text, `index` makes each page's record and assembles a locale's
//! files, `query` ranks pages for a query the way the script does (for tests and tools).
//!
//! Only pages with their own content in a locale are indexed there: a fallback page (the
//! source page shown where a translation is missing) is found in the source locale's
//! index, once, and a search in the translation finds only translated pages.

pub mod index;
pub mod query;
pub mod text;
pub mod tokenize;

use anyhow::Result;

use crate::config::Config;
use crate::content::Locale;
use crate::content::page::url_path;
use crate::markdown::RenderedPage;
use crate::output::{Deferred, FileSink, Output};
use crate::render::{self, OutputPage, Source};
use index::Document;
pub use index::{PageRecord, RecordSource};
use tokenize::Tokenizer;

/// The folder of a locale's index, inside the locale's output folder.
pub const FOLDER: &str = "_search";

/// The record `page` adds to its locale's index, made from its rendered `body`; `None`
/// for pages that are not indexed there: fallback copies, generated listings, redirects.
pub fn record(
    tokenizer: &Tokenizer,
    config: &Config,
    page: &OutputPage<'_>,
    body: &RenderedPage,
) -> Option<PageRecord> {
    let Source::Own(source) = page.source else { return None };
    // A redirect page shows nothing of its own.
    if source.facts().redirects {
        return None;
    }
    let title = render::page_title(page, Some(body), config);
    Some(PageRecord::new(tokenizer, &title, &body.html))
}

/// Writes `locale`'s index from the records of the output pages `planned` (same order;
/// `None` for pages not indexed).
/// The index is made when first asked for (`Output::write_deferred`): `build` makes it
/// now, `serve` when the browser first fetches it.
pub fn write_index(
    locale: &Locale,
    planned: &[OutputPage<'_>],
    records: Vec<Option<RecordSource>>,
    output: &dyn Output,
) -> Result<()> {
    let documents: Vec<Document> = planned
        .iter()
        .zip(records)
        .filter(|(page, _)| page.locale == locale)
        .filter_map(|(page, record)| Some(Document { url: url_path(&page.key), record: record? }))
        .collect();
    let make = move |sink: &FileSink<'_>| index::assemble_into(documents, sink);
    output.write_deferred(&format!("{locale}/{FOLDER}/"), Deferred::new(make))
}

/// Numbers below a bound that are the same every run (xorshift), for tests that draw
/// their inputs at random.
#[cfg(test)]
pub(crate) fn test_numbers(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |below| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    }
}
