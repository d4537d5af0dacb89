//! polydoc: a static site generator for multilingual DocFX-style documentation.
//!
//! The pipeline, in module order: `config` (site.toml) → `content` (every locale's pages,
//! TOCs, assets) → `l10n` (translation status) → `markdown` (page bodies) → `render`
//! (templates, navigation) → `output` (the staged write). `pipeline` runs them in order for
//! `build` and `check`. See ARCHITECTURE.md for the map.

pub mod check;
pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod i18n;
pub mod init;
pub mod l10n;
pub mod markdown;
pub mod output;
pub mod pipeline;
pub mod render;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "serve")]
pub mod serve;
