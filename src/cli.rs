//! The command line, as clap derive types only; `main` turns them into calls.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "polydoc", version, about = "A fast static site generator for multilingual DocFX-style documentation")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into a folder any static web host can serve.
    Build {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site [default: ROOT/public].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override `base_url` from site.toml.
        #[arg(long)]
        base_url: Option<String>,
        /// Treat warnings (broken links, …) as errors.
        #[arg(long)]
        strict: bool,
        /// Build only this locale (repeatable); all configured locales by default.
        #[arg(long = "locale", value_name = "L")]
        locales: Vec<String>,
        /// Print the wall time of each build phase.
        #[arg(long)]
        timings: bool,
        /// Write no search index (the search box then finds nothing).
        #[arg(long)]
        no_search: bool,
    },
    /// Preview the site: build it into memory, serve every locale, rebuild on every change
    /// and reload the browser.
    #[cfg(feature = "serve")]
    Serve {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The address to listen on; loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Open the site in a browser.
        #[arg(long)]
        open: bool,
    },
    /// Report every problem of the site (links, anchors, TOC entries, front matter, …)
    /// without writing anything. Exit 1 when there are errors.
    Check {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// `text`: rustc-like, to stderr; `json`: an array of problems, to stdout.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Also fetch every http(s) link (answers are cached for a day in ROOT/.polydoc-cache/).
        #[arg(long)]
        external: bool,
    },
    /// Translation maintenance: which pages are out of date, what changed, mark them current.
    L10n {
        #[command(subcommand)]
        command: L10nCommand,
    },
    /// Write a small starter site into DIR.
    Init {
        /// The folder to create (must be empty or missing).
        dir: PathBuf,
    },
}

/// How `check` prints its problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

/// `polydoc l10n …` (SPEC §5). These read the content but check no links.
#[derive(Debug, Subcommand)]
pub enum L10nCommand {
    /// Every page's translation status per locale: up-to-date, stale, missing, orphaned, unstamped.
    Status {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Only this locale; every translation locale by default.
        #[arg(long, value_name = "L")]
        locale: Option<String>,
        #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
        format: StatusFormat,
        /// Exit with 1 when a page has this status (repeatable, or comma-separated).
        #[arg(long, value_enum, value_delimiter = ',')]
        fail_on: Vec<FailOn>,
    },
    /// What changed in the source, section by section, since the translation was made (needs git).
    Diff {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The translation's locale.
        #[arg(long, value_name = "L")]
        locale: String,
        /// A path under the locale folder (`about/containers-vs-vm.md`) or a path to the file.
        page: String,
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Mark translations current: write ms.openlocfilehash, ms.sourcegitcommit and ms.lasthandoff.
    Stamp {
        /// The site's folder (holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The translations' locale.
        #[arg(long, value_name = "L")]
        locale: String,
        /// Paths under the locale folder (`about/containers-vs-vm.md`) or paths to the files.
        #[arg(required = true)]
        pages: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Stale,
    Missing,
}
