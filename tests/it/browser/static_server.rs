//! A static file server for a built site, for the browser tests: it serves the output
//! below a sub-path (so relative URLs are exercised) and records the bytes it sent for
//! each path, so a test can tell what a search query made the browser download.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::percent_decode_str;

/// A static file server for a built site, under a sub-path (`/some/docs/`), so tests also
/// prove that the output works below a server's root. It records the body bytes it sent
/// for every path.
pub(crate) struct StaticServer {
    port: u16,
    prefix: String,
    sent: Arc<Mutex<BTreeMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticServer {
    pub(crate) fn start(root: &Path, prefix: &str) -> StaticServer {
        assert!(prefix.starts_with('/') && prefix.ends_with('/'), "a prefix like /docs/");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let sent = Arc::new(Mutex::new(BTreeMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, prefix_owned) = (root.to_path_buf(), prefix.to_string());
        let (sent_log, stop_flag) = (Arc::clone(&sent), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (root, prefix, sent) = (root.clone(), prefix_owned.clone(), Arc::clone(&sent_log));
                std::thread::spawn(move || serve(stream, &root, &prefix, &sent));
            }
        });
        StaticServer { port, prefix: prefix.to_string(), sent, stop, thread: Some(thread) }
    }

    /// The URL of `path` (relative to the site's output root).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}{path}", self.port, self.prefix)
    }

    /// Body bytes sent per path (relative to the output root) since the last call.
    pub(crate) fn take_sent(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.sent.lock().expect("the log"))
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, root: &Path, prefix: &str, sent: &Mutex<BTreeMap<String, usize>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers are not needed, but must be read before answering.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode_str(path).decode_utf8_lossy().into_owned();
    let file = decoded
        .strip_prefix(prefix)
        .filter(|rel| !rel.split('/').any(|segment| segment == ".."))
        .map(|rel| (rel.to_string(), root.join(rel)))
        .map(
            |(rel, file)| {
                if file.is_dir() { (format!("{rel}index.html"), file.join("index.html")) } else { (rel, file) }
            },
        );
    let response = file.and_then(|(rel, file)| std::fs::read(&file).ok().map(|body| (rel, file, body)));
    let _ = match response {
        Some((rel, file, body)) => {
            *sent.lock().expect("the log").entry(rel).or_default() += body.len();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                content_type(&file),
                body.len()
            );
            stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body))
        }
        None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}

/// Module scripts and workers need a JavaScript type; the rest is for good measure.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
