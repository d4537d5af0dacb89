//! A real browser for end-to-end tests: headless Chromium driven over WebDriver
//! (chromedriver + fantoccini). These tests run when `POLYDOC_E2E` is set — `.ci/run` sets
//! it after installing Debian's `chromium` and `chromium-driver` — and then a missing
//! browser is a failure, not a skip.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

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
];

pub(crate) struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    /// A browser at `width`×`height`, or `None` (with a note) when `POLYDOC_E2E` is unset.
    pub(crate) fn start(width: u32, height: u32) -> Option<Browser> {
        if std::env::var_os("POLYDOC_E2E").is_none() {
            eprintln!("skipped: set POLYDOC_E2E=1 to run browser tests (.ci/run does)");
            return None;
        }
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
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
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
        Some(Browser { runtime, client: Some(client), driver })
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

    #[allow(dead_code)] // For the theme's screenshot tests.
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
