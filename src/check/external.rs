//! `check --external`: every distinct `http(s)` URL of the site fetched once (fragment
//! dropped), by a few worker threads with at most `per_host` requests in flight per host,
//! a timeout per request and retries with backoff for answers that may be passing (timeouts,
//! 429, 5xx). A host that cannot be reached at all (unknown name, connection refused) is
//! not asked again for its other URLs. Good answers are remembered in `.polydoc-cache/external-links.json` for
//! `cache_ttl`, so a second run only asks about what is new, expired or was failing.
//! The only network I/O of polydoc; behind the `external-links` feature.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{self, Diagnostic};
use crate::markdown::ExternalLink;

/// How external links are fetched and remembered.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The longest one request may take, connection and redirects included.
    pub timeout: Duration,
    /// Further tries after an answer that may be passing (timeout, refused connection, 408,
    /// 429, 5xx).
    pub retries: u32,
    /// The wait before the first retry; it doubles at each further one.
    pub retry_delay: Duration,
    /// Requests in flight to one host at a time, to stay polite.
    pub per_host: usize,
    /// Requests in flight in all.
    pub workers: usize,
    /// Where good answers are remembered; `None` remembers nothing.
    pub cache: Option<PathBuf>,
    /// How long a good answer is trusted.
    pub cache_ttl: Duration,
}

impl Settings {
    /// The defaults, caching in `ROOT/.polydoc-cache/external-links.json` for a day.
    pub fn for_site(site_root: &Path) -> Settings {
        Settings {
            timeout: Duration::from_secs(15),
            retries: 2,
            retry_delay: Duration::from_millis(500),
            per_host: 2,
            workers: 8,
            cache: Some(site_root.join(CACHE_FILE)),
            cache_ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// The cache file, relative to the site root.
pub const CACHE_FILE: &str = ".polydoc-cache/external-links.json";

/// What checking the external links found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One per link that points nowhere (`broken-link`) or could not be checked
    /// (`external-link`), at each place it is written.
    pub diagnostics: Vec<Diagnostic>,
    /// Distinct URLs looked at, cached ones included.
    pub urls: usize,
    /// Distinct URLs actually fetched (not answered by the cache).
    pub fetched: usize,
}

/// Checks `links`, fetching each distinct URL at most once.
pub fn check(links: &[ExternalLink], settings: &Settings) -> Outcome {
    let mut by_url: BTreeMap<&str, Vec<&ExternalLink>> = BTreeMap::new();
    for link in links {
        by_url.entry(without_fragment(&link.url)).or_default().push(link);
    }
    let now = unix_now();
    let mut cache = settings.cache.as_deref().map(Cache::load).unwrap_or_default();
    cache.links.retain(|_, entry| entry.is_fresh(now, settings.cache_ttl));
    let to_fetch: Vec<&str> = by_url.keys().copied().filter(|url| !cache.links.contains_key(*url)).collect();
    let verdicts = fetch_all(&to_fetch, settings);

    let mut outcome = Outcome { urls: by_url.len(), fetched: to_fetch.len(), ..Outcome::default() };
    for (url, verdict) in &verdicts {
        match verdict {
            Verdict::Fine(status) => {
                cache.links.insert(url.clone(), CachedLink { checked: now, status: *status });
            }
            _ => {
                outcome.diagnostics.extend(by_url[url.as_str()].iter().map(|link| diagnostic(link, verdict, settings)))
            }
        }
    }
    diagnostic::sort(&mut outcome.diagnostics);
    if let Some(path) = &settings.cache
        && let Err(error) = cache.save(path)
    {
        outcome.diagnostics.push(Diagnostic::warning(
            "io",
            CACHE_FILE,
            format!("cannot remember external link checks in {}: {error}", path.display()),
        ));
    }
    outcome
}

/// What one URL answered, after retries.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// A success or redirect to one.
    Fine(u16),
    /// An answer saying the target does not exist (404, 410, other 4xx), or a URL that
    /// cannot be requested at all.
    Broken(String),
    /// No definite answer: the network failed, the server erred or refused polydoc (401,
    /// 403, 429, 5xx). Worth a look, not proof of a broken link.
    Unchecked(String),
    /// Like `Unchecked`, for the whole host: its name is unknown or it refuses connections.
    HostDown(String),
}

fn diagnostic(link: &ExternalLink, verdict: &Verdict, settings: &Settings) -> Diagnostic {
    let diagnostic = match verdict {
        Verdict::Fine(_) => unreachable!("fine links are not reported"),
        Verdict::Broken(reason) => Diagnostic::warning("broken-link", &link.path, format!("`{}` {reason}", link.url))
            .with_help("fix or remove the link; the page may have moved"),
        Verdict::Unchecked(reason) | Verdict::HostDown(reason) => {
            let tries = match settings.retries {
                0 => "once".to_string(),
                retries => format!("{} times", retries + 1),
            };
            Diagnostic::warning("external-link", &link.path, format!("`{}` could not be checked: {reason}", link.url))
                .with_help(format!("polydoc tried {tries}; check the link by hand"))
        }
    };
    diagnostic.at(link.line, link.column)
}

/// Fetches every URL on up to `settings.workers` threads, never more than
/// `settings.per_host` at once to one host.
fn fetch_all(urls: &[&str], settings: &Settings) -> Vec<(String, Verdict)> {
    if urls.is_empty() {
        return Vec::new();
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("polydoc/", env!("CARGO_PKG_VERSION"), " (link checker)"))
        .build()
        .into();
    let mut pending: BTreeMap<String, VecDeque<String>> = BTreeMap::new();
    for url in urls {
        pending.entry(host_of(url)).or_default().push_back(url.to_string());
    }
    let schedule = Schedule {
        state: Mutex::new(ScheduleState { pending, active: HashMap::new(), done: Vec::new() }),
        changed: Condvar::new(),
        per_host: settings.per_host.max(1),
    };
    let workers = settings.workers.clamp(1, urls.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((host, url)) = schedule.next() {
                    let verdict = fetch(&agent, &url, settings);
                    schedule.finish(host, url, verdict);
                }
            });
        }
    });
    let mut done = schedule.state.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).done;
    done.sort_by(|a, b| a.0.cmp(&b.0));
    done
}

