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
use rayon::prelude::*;

use crate::config::Config;
use crate::content::Locale;
use crate::markdown::{RenderedPage, page_dir_of};
use crate::output::{Bytes, Output};
use crate::render::{self, OutputPage, Source};
use index::{Document, PageRecord};
use tokenize::Tokenizer;

/// The folder of a locale's index, inside the locale's output folder.
pub const FOLDER: &str = "_search";

/// Writes every locale's index for the output pages `planned`, whose rendered bodies are
/// `bodies` (same order; `None` for generated listings).
pub fn write_indexes(
    config: &Config,
    planned: &[OutputPage<'_>],
    bodies: &[Option<&RenderedPage>],
    output: &dyn Output,
) -> Result<()> {
    let tokenizer = Tokenizer::new();
    let mut locales: Vec<&Locale> = planned.iter().map(|p| p.locale).collect();
    locales.sort();
    locales.dedup();
    // One locale's records are extracted (in parallel, page by page) while the previous
    // locale's are assembled and written (one thread): at most two locales' records are
    // in memory, and the assembly does not leave a core idle.
    let mut pending: Option<(&Locale, Vec<Document>)> = None;
    for locale in locales {
        let previous = pending.take();
        let (written, documents) = rayon::join(
            || previous.map_or(Ok(()), |(locale, documents)| write_locale(locale, documents, output)),
            || records(&tokenizer, config, planned, bodies, locale),
        );
        written?;
        pending = Some((locale, documents));
    }
    match pending {
        Some((locale, documents)) => write_locale(locale, documents, output),
        None => Ok(()),
    }
}

/// The records of the pages with their own content in `locale`, in page order.
fn records(
    tokenizer: &Tokenizer,
    config: &Config,
    planned: &[OutputPage<'_>],
    bodies: &[Option<&RenderedPage>],
    locale: &Locale,
) -> Vec<Document> {
    planned
        .par_iter()
        .zip(bodies)
        .filter(|(page, _)| page.locale == locale)
        .filter_map(|(page, body)| {
            let (Source::Own(source), Some(body)) = (page.source, body) else { return None };
            // A redirect page shows nothing of its own.
            if source.front_matter.text("redirect_url").is_some() {
                return None;
            }
            let title = render::page_title(page, Some(body), config);
            let record = PageRecord::new(tokenizer, &title, &body.html);
            Some(Document { url: page_dir_of(&page.key), record })
        })
        .collect()
}

fn write_locale(locale: &Locale, documents: Vec<Document>, output: &dyn Output) -> Result<()> {
    for (name, bytes) in index::assemble(documents) {
        output.write(&format!("{locale}/{FOLDER}/{name}"), Bytes::from(bytes))?;
    }
    Ok(())
}
