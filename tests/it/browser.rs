//! A real browser for end-to-end tests: headless Chromium driven over WebDriver
//! (chromedriver + fantoccini), and (`static_server`) a small static file server for a
//! built site that records what it sends. These tests run when `POLYDOC_E2E` is set —
//! `.ci/run` sets it after installing Debian's `chromium` and `chromium-driver` — and then
//! a missing browser is a failure, not a skip.

mod static_server;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub(crate) use static_server::StaticServer;

/// The flags Chromium needs as root on a machine with no internet.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
];

/// Whether the browser tests run: `POLYDOC_E2E` is set (`.ci/run` sets it). Without it they
/// are skipped with a note; with it, every missing tool is a failure.
pub(crate) fn enabled() -> bool {
    if std::env::var_os("POLYDOC_E2E").is_some() {
        return true;
    }
    eprintln!("skipped: set POLYDOC_E2E=1 to run browser tests (.ci/run does)");
    false
}

/// Where screenshots go: `target/e2e/`.
pub(crate) fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("the target folder").join("e2e")
}

pub(crate) struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    /// A browser at `width`×`height`, or `None` (with a note) when `POLYDOC_E2E` is unset.
    pub(crate) fn start(width: u32, height: u32) -> Option<Browser> {
        if !enabled() {
            return None;
        }
        Some(Browser::launch(width, height, &[]))
    }

    /// A browser whose viewport is `width`×`height` CSS pixels, with `extra_args` for
    /// Chromium; only for tests that already checked `enabled()`.
    pub(crate) fn launch(width: u32, height: u32, extra_args: &[&str]) -> Browser {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("POLYDOC_E2E is set, so Chromium must be installed (apt-get install chromium)");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("POLYDOC_E2E is set, so chromedriver must be installed (apt-get install chromium-driver)");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().chain(extra_args).map(|a| a.to_string()).collect();
        args.push(format!("--window-size={width},{height}"));
        let capabilities = json!({ "goog:chromeOptions": { "binary": chromium, "args": args } });
        let capabilities = capabilities.as_object().cloned().expect("an object");
        let url = format!("http://127.0.0.1:{port}");
        let client = runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&url).await {
                    Ok(client) => break client,
                    Err(error) if Instant::now() > deadline => {
                        panic!("cannot start Chromium through chromedriver: {error}")
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        let browser = Browser { runtime, client: Some(client), driver };
        // --window-size sets the outer window; the layout under test is the viewport's.
        let chrome =
            browser.eval("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];");
        let extra = |i: usize| chrome[i].as_f64().unwrap_or(0.0).max(0.0) as u32;
        if extra(0) > 0 || extra(1) > 0 {
            let resize = browser.client().set_window_size(width + extra(0), height + extra(1));
            browser.runtime.block_on(resize).expect("resize the window");
        }
        browser
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }

    pub(crate) fn goto(&self, url: &str) {
        self.runtime.block_on(self.client().goto(url)).unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` available) and returns its result.
    pub(crate) fn eval(&self, script: &str) -> Value {
        self.runtime.block_on(self.client().execute(script, Vec::new())).unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    pub(crate) fn eval_str(&self, script: &str) -> String {
        match self.eval(script) {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    pub(crate) fn eval_num(&self, script: &str) -> f64 {
        self.eval(script).as_f64().unwrap_or_else(|| panic!("`{script}` is not a number"))
    }

    /// Runs an asynchronous script: its last argument is the callback to call with the result.
    pub(crate) fn eval_async(&self, script: &str) -> Value {
        self.runtime
            .block_on(self.client().execute_async(script, Vec::new()))
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Clicks the first element matching `selector`.
    pub(crate) fn click(&self, selector: &str) {
        self.runtime.block_on(async {
            let element =
                self.client().find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
            element.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
        });
    }

    /// Types `text` into the first element matching `selector`, as a user would.
    pub(crate) fn type_into(&self, selector: &str, text: &str) {
        self.runtime.block_on(async {
            let element =
                self.client().find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
            element.send_keys(text).await.unwrap_or_else(|e| panic!("type into {selector}: {e}"));
        });
    }

    /// Presses `key` in the focused element (real key events: default actions happen).
    pub(crate) fn press(&self, key: Key) {
        self.runtime.block_on(async {
            let element = self.client().active_element().await.expect("a focused element");
            element.send_keys(&key.to_string()).await.expect("send a key");
        });
    }

    /// Waits until `script` returns `true`; returns how long that took.
    pub(crate) fn wait_until(&self, script: &str, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            // A reload in progress makes scripts fail for a moment; that is not an answer.
            let value = self.runtime.block_on(self.client().execute(script, Vec::new())).ok();
            if value == Some(Value::Bool(true)) {
                return started.elapsed();
            }
            assert!(started.elapsed() < timeout, "`{script}` did not become true within {timeout:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn screenshot(&self, path: &std::path::Path) {
        let png = self.runtime.block_on(self.client().screenshot()).expect("a screenshot");
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
