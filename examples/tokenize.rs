//! Measures the search tokenizer's memo on a folder of Markdown pages: every `.md` file
//! under it is rendered with pulldown-cmark (no DocFX extensions), its text taken as the
//! search index takes it (`search::text::extract`), and all the texts are cut into words
//! by a tokenizer without a memo and by one with it, one thread and then in parallel (a
//! fresh tokenizer each time, as a build makes one). The words must be the same; the
//! times, and how often the memo already knew a unit, are printed.
//!
//! Usage: `cargo build --release --example tokenize`, then `tokenize <folder> [runs]`,
//! e.g. a site's `content/zh-cn`.

use std::time::{Duration, Instant};
use std::{env, fs, process};

use polydoc::search::text;
use polydoc::search::tokenize::{MemoStats, Tokenizer};
use rayon::prelude::*;
use walkdir::WalkDir;

/// The allocator `polydoc` uses, so misses cost what they cost in a build.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = env::args().collect();
    let (folder, runs) = match args.as_slice() {
        [_, folder] => (folder, 5),
        [_, folder, runs] => (folder, runs.parse().unwrap_or(5)),
        _ => {
            eprintln!("usage: tokenize <folder> [runs]");
            process::exit(2);
        }
    };
    let texts = texts(folder);
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("{} pages, {:.1} MB of text", texts.len() / 2, bytes as f64 / 1e6);

    let plain = Tokenizer::with_memo_bytes(0);
    let memo = Tokenizer::new();
    for text in &texts {
        assert_eq!(memo.collect(text), plain.collect(text), "the memo changed the words of {text:?}");
    }
    println!("words: the same with and without the memo");

    measure("1 thread", runs, |tokenizer| texts.iter().map(|text| count(tokenizer, text)).sum());
    measure("parallel", runs, |tokenizer| texts.par_iter().map(|text| count(tokenizer, text)).sum());
}

/// Prints the median time of `cut` without a memo and with one, and the memo's use.
fn measure(name: &str, runs: usize, cut: impl Fn(&Tokenizer) -> usize) {
    let without = median(runs, || {
        cut(&Tokenizer::with_memo_bytes(0));
    });
    let mut stats = MemoStats::default();
    let with = median(runs, || {
        let tokenizer = Tokenizer::new();
        cut(&tokenizer);
        stats = tokenizer.memo_stats();
    });
    let percent = |part: u64, whole: u64| 100.0 * part as f64 / whole.max(1) as f64;
    println!(
        "{name}: without memo {:.1} ms, with {:.1} ms ({:.2}x); {} of {} units known ({:.1} %), {:.1} % of their bytes; {} units held in {:.1} MB",
        without.as_secs_f64() * 1e3,
        with.as_secs_f64() * 1e3,
        without.as_secs_f64() / with.as_secs_f64(),
        stats.hits,
        stats.hits + stats.misses,
        percent(stats.hits, stats.hits + stats.misses),
        percent(stats.hit_bytes, stats.hit_bytes + stats.miss_bytes),
        stats.entries,
        stats.bytes as f64 / 1e6
    );
}

/// The text and heading text of every page, as the index sees them.
fn texts(folder: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for entry in WalkDir::new(folder).sort_by_file_name().into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|extension| extension != "md") {
            continue;
        }
        let Ok(source) = fs::read_to_string(entry.path()) else { continue };
        let body =
            source.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")).map_or(&*source, |(_, body)| body);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(body));
        let body = text::extract(&html);
        texts.push(body.text);
        texts.push(body.headings);
    }
    texts
}

fn count(tokenizer: &Tokenizer, text: &str) -> usize {
    let mut words = 0;
    tokenizer.words(text, |_| words += 1);
    words
}

fn median(runs: usize, mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
