//! External link checks against a small HTTP server on 127.0.0.1, never the network.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::*;

/// What the test server saw.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    flaky_calls: AtomicUsize,
}

/// Serves on an ephemeral port of 127.0.0.1: `/ok` 200, `/missing` 404, `/forbidden` 403,
/// `/head-refused` 405 to HEAD and 200 to GET, `/flaky` 503 to the first two tries (HEAD
/// then GET each) and 200 after, `/slow` 200
/// after two seconds, `/busy/*` 200 after 100 ms. Returns the base URL.
fn serve() -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let server_seen = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = Arc::clone(&server_seen);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let mut parts = request_line.split_whitespace();
                let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
                seen.requests.lock().unwrap().push(format!("{method} {path}"));
                let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most_in_flight.fetch_max(now, Ordering::SeqCst);
                let status = match path.as_str() {
                    "/ok" => 200,
                    "/missing" => 404,
                    "/forbidden" => 403,
                    "/head-refused" if method == "HEAD" => 405,
                    "/head-refused" => 200,
                    "/flaky" if seen.flaky_calls.fetch_add(1, Ordering::SeqCst) < 4 => 503,
                    "/flaky" => 200,
                    "/slow" => {
                        std::thread::sleep(Duration::from_secs(2));
                        200
                    }
                    busy if busy.starts_with("/busy/") => {
                        std::thread::sleep(Duration::from_millis(100));
                        200
                    }
                    _ => 404,
                };
                seen.in_flight.fetch_sub(1, Ordering::SeqCst);
                let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            });
        }
    });
    (base, seen)
}

fn settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(5),
        retries: 2,
        retry_delay: Duration::from_millis(10),
        per_host: 2,
        workers: 8,
        cache: None,
        cache_ttl: Duration::from_secs(3600),
    }
}

fn link(url: &str, line: usize) -> ExternalLink {
    ExternalLink { url: url.to_string(), path: "content/en-us/a.md".to_string(), line, column: 3 }
}

fn found(outcome: &Outcome) -> Vec<(&str, usize, String)> {
    outcome.diagnostics.iter().map(|d| (d.code, d.line, d.message.clone())).collect()
}

#[test]
fn reports_missing_pages_at_every_place_and_fetches_each_url_once() {
    let (base, seen) = serve();
    let links = [
        link(&format!("{base}/ok"), 1),
        link(&format!("{base}/missing"), 2),
        link(&format!("{base}/missing#part"), 3),
        link(&format!("{base}/head-refused"), 4),
        link(&format!("{base}/forbidden"), 5),
    ];
    let outcome = check(&links, &Settings { retries: 0, ..settings() });
    assert_eq!(
        found(&outcome),
        [
            ("broken-link", 2, format!("`{base}/missing` answers 404 Not Found")),
            ("broken-link", 3, format!("`{base}/missing#part` answers 404 Not Found")),
            ("external-link", 5, format!("`{base}/forbidden` could not be checked: answers 403 Forbidden")),
        ]
    );
    assert_eq!((outcome.urls, outcome.fetched), (4, 4));
    let requests = seen.requests.lock().unwrap();
    assert_eq!(requests.iter().filter(|r| r.ends_with("/missing")).count(), 2, "HEAD, then GET: {requests:?}");
    assert!(requests.contains(&"GET /head-refused".to_string()), "{requests:?}");
}

#[test]
fn retries_passing_failures_with_backoff() {
    let (base, seen) = serve();
    let url = format!("{base}/flaky");
    let outcome = check(&[link(&url, 1)], &settings());
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    assert_eq!(seen.flaky_calls.load(Ordering::SeqCst), 5, "HEAD and GET twice, then HEAD");

    let (base, _) = serve();
    let outcome = check(&[link(&format!("{base}/flaky"), 1)], &Settings { retries: 1, ..settings() });
    assert_eq!(
        found(&outcome),
        [("external-link", 1, format!("`{base}/flaky` could not be checked: answers 503 Service Unavailable"))]
    );
    assert_eq!(outcome.diagnostics[0].help.as_deref(), Some("polydoc tried 2 times; check the link by hand"));
}

