//! polydoc's integration tests: one binary (as in ripgrep and mdBook) that runs the real
//! `polydoc` executable on copies of the example site, of small fixture sites under
//! `tests/fixtures/`, and of the real-world corpus in `../shared/corpus/`.

mod build;
mod corpus;
mod fixtures;
mod html_validity;
mod l10n;
mod support;
