//! Translation maintenance: for every locale other than the source, which pages are up to
//! date, stale, missing, orphaned or unstamped (read from the `ms.*` keys DocFX
//! localization already writes, SPEC §5), what changed in a stale page's source since, and
//! the stamp that marks a translation current.
//!
//! `status` (the rules), `sections` (section-level diffs), `stamp` (the byte-preserving
//! front-matter edit) and `report` (text, JSON, dashboard) are pure; `history` is the single
//! I/O edge to git; `changes` feeds the build's stale banners; `command` drives the
//! `polydoc l10n` subcommands.

mod changes;
pub mod command;
pub mod history;
pub mod report;
pub mod sections;
pub mod stamp;
mod status;

pub use changes::{ChangesMemo, SourceChanges, source_changes};
pub use status::{L10nReport, PageStatus, TranslationStatus, analyze};