/// The work queue shared by the fetching threads.
struct Schedule {
    state: Mutex<ScheduleState>,
    changed: Condvar,
    per_host: usize,
}

struct ScheduleState {
    /// URLs not started yet, by host; a host leaves the map when its queue is empty.
    pending: BTreeMap<String, VecDeque<String>>,
    /// Requests in flight per host.
    active: HashMap<String, usize>,
    done: Vec<(String, Verdict)>,
}

impl ScheduleState {
    /// Gives the URLs of `host` not started yet the verdict of one that found the host
    /// down: without network, 300 links to one host would otherwise each wait for retries.
    fn skip_host(&mut self, host: &str, verdict: &Verdict) {
        for url in self.pending.remove(host).unwrap_or_default() {
            self.done.push((url, verdict.clone()));
        }
    }
}

impl Schedule {
    /// The next URL whose host has room, waiting while every pending host is busy; `None`
    /// when nothing is left to start.
    fn next(&self) -> Option<(String, String)> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if state.pending.is_empty() {
                return None;
            }
            let free_host = state
                .pending
                .keys()
                .find(|host| state.active.get(*host).copied().unwrap_or(0) < self.per_host)
                .cloned();
            if let Some(host) = free_host {
                let queue = state.pending.get_mut(&host).expect("a pending host");
                let url = queue.pop_front().expect("queues in the map are not empty");
                if queue.is_empty() {
                    state.pending.remove(&host);
                }
                *state.active.entry(host.clone()).or_default() += 1;
                return Some((host, url));
            }
            state = self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn finish(&self, host: String, url: String, verdict: Verdict) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(active) = state.active.get_mut(&host) {
            *active -= 1;
        }
        if matches!(verdict, Verdict::HostDown(_)) {
            state.skip_host(&host, &verdict);
        }
        state.done.push((url, verdict));
        self.changed.notify_all();
    }
}

/// One URL's verdict: HEAD first (cheap), GET when HEAD is refused (many servers answer
/// HEAD with 403, 404 or 405 while GET works), with retries for passing failures.
fn fetch(agent: &ureq::Agent, url: &str, settings: &Settings) -> Verdict {
    let mut delay = settings.retry_delay;
    let mut attempt = 0;
    loop {
        let answer = request(agent, "HEAD", url).and_then(|answer| match answer {
            Answer { status, .. } if status >= 400 && status != 429 => request(agent, "GET", url),
            answer => Ok(answer),
        });
        let (verdict, retry_after) = judge(answer);
        let passing = matches!(verdict, Verdict::Unchecked(_) | Verdict::HostDown(_));
        if !passing || attempt >= settings.retries {
            return verdict;
        }
        std::thread::sleep(retry_after.map_or(delay, |after| after.max(delay)));
        delay *= 2;
        attempt += 1;
    }
}

