//! The `polydoc` binary: parses the command line, runs one command, prints diagnostics to
//! stderr and maps the outcome to the exit code of SPEC §1 (0 fine, 1 content errors,
//! 2 bad usage or an unusable site).

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;
use polydoc::check::{CheckOptions, CheckReport};
use polydoc::cli::{CheckFormat, Cli, Command};
use polydoc::config::Config;
use polydoc::content::Locale;

/// mimalloc instead of the system allocator: a build allocates millions of small strings
/// from every thread, where glibc's per-thread arenas cost time and keep memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use polydoc::diagnostic;
use polydoc::pipeline::{self, BuildOptions, BuildSummary};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // clap uses 0 for --help/--version and 2 for usage errors, as SPEC §1 wants.
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Build { root, out, base_url, strict, locales, timings, no_search } => {
            let mut config = Config::load(&root)?;
            if let Some(base_url) = base_url {
                config.base_url = if base_url.ends_with('/') { base_url } else { format!("{base_url}/") };
            }
            let out_dir = out.unwrap_or_else(|| root.join("public"));
            let locales = selected_locales(&config, &locales)?;
            let options = BuildOptions { out_dir: Some(out_dir.clone()), locales, progress: true, search: !no_search };
            let summary = pipeline::build(&config, &options)?;
            print_diagnostics(&config, &summary);
            print_summary(&summary, &out_dir);
            if timings {
                print_timings(&summary);
            }
            let failed = summary.errors() > 0 || (strict && summary.warnings() > 0);
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        #[cfg(feature = "serve")]
        Command::Serve { root, bind, port, open } => {
            polydoc::serve::serve(&polydoc::serve::ServeOptions { root, bind, port, open })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { root, format, external } => {
            let config = Config::load(&root)?;
            let options = CheckOptions { external, progress: format == CheckFormat::Text };
            let report = polydoc::check::check(&config, &options)?;
            match format {
                CheckFormat::Text => write_out(std::io::stderr(), &diagnostic::render_all(&report.diagnostics, &root)),
                CheckFormat::Json => write_out(std::io::stdout(), &diagnostic::to_json(&report.diagnostics)),
            }
            write_out(std::io::stderr(), &check_summary(&report));
            Ok(if report.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::L10n { command } => polydoc::l10n::command::run(command),
        Command::Init { dir } => {
            polydoc::init::init(&dir)?;
            eprintln!(
                "created a starter site in {}; build it with `polydoc build --root {}`",
                dir.display(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The `--locale` arguments as configured locales.
fn selected_locales(config: &Config, tags: &[String]) -> anyhow::Result<Vec<Locale>> {
    tags.iter()
        .map(|tag| {
            Locale::parse(tag)
                .filter(|locale| config.locale(locale).is_some())
                .ok_or_else(|| anyhow::anyhow!("--locale {tag}: not a locale of site.toml"))
        })
        .collect()
}

fn print_diagnostics(config: &Config, summary: &BuildSummary) {
    write_out(std::io::stderr(), &diagnostic::render_all(&summary.diagnostics, &config.root));
}

/// Writes to stdout or stderr, ignoring failures: a reader that went away (`| head`) is
/// no reason to panic.
fn write_out(mut stream: impl std::io::Write, text: &str) {
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

fn check_summary(report: &CheckReport) -> String {
    let external =
        if report.external_urls > 0 { format!(", {} external URLs", report.external_urls) } else { String::new() };
    format!(
        "checked {} pages{external}: {} errors, {} warnings in {:.2} s\n",
        report.pages,
        report.errors(),
        report.warnings(),
        report.elapsed.as_secs_f64()
    )
}

fn print_timings(summary: &BuildSummary) {
    let total = summary.elapsed.as_secs_f64().max(f64::EPSILON);
    eprintln!("phase           time    share");
    for (phase, duration) in &summary.timings {
        let seconds = duration.as_secs_f64();
        eprintln!("{phase:<12} {seconds:>7.3} s {:>6.1} %", seconds / total * 100.0);
    }
    let pages: usize = summary.pages.values().map(|(own, fallback)| own + fallback).sum();
    eprintln!(
        "rendered: {} page bodies, {} page templates, of {pages} pages (the rest from the cache)",
        summary.bodies_rendered,
        summary.rendered.len()
    );
    let (highlighted, reused) = summary.code_blocks;
    eprintln!("code blocks: {highlighted} highlighted, {reused} from the cache");
    if !summary.search_index.is_empty() {
        let locales: Vec<String> = summary
            .search_index
            .iter()
            .map(|(locale, (outcome, files))| match outcome {
                pipeline::IndexOutcome::Kept => format!("{locale} kept"),
                _ => format!("{locale} {} ({files} files written)", outcome.as_str()),
            })
            .collect();
        eprintln!("search index: {}", locales.join(", "));
    }
    if !summary.slowest.is_empty() {
        eprintln!("slowest pages (Markdown):");
        for (page, duration) in &summary.slowest {
            eprintln!("  {:>8.1} ms  {page}", duration.as_secs_f64() * 1000.0);
        }
    }
}

fn print_summary(summary: &BuildSummary, out_dir: &std::path::Path) {
    let locales: Vec<String> =
        summary
            .pages
            .iter()
            .map(|(locale, (own, fallback))| {
                if *fallback > 0 { format!("{locale} {own} (+{fallback} fallback)") } else { format!("{locale} {own}") }
            })
            .collect();
    let outcome = if summary.written { format!("wrote {}", out_dir.display()) } else { "nothing written".to_string() };
    let line = format!(
        "{}: {} pages [{}], {} warnings, {} errors in {:.2} s",
        outcome,
        summary.pages.values().map(|(own, fallback)| own + fallback).sum::<usize>(),
        locales.join(", "),
        summary.warnings(),
        summary.errors(),
        summary.elapsed.as_secs_f64()
    );
    if std::io::stderr().is_terminal() {
        eprintln!("\x1b[1m{line}\x1b[0m");
    } else {
        eprintln!("{line}");
    }
}
