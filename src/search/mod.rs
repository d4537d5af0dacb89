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

use std::collections::HashMap;
use std::sync::Arc;

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

/// Each page's record from the previous build with the fingerprint of the body it was
/// made from, so a rebuild (`serve`) re-extracts only the pages whose bodies changed. The
/// fingerprint covers the page's file, the config and everything else its body and title
/// come from.
#[derive(Default)]
pub struct RecordCache {
    records: HashMap<(Locale, String), (blake3::Hash, Arc<PageRecord>)>,
}

/// Writes every locale's index for the output pages `planned`, whose rendered bodies are
/// `rendered` (same order, with their fingerprints; `None` for generated listings).
pub fn write_indexes(
    config: &Config,
    planned: &[OutputPage<'_>],
    rendered: &[Option<(blake3::Hash, Arc<RenderedPage>)>],
    cache: &mut RecordCache,
    output: &dyn Output,
) -> Result<()> {
    let tokenizer = Tokenizer::new();
    let mut locales: Vec<&Locale> = planned.iter().map(|p| p.locale).collect();
    locales.sort();
    locales.dedup();
    let inputs = Inputs { tokenizer: &tokenizer, config, planned, rendered, cache: &*cache };
    // One locale's records are extracted (in parallel, page by page) while the previous
    // locale's are assembled and written (one thread), so the assembly does not leave a
    // core idle.
    let mut records: HashMap<(Locale, String), (blake3::Hash, Arc<PageRecord>)> = HashMap::new();
    let mut pending: Option<(&Locale, Vec<Document>)> = None;
    for locale in locales {
        let previous = pending.take();
        let (written, documents) = rayon::join(
            || previous.map_or(Ok(()), |(locale, documents)| write_locale(locale, documents, output)),
            || inputs.documents(locale),
        );
        written?;
        records.extend(documents.iter().map(|(key, fingerprint, document)| {
            ((locale.clone(), key.clone()), (*fingerprint, Arc::clone(&document.record)))
        }));
        pending = Some((locale, documents.into_iter().map(|(_, _, document)| document).collect()));
    }
    if let Some((locale, documents)) = pending {
        write_locale(locale, documents, output)?;
    }
    cache.records = records;
    Ok(())
}

/// What extracting a locale's records needs.
struct Inputs<'a, 'p> {
    tokenizer: &'a Tokenizer,
    config: &'a Config,
    planned: &'a [OutputPage<'p>],
    rendered: &'a [Option<(blake3::Hash, Arc<RenderedPage>)>],
    cache: &'a RecordCache,
}

impl Inputs<'_, '_> {
    /// The pages with their own content in `locale`, in page order, with their keys and
    /// body fingerprints; records come from the cache when the body is unchanged.
    fn documents(&self, locale: &Locale) -> Vec<(String, blake3::Hash, Document)> {
        self.planned
            .par_iter()
            .zip(self.rendered)
            .filter(|(page, _)| page.locale == locale)
            .filter_map(|(page, body)| {
                let (Source::Own(source), Some((fingerprint, body))) = (page.source, body) else { return None };
                // A redirect page shows nothing of its own.
                if source.front_matter.text("redirect_url").is_some() {
                    return None;
                }
                let cached = self.cache.records.get(&(locale.clone(), page.key.clone()));
                let record = match cached.filter(|(previous, _)| previous == fingerprint) {
                    Some((_, record)) => Arc::clone(record),
                    None => {
                        let title = render::page_title(page, Some(body), self.config);
                        Arc::new(PageRecord::new(self.tokenizer, &title, &body.html))
                    }
                };
                Some((page.key.clone(), *fingerprint, Document { url: page_dir_of(&page.key), record }))
            })
            .collect()
    }
}

fn write_locale(locale: &Locale, documents: Vec<Document>, output: &dyn Output) -> Result<()> {
    for (name, bytes) in index::assemble(documents) {
        output.write(&format!("{locale}/{FOLDER}/{name}"), Bytes::from(bytes))?;
    }
    Ok(())
}