/// An HTTP status, with the server's `Retry-After` in seconds if it gave one.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
}

/// A request that failed before any status.
struct Failure {
    /// Whether it may pass on a retry.
    passing: bool,
    /// Whether the host cannot be reached at all, whatever the URL.
    host_down: bool,
    reason: String,
}

impl Failure {
    fn new(passing: bool, reason: impl Into<String>) -> Failure {
        Failure { passing, host_down: false, reason: reason.into() }
    }

    fn host_down(reason: impl Into<String>) -> Failure {
        Failure { passing: true, host_down: true, reason: reason.into() }
    }
}

fn request(agent: &ureq::Agent, method: &str, url: &str) -> Result<Answer, Failure> {
    let result = match method {
        "HEAD" => agent.head(url).call(),
        _ => agent.get(url).call(),
    };
    match result {
        Ok(response) => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse().ok());
            Ok(Answer { status: response.status().as_u16(), retry_after })
        }
        Err(error) => Err(describe(&error)),
    }
}

/// What a transport error says about the URL and its host.
fn describe(error: &ureq::Error) -> Failure {
    use ureq::Error;
    match error {
        Error::BadUri(_) | Error::Http(_) => Failure::new(false, "is not a valid URL"),
        Error::Timeout(_) => Failure::new(true, "timed out"),
        Error::HostNotFound => Failure::host_down("names a host that was not found"),
        Error::ConnectionFailed => Failure::host_down("refused the connection"),
        // A failed name lookup reaches us as an I/O error of no particular kind; std's
        // message for it is stable ("failed to lookup address information: …").
        Error::Io(io)
            if io.kind() == std::io::ErrorKind::ConnectionRefused || io.to_string().contains("lookup address") =>
        {
            Failure::host_down(io.to_string())
        }
        Error::Io(io) => Failure::new(true, io.to_string()),
        Error::TooManyRedirects => Failure::new(false, "redirects too many times"),
        other => Failure::new(true, other.to_string()),
    }
}

/// The verdict on one try, with how long the server asked to wait before the next.
fn judge(answer: Result<Answer, Failure>) -> (Verdict, Option<Duration>) {
    const LONGEST_RETRY_AFTER: u64 = 10;
    match answer {
        Ok(Answer { status, retry_after }) => {
            let reason = ureq::http::StatusCode::from_u16(status).ok().and_then(|code| code.canonical_reason());
            let answered = format!("answers {status}{}", reason.map(|r| format!(" {r}")).unwrap_or_default());
            let verdict = match status {
                0..=399 => Verdict::Fine(status),
                401 | 403 | 408 | 429 | 500.. => Verdict::Unchecked(answered),
                _ => Verdict::Broken(answered),
            };
            let wait = retry_after.map(|seconds| Duration::from_secs(seconds.min(LONGEST_RETRY_AFTER)));
            (verdict, wait)
        }
        Err(Failure { host_down: true, reason, .. }) => (Verdict::HostDown(reason), None),
        Err(Failure { passing: false, reason, .. }) => (Verdict::Broken(reason), None),
        Err(Failure { reason, .. }) => (Verdict::Unchecked(reason), None),
    }
}

/// The URL without its `#fragment` (fragments of other sites' pages are not checked).
fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

/// The lowercase `host[:port]` of an `http(s)` URL, for the per-host limit.
fn host_of(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    host.to_ascii_lowercase()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// The on-disk memory of good answers.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    /// By URL without fragment.
    links: BTreeMap<String, CachedLink>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CachedLink {
    /// When it answered, in seconds since 1970.
    checked: u64,
    status: u16,
}

impl CachedLink {
    /// Whether the answer is younger than `ttl` (and not from the future, which a clock
    /// set back would make it).
    fn is_fresh(&self, now: u64, ttl: Duration) -> bool {
        self.checked <= now && now - self.checked < ttl.as_secs()
    }
}

impl Cache {
    /// The cache at `path`; a missing or unreadable one is empty (it is only a speed-up).
    fn load(path: &Path) -> Cache {
        std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
    }

    /// Writes the cache through a temporary file, so an interrupted run never leaves half a file.
    fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, json)?;
        std::fs::rename(&temporary, path)
    }
}

#[cfg(test)]
mod tests;
