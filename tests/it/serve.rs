//! `polydoc serve` as a user meets it: a real server process on a free port, real file
//! edits, plain HTTP requests over TCP (so request paths reach the server exactly as
//! written, `..` included), and the server-sent event stream browsers listen to.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::TestSite;

/// A running `polydoc serve`, killed when dropped. Its stderr lines are collected as they
/// come, so tests can wait for log lines.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    lines: mpsc::Receiver<String>,
    pub(crate) log: Vec<String>,
}

impl Server {
    pub(crate) fn start(root: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_polydoc"))
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start polydoc serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, port: 0, lines, log: Vec::new() };
        let line = server.wait_for_line(|l| l.starts_with("serving "), Duration::from_secs(60));
        let address = line.rsplit("http://").next().expect("an address").split('/').next().expect("host:port");
        server.port = address.rsplit(':').next().expect("a port").parse().expect("a port number");
        server
    }

    /// Waits for a log line matching `wanted` (seen before or after this call).
    pub(crate) fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool, timeout: Duration) -> String {
        if let Some(line) = self.log.iter().find(|l| wanted(l)) {
            return line.clone();
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no matching log line within {timeout:?}; log:\n{}", self.log.join("\n"));
    }

    /// Forgets the log so far: later waits only see what comes next.
    pub(crate) fn clear_log(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.clear();
    }

    pub(crate) fn get(&self, path: &str) -> Response {
        self.request(path, &[])
    }

    /// A GET request with the path sent exactly as given.
    pub(crate) fn request(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        Response::parse(&raw)
    }

    /// Opens the event stream and returns a receiver of its `data:` payloads.
    pub(crate) fn events(&self) -> mpsc::Receiver<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .write_all(b"GET /__polydoc/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
            .expect("send");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(data) = line.strip_prefix("data:")
                    && sender.send(data.trim().to_string()).is_err()
                {
                    break;
                }
            }
        });
        // Give the server a moment to register the subscriber before the test edits files.
        std::thread::sleep(Duration::from_millis(200));
        receiver
    }

    /// Polls `path` until its body satisfies `wanted`; returns how long that took.
    pub(crate) fn wait_for_body(&self, path: &str, wanted: impl Fn(&str) -> bool, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let response = self.get(path);
            if wanted(&response.body) {
                return started.elapsed();
            }
            assert!(started.elapsed() < timeout, "{path} did not change within {timeout:?}; body:\n{}", response.body);
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
            .collect();
        Response { status, headers, body: body.to_string() }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn wait_for_event(events: &mpsc::Receiver<String>, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(event) if wanted(&event) => return event,
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    panic!("no matching event within 10 s");
}

const SEED: &str = "content/zh-cn/about/containers-vs-vm.md";
const SEED_URL: &str = "/zh-cn/about/containers-vs-vm/";

#[test]
fn an_edit_is_served_within_two_seconds_with_a_reload_event() {
    let site = TestSite::example();
    let mut server = Server::start(site.root());
    let before = server.get(SEED_URL);
    assert_eq!(before.status, 200);
    assert!(before.body.contains("/__polydoc/livereload.js"), "the live-reload script is injected");
    let events = server.events();
    server.clear_log();

    site.edit(SEED, "下表显示了这些互补技术的一些异同。", "下表显示了这些互补技术的一些异同（已编辑）。");
    let took = server.wait_for_body(SEED_URL, |body| body.contains("（已编辑）"), Duration::from_secs(2));
    let event = wait_for_event(&events, |e| e.contains("\"reload\""));
    assert!(event.contains("zh-cn/about/containers-vs-vm/index.html"), "{event}");
    assert!(!event.contains("en-us/about/containers-vs-vm"), "only changed pages are named: {event}");
    let line = server.wait_for_line(|l| l.starts_with("rebuilt in"), Duration::from_secs(5));
    assert!(line.contains("1 pages re-rendered"), "{line}");
    server.wait_for_line(|l| l.trim() == "re-rendered zh-cn/about/containers-vs-vm/", Duration::from_secs(1));
    eprintln!("edit served after {took:?}");
}

#[test]
fn broken_front_matter_shows_the_overlay_and_keeps_the_last_good_page() {
    let site = TestSite::example();
    let server = Server::start(site.root());
    let events = server.events();
    let original = site.read(SEED);

    site.write(SEED, original.replacen("title: 容器与虚拟机", "title: [容器与虚拟机", 1));
    let event = wait_for_event(&events, |e| e.contains("\"errors\""));
    assert!(
        event.contains("content/zh-cn/about/containers-vs-vm.md:3:12: error[front-matter]"),
        "the overlay names file and line: {event}"
    );
    let page = server.get(SEED_URL);
    assert_eq!(page.status, 200, "the last good page stays served");
    assert!(page.body.contains("<h1 id=\"containers-vs-virtual-machines\">容器与虚拟机</h1>"));

    // A browser that connects now learns about the errors at once.
    let late = server.events();
    let current = wait_for_event(&late, |_| true);
    assert!(current.contains("\"errors\""), "{current}");

    site.write(SEED, &original);
    let event = wait_for_event(&events, |e| e.contains("\"reload\""));
    assert!(event.contains("\"paths\""), "a good build clears the overlay: {event}");
}

#[test]
fn the_root_redirects_to_the_best_locale() {
    let site = TestSite::example();
    let server = Server::start(site.root());
    let cases = [
        ("zh-CN,zh;q=0.9,en;q=0.8", "/zh-cn/"),
        ("zh", "/zh-cn/"),
        ("zh-Hans", "/zh-cn/"),
        ("en-GB", "/en-us/"),
        ("fr-FR", "/en-us/"),
    ];
    for (accept, location) in cases {
        let response = server.request("/", &[("Accept-Language", accept)]);
        assert_eq!(response.status, 302, "{accept}");
        assert_eq!(response.header("location"), Some(location), "{accept}");
        assert_eq!(response.header("vary"), Some("Accept-Language"));
    }
    let folder = server.get("/zh-cn/about");
    assert_eq!((folder.status, folder.header("location")), (301, Some("/zh-cn/about/")));
}

#[test]
fn no_request_path_reaches_a_file_outside_the_output() {
    let site = TestSite::example();
    // A secret beside the site, and a symlink in the content that points at it.
    let secret_dir = tempfile::tempdir().expect("temp dir");
    let secret = secret_dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET").expect("write secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, site.path("content/en-us/about/media/leak.txt")).expect("symlink");
    site.write("secret-at-root.txt", "TOP-SECRET");
    let server = Server::start(site.root());

    let refused = [
        "/../secret-at-root.txt",
        "/%2e%2e/secret-at-root.txt",
        "/en-us/%2e%2e/%2e%2e/secret-at-root.txt",
        "/en-us/..%2f..%2fsecret-at-root.txt",
        "/en-us\\..\\..\\secret-at-root.txt",
        "/en-us/%5c..%5c..%5csecret-at-root.txt",
        "/%00",
    ];
    for path in refused {
        let response = server.get(path);
        assert_eq!(response.status, 400, "{path}");
        assert!(!response.body.contains("TOP-SECRET"), "{path}");
    }
    let missing = [
        "/etc/passwd",
        "//etc/passwd",
        "/site.toml",
        "/secret-at-root.txt",
        "/en-us/about/media/leak.txt",
        "/zh-cn/no-such-page/",
    ];
    for path in missing {
        let response = server.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.body.contains("TOP-SECRET") && !response.body.contains("root:x:0"), "{path}");
    }
    let zh_missing = server.get("/zh-cn/no-such-page/");
    assert!(zh_missing.body.contains("lang=\"zh-CN\""), "the locale's own 404 page");
}

