//! Translation status: for every locale other than the source, which pages are up to date,
//! stale, missing, orphaned or unstamped, and which are machine-translated — read from the
//! `ms.*` keys DocFX localization already writes (SPEC §5). Pure: it only reads the `Site`.

mod status;

pub use status::{L10nReport, PageStatus, TranslationStatus, analyze, parse_us_date};
