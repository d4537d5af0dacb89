//! Live reload: a server-sent event stream (`/__polydoc/events`) and the small script every
//! served HTML page gets. After each rebuild the server names the output files that
//! changed; a page reloads only when its own file (or a stylesheet or script) is among
//! them. Failed builds send their diagnostics, which the script shows as an overlay until
//! the next good build.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{self, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt as _};
use serde::Serialize;
use tokio_stream::wrappers::BroadcastStream;

use super::ServerState;

/// What the browsers are told.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Event {
    /// A build succeeded; these output paths changed.
    Reload { paths: Vec<String> },
    /// A build failed; these are its error diagnostics.
    Errors { errors: Vec<String> },
}

pub(crate) const SCRIPT_PATH: &str = "/__polydoc/livereload.js";
pub(crate) const EVENTS_PATH: &str = "/__polydoc/events";

/// Appended to every served HTML page.
pub(crate) const SCRIPT_TAG: &str = "<script src=\"/__polydoc/livereload.js\"></script>";

pub(crate) const SCRIPT: &str = r#"(function () {
  "use strict";
  var overlay = null;
  function currentFile() {
    var path = decodeURIComponent(location.pathname).replace(/^\/+/, "");
    return path === "" || path.endsWith("/") ? path + "index.html" : path;
  }
  function showErrors(errors) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "polydoc-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
        "background:rgba(20,20,24,.94);color:#ffd7d7;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "";
    var title = document.createElement("h2");
    title.textContent = "polydoc: the last build failed; fix these and the page reloads by itself";
    title.style.cssText = "color:#fff;font:bold 16px system-ui,sans-serif;margin:0 0 1rem";
    overlay.appendChild(title);
    errors.forEach(function (text) {
      var pre = document.createElement("pre");
      pre.textContent = text;
      pre.style.cssText = "white-space:pre-wrap;margin:0 0 1rem";
      overlay.appendChild(pre);
    });
  }
  function hideErrors() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  var source = new EventSource("/__polydoc/events");
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    if (event.type === "errors") { showErrors(event.errors); return; }
    var hadOverlay = overlay !== null;
    hideErrors();
    var mine = currentFile();
    var reload = hadOverlay || event.paths.some(function (path) {
      return path === mine || /\.(css|js)$/.test(path);
    });
    if (reload) { location.reload(); }
  };
})();
"#;

/// The event stream: the current error state first, then every event as it happens.
pub(crate) async fn events(
    State(state): State<Arc<ServerState>>,
) -> Sse<impl Stream<Item = Result<sse::Event, Infallible>>> {
    let receiver = state.events.subscribe();
    let errors = state.errors.read().expect("errors lock").clone();
    let initial = (!errors.is_empty()).then_some(Event::Errors { errors });
    let updates = BroadcastStream::new(receiver).filter_map(|event| async move { event.ok() });
    let stream = stream::iter(initial).chain(updates).map(|event| {
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        Ok(sse::Event::default().data(data))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