/// The generated 1,000-page corpus (`../shared/bench/gen_corpus.py`), or `None` when
/// Python is missing and the run does not insist (`POLYDOC_E2E` makes it insist).
fn generated_corpus(pages: usize) -> Option<TestSite> {
    let site = TestSite::empty();
    let generator = Path::new(crate::support::REPO_ROOT).join("../shared/bench/gen_corpus.py");
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--pages", &pages.to_string(), "--out"])
        .arg(site.root())
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Some(site),
        _ if std::env::var_os("POLYDOC_E2E").is_some() => panic!("cannot run {}", generator.display()),
        _ => {
            eprintln!("skipped: python3 is needed to generate the corpus");
            None
        }
    }
}

/// The pages one rebuild re-rendered, from the server's log.
fn rerendered_after(server: &mut Server) -> Vec<String> {
    let summary = server.wait_for_line(|l| l.starts_with("rebuilt in"), Duration::from_secs(30));
    let count: usize =
        summary.split(": ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).expect("a count");
    let mut pages: Vec<String> = Vec::new();
    while pages.len() < count {
        let line = server.wait_for_line(
            |l| l.starts_with("  re-rendered ") && !pages.iter().any(|p| l.ends_with(p.as_str())),
            Duration::from_secs(5),
        );
        pages.push(line.trim_start_matches("  re-rendered ").to_string());
    }
    pages.sort();
    pages
}

#[test]
fn rebuilds_rerender_only_the_pages_an_edit_shows_in() {
    let Some(site) = generated_corpus(1000) else { return };
    // An English page with no Chinese translation: zh-cn shows it as a fallback copy.
    let page = "cost-management/concepts/back-up-a-nat-gateway.md";
    assert!(!site.path(&format!("content/zh-cn/{page}")).exists());
    let source = format!("content/en-us/{page}");
    let mut server = Server::start(site.root());
    server.clear_log();

    // A paragraph: exactly that page and its fallback copy.
    let text = site.read(&source);
    let body = text.splitn(3, "---\n").nth(2).expect("front matter then a body");
    let paragraph =
        body.lines().find(|l| l.len() > 80 && !l.starts_with(['#', '-', '|', '`', '>'])).expect("a paragraph");
    site.edit(&source, paragraph, &format!("{paragraph} An edited sentence."));
    let rendered = rerendered_after(&mut server);
    assert_eq!(
        rendered,
        [
            "en-us/cost-management/concepts/back-up-a-nat-gateway/",
            "zh-cn/cost-management/concepts/back-up-a-nat-gateway/"
        ]
    );
    server.clear_log();

    // A title: exactly the pages whose HTML shows it (its own, sidebars, pagers, listings).
    let title_line = site.read(&source).lines().find(|l| l.starts_with("title:")).expect("a title").to_string();
    site.edit(&source, &title_line, "title: Back up a NAT gateway, retitled");
    let rendered = rerendered_after(&mut server);
    let built = TestSite::empty();
    let run = crate::support::run_polydoc(site.root(), &["build", "--out", built.root().to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut showing: Vec<String> = crate::support::html_files(built.root())
        .into_iter()
        .filter(|(_, html)| html.contains("Back up a NAT gateway, retitled"))
        .map(|(path, _)| path.trim_end_matches("index.html").to_string())
        .collect();
    showing.sort();
    assert!(showing.len() > 2 && showing.len() < 100, "{showing:?}");
    assert_eq!(rendered, showing, "re-rendered pages must be exactly those showing the new title");
}

#[test]
fn a_browser_reloads_by_itself_when_the_page_is_edited() {
    let Some(browser) = crate::browser::Browser::start(1280, 900) else { return };
    let site = TestSite::example();
    let server = Server::start(site.root());
    browser.goto(&format!("http://127.0.0.1:{}{SEED_URL}", server.port));
    browser.wait_until("return document.title.includes('容器与虚拟机')", Duration::from_secs(10));
    // A marker that only survives if the page is not reloaded.
    browser.eval("window.polydocMarker = 'before the edit'; return null;");
    std::thread::sleep(Duration::from_millis(300)); // Let the event stream connect.

    site.edit(SEED, "下表显示了这些互补技术的一些异同。", "下表显示了这些互补技术的一些异同（浏览器已重新加载）。");
    let took = browser.wait_until(
        "return document.body.innerText.includes('浏览器已重新加载') && window.polydocMarker === undefined",
        Duration::from_secs(5),
    );
    eprintln!("the browser showed the edit after {took:?}");
}

#[test]
fn editing_an_include_or_a_snippet_source_rebuilds_the_pages_that_use_it() {
    let site = TestSite::fixture("docfx/snippets");
    let server = Server::start(site.root());
    site.edit("content/en-us/samples/setup.ps1", "PSGallery", "EditedGallery");
    server.wait_for_body("/en-us/", |body| body.contains("EditedGallery"), Duration::from_secs(5));
    drop(server);

    let site = TestSite::fixture("docfx/includes");
    let server = Server::start(site.root());
    let include = std::fs::read_to_string(site.path("content/en-us/includes/note.md")).expect("an include");
    site.write("content/en-us/includes/note.md", format!("{include}\nAn edited include line.\n"));
    server.wait_for_body("/en-us/", |body| body.contains("An edited include line."), Duration::from_secs(5));
}

#[test]
fn pages_added_renamed_and_removed_while_serving_are_served_or_gone() {
    let site = TestSite::example();
    let mut server = Server::start(site.root());
    let page = "---\ntitle: A page added while serving\n---\n\n# Added while serving\n\nNew text.\n";

    site.write("content/en-us/about/added.md", page);
    server.wait_for_body("/en-us/about/added/", |body| body.contains("Added while serving"), Duration::from_secs(5));
    let fallback = server.get("/zh-cn/about/added/");
    assert_eq!(fallback.status, 200, "the new page is a fallback in zh-cn");

    // A page in a folder that did not exist.
    site.write("content/en-us/new-folder/inside.md", page.replace("Added", "Nested"));
    server.wait_for_body(
        "/en-us/new-folder/inside/",
        |body| body.contains("Nested while serving"),
        Duration::from_secs(5),
    );

    // Renamed the way editors and `git mv` do: one file goes, another comes.
    server.clear_log();
    std::fs::rename(site.path("content/en-us/about/added.md"), site.path("content/en-us/about/renamed.md"))
        .expect("rename");
    server.wait_for_body("/en-us/about/renamed/", |body| body.contains("Added while serving"), Duration::from_secs(5));
    assert_eq!(server.get("/en-us/about/added/").status, 404, "the old URL is gone");

    site.remove("content/en-us/about/renamed.md");
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.get("/en-us/about/renamed/").status != 404 {
        assert!(Instant::now() < deadline, "a removed page is still served");
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(server.get("/zh-cn/about/renamed/").status, 404, "its fallback copy is gone too");
    assert_eq!(server.get(SEED_URL).status, 200);
}

#[test]
fn the_search_index_is_served_and_follows_edits() {
    let site = TestSite::example();
    let server = Server::start(site.root());
    let events = server.events();
    let has_word = |word: &str| {
        let entry = server.get("/en-us/_search/index.json");
        assert_eq!(entry.status, 200, "{}", entry.body);
        let entry: serde_json::Value = serde_json::from_str(&entry.body).expect("index.json is JSON");
        let chunks = entry["term_chunks"].as_array().expect("term chunks");
        assert!(!chunks.is_empty());
        chunks.iter().any(|chunk| {
            let name = chunk[1].as_str().expect("a chunk name");
            let chunk = server.get(&format!("/en-us/_search/{name}"));
            assert_eq!(chunk.status, 200, "{name}");
            chunk.body.contains(&format!("\"{word}\""))
        })
    };
    assert!(has_word("hypervisor"), "an indexed word of the English pages");
    assert!(!has_word("quixotically"));

    let page = "content/en-us/about/containers-vs-vm.md";
    let text = site.read(page);
    site.write(page, format!("{text}\nA quixotically rare word.\n"));
    wait_for_event(&events, |e| e.contains("\"reload\""));
    assert!(has_word("quixotically"), "the index of the edited locale has the new word");
}

#[test]
fn an_edit_made_while_the_config_is_broken_is_served_once_it_is_fixed() {
    let site = TestSite::example();
    let server = Server::start(site.root());
    let events = server.events();
    let config = site.read("site.toml");

    // The rebuild for this edit fails before it reads any page.
    site.write("site.toml", format!("{config}\n[broken\n"));
    wait_for_event(&events, |e| e.contains("\"errors\""));
    site.edit(SEED, "下表显示了这些互补技术的一些异同。", "下表显示了这些互补技术的一些异同（配置损坏时编辑）。");
    wait_for_event(&events, |e| e.contains("\"errors\""));

    site.write("site.toml", &config);
    wait_for_event(&events, |e| e.contains("\"reload\""));
    server.wait_for_body(SEED_URL, |body| body.contains("（配置损坏时编辑）"), Duration::from_secs(5));
}

#[test]
fn anchor_warnings_follow_edits_of_the_linked_page() {
    // Rebuilds keep each page's anchor checks while its body is unchanged: an edit of the
    // page a link points into must still re-check the link.
    let site = TestSite::empty();
    site.write(
        "site.toml",
        "title = \"Anchors\"\nbase_url = \"https://anchors.example/\"\ndefault_locale = \"en-us\"\n\n[locales.en-us]\nname = \"English\"\n",
    );
    site.write("content/en-us/index.md", "# Home\n\nSee [setting up](guide.md#setup).\n");
    site.write("content/en-us/guide.md", "# Guide\n\n## Setup\n\nText.\n");
    site.write("content/en-us/other.md", "# Other\n\nText.\n");
    let mut server = Server::start(site.root());
    assert!(!server.log.iter().any(|l| l.contains("broken-anchor")), "{:?}", server.log);
    server.clear_log();

    site.edit("content/en-us/guide.md", "## Setup", "## Install");
    server.wait_for_line(|l| l.contains("warning[broken-anchor]"), Duration::from_secs(10));
    server.wait_for_line(|l| l.starts_with("rebuilt in"), Duration::from_secs(10));
    server.clear_log();

    // Fixed again, the warning goes; the next set of warnings printed (a broken link added
    // elsewhere) must not bring it back.
    site.edit("content/en-us/guide.md", "## Install", "## Setup");
    server.wait_for_line(|l| l.starts_with("rebuilt in"), Duration::from_secs(10));
    site.edit("content/en-us/other.md", "Text.", "A [missing page](missing.md).");
    server.wait_for_line(|l| l.contains("missing.md"), Duration::from_secs(10));
    server.wait_for_line(|l| l.starts_with("rebuilt in"), Duration::from_secs(10));
    assert!(!server.log.iter().any(|l| l.contains("broken-anchor")), "{:?}", server.log);
}

#[test]
fn a_template_edit_is_served() {
    // The compiled theme is kept between rebuilds while its files are the same.
    let site = TestSite::example();
    let server = Server::start(site.root());
    let footer = site.read("templates/footer.html");
    site.write("templates/footer.html", format!("{footer}\n<p>An edited footer.</p>\n"));
    server.wait_for_body(SEED_URL, |body| body.contains("An edited footer."), Duration::from_secs(10));
}
