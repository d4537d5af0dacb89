//! Measures what the search index costs per page, on the pages of a built site: every
//! `index.html` under a folder gives its body (the `<article class="pd-content">` the
//! theme puts it in), and each body's record is made (`PageRecord::new`, one thread, as
//! many times as asked), then encoded and read back as the build cache stores it
//! (postcard, lz4), and the records are assembled into an index (in memory, on all
//! cores, as a build does). Prints the median time of each, per page.
//!
//! Usage: `cargo build --release --example records`, then `records <folder> [runs]`,
//! e.g. a built site's `public/en-us`.

use std::sync::Arc;
use std::time::{Duration, Instant};
use std::{env, fs, process};

use polydoc::search::PageRecord;
use polydoc::search::index::{Document, assemble};
use polydoc::search::tokenize::Tokenizer;
use walkdir::WalkDir;

/// The allocator `polydoc` uses, so allocations cost what they cost in a build.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = env::args().collect();
    let (folder, runs) = match args.as_slice() {
        [_, folder] => (folder, 5),
        [_, folder, runs] => (folder, runs.parse().unwrap_or(5)),
        _ => {
            eprintln!("usage: records <folder> [runs]");
            process::exit(2);
        }
    };
    let pages = bodies(folder);
    let bytes: usize = pages.iter().map(|(_, body)| body.len()).sum();
    println!("{} pages, {:.1} MB of body HTML", pages.len(), bytes as f64 / 1e6);
    if pages.is_empty() {
        return;
    }
    let per_page = |time: Duration| time.as_secs_f64() * 1e6 / pages.len() as f64;

    let tokenizer = Tokenizer::new();
    let mut records = Vec::new();
    let made = median(runs, || {
        records = pages.iter().map(|(title, body)| PageRecord::new(&tokenizer, title, body)).collect();
    });
    let mut encoded = Vec::new();
    let encoding = median(runs, || {
        encoded = records
            .iter()
            .map(|record| lz4_flex::compress_prepend_size(&postcard::to_stdvec(record).expect("a record encodes")))
            .collect();
    });
    let reading = median(runs, || {
        for bytes in &encoded {
            let plain = lz4_flex::decompress_size_prepended(bytes).expect("what was just compressed");
            let record: PageRecord = postcard::from_bytes(&plain).expect("what was just encoded");
            std::hint::black_box(record);
        }
    });
    let shared: Vec<Arc<PageRecord>> = records.drain(..).map(Arc::new).collect();
    let mut files = 0;
    let assembling = median(runs, || {
        let documents = shared
            .iter()
            .enumerate()
            .map(|(i, record)| Document::new(format!("page-{i}/"), Arc::clone(record)))
            .collect();
        files = assemble(documents).len();
    });
    let stored: usize = encoded.iter().map(Vec::len).sum();
    println!(
        "record {:.1} us a page, encoded {:.1} us ({:.0} bytes), read back {:.1} us",
        per_page(made),
        per_page(encoding),
        stored as f64 / pages.len() as f64,
        per_page(reading)
    );
    println!("index assembled in {:.1} us a page ({files} files)", per_page(assembling));
}

/// Each page's title (its `<h1>`, near enough) and body HTML.
fn bodies(folder: &str) -> Vec<(String, String)> {
    const ARTICLE: &str = "<article class=\"pd-content\">";
    let mut bodies = Vec::new();
    for entry in WalkDir::new(folder).sort_by_file_name().into_iter().filter_map(Result::ok) {
        if entry.file_name() != "index.html" {
            continue;
        }
        let Ok(page) = fs::read_to_string(entry.path()) else { continue };
        let Some(body) = page.split_once(ARTICLE).and_then(|(_, rest)| rest.split_once("</article>")) else {
            continue;
        };
        let title = body
            .0
            .split_once("<h1")
            .and_then(|(_, h1)| h1.split_once('>'))
            .map_or("", |(_, rest)| rest.split_once("</h1>").map_or("", |(title, _)| title));
        bodies.push((title.to_string(), body.0.to_string()));
    }
    bodies
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
