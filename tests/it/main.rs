//! polydoc's integration tests: one binary (as in ripgrep and mdBook) that runs the real
//! `polydoc` executable on copies of the example site, of small fixture sites under
//! `tests/fixtures/`, and of the real-world corpus in `../shared/corpus/`.

mod browser;
mod build;
mod cache;
mod check;
mod corpus;
mod docfx;
mod e2e;
mod fixtures;
mod html_validity;
mod l10n;
#[cfg(feature = "search")]
mod search;
mod serve;
mod support;