#[test]
fn a_slow_server_times_out() {
    let (base, _) = serve();
    let started = Instant::now();
    let outcome = check(
        &[link(&format!("{base}/slow"), 7)],
        &Settings { timeout: Duration::from_millis(300), retries: 0, ..settings() },
    );
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(found(&outcome), [("external-link", 7, format!("`{base}/slow` could not be checked: timed out"))]);
}

#[test]
fn a_closed_port_and_a_bad_url_are_reported() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", closed.local_addr().unwrap());
    drop(closed);
    let outcome = check(&[link(&url, 1), link("http://exa mple.org/", 2)], &Settings { retries: 0, ..settings() });
    let codes: Vec<(&str, usize)> = outcome.diagnostics.iter().map(|d| (d.code, d.line)).collect();
    assert_eq!(codes, [("external-link", 1), ("broken-link", 2)], "{:?}", outcome.diagnostics);
}

#[test]
fn a_host_that_cannot_be_reached_is_tried_once_for_all_its_urls() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let links: Vec<ExternalLink> = (0..20).map(|i| link(&format!("{base}/page/{i}"), i + 1)).collect();
    let settings = Settings { retries: 2, retry_delay: Duration::from_millis(200), workers: 1, ..settings() };
    let started = Instant::now();
    let outcome = check(&links, &settings);
    // One URL with its two retries (200 + 400 ms), not twenty.
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(outcome.diagnostics.len(), 20);
    assert!(outcome.diagnostics.iter().all(|d| d.code == "external-link"), "{:?}", outcome.diagnostics);
}

#[test]
fn at_most_per_host_requests_are_in_flight_to_one_host() {
    let (base, seen) = serve();
    let links: Vec<ExternalLink> = (0..8).map(|i| link(&format!("{base}/busy/{i}"), i + 1)).collect();
    let started = Instant::now();
    let outcome = check(&links, &settings());
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    assert_eq!(seen.most_in_flight.load(Ordering::SeqCst), 2);
    // Two at a time, 100 ms each: about 400 ms, far less than one at a time.
    assert!(started.elapsed() < Duration::from_millis(800), "{:?}", started.elapsed());
}

#[test]
fn good_answers_are_cached_until_they_expire() {
    let (base, seen) = serve();
    let folder = tempfile::tempdir().unwrap();
    let cache = folder.path().join(CACHE_FILE);
    let cached = Settings { cache: Some(cache.clone()), retries: 0, ..settings() };
    let links = [link(&format!("{base}/ok"), 1), link(&format!("{base}/missing"), 2)];

    let first = check(&links, &cached);
    assert_eq!((first.urls, first.fetched, first.diagnostics.len()), (2, 2, 1));
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    assert_eq!(stored["links"][format!("{base}/ok")]["status"], 200);
    assert!(stored["links"].get(format!("{base}/missing")).is_none(), "failures are not remembered");

    let second = check(&links, &cached);
    assert_eq!((second.fetched, second.diagnostics.len()), (1, 1), "only the failing URL is asked again");
    let expired = check(&links, &Settings { cache_ttl: Duration::ZERO, ..cached.clone() });
    assert_eq!(expired.fetched, 2);
    assert_eq!(seen.requests.lock().unwrap().iter().filter(|r| r.ends_with(" /ok")).count(), 2);

    std::fs::write(&cache, "not json").unwrap();
    assert_eq!(check(&links, &cached).fetched, 2, "a damaged cache is ignored");
}

#[test]
fn hosts_are_lowercase_authorities() {
    assert_eq!(host_of("https://Docs.Microsoft.com/a/b?c#d"), "docs.microsoft.com");
    assert_eq!(host_of("http://user@127.0.0.1:8080/x"), "127.0.0.1:8080");
    assert_eq!(without_fragment("https://x.org/a#b"), "https://x.org/a");
}
