//! The HTTP side of `serve`: requests are answered from the current `Snapshot` only. The
//! request path is decoded and checked before lookup — `..` segments, backslashes and NUL
//! bytes are refused with 400 — and anything not in the snapshot is the locale's 404 page
//! with status 404. `/` redirects to the locale that best matches `Accept-Language`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::livereload::{self, EVENTS_PATH, SCRIPT, SCRIPT_PATH, SCRIPT_TAG};
use super::{Entry, ServerState, Snapshot};
use crate::content::Locale;

pub(super) fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route(EVENTS_PATH, get(livereload::events))
        .route(SCRIPT_PATH, get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }))
        .fallback(serve_file)
        .with_state(state)
}

async fn serve_file(State(state): State<Arc<ServerState>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Some(segments) = safe_segments(uri.path()) else {
        return (StatusCode::BAD_REQUEST, "bad request path").into_response();
    };
    let snapshot = Arc::clone(&state.snapshot.read().expect("snapshot lock"));
    if segments.is_empty() {
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if let Some(locale) = best_locale(accept, &snapshot.locales).or(snapshot.default_locale.as_ref()) {
            return redirect(&format!("/{locale}/"), StatusCode::FOUND, true);
        }
    }
    let joined = segments.join("/");
    let wants_folder = uri.path().ends_with('/') || segments.is_empty();
    let path =
        if wants_folder { format!("{joined}/index.html").trim_start_matches('/').to_string() } else { joined.clone() };
    // A deferred file (a search index) may be made now: that is work for a blocking thread.
    let entry =
        snapshot.files.get(&path).cloned().or_else(|| tokio::task::block_in_place(|| snapshot.deferred_file(&path)));
    if let Some(entry) = entry {
        return respond(&state, &path, &entry, StatusCode::OK);
    }
    if !wants_folder && snapshot.files.contains_key(&format!("{joined}/index.html")) {
        return redirect(&format!("/{joined}/"), StatusCode::MOVED_PERMANENTLY, false);
    }
    not_found(&state, &snapshot, segments.first().map(String::as_str))
}

/// Decodes and splits a request path; `None` when it tries to leave the site (`..`,
/// encoded or not), uses backslashes, or holds NUL bytes or invalid UTF-8.
fn safe_segments(path: &str) -> Option<Vec<String>> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return None;
    }
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            // A drive letter (`C:`) is an absolute Windows path in disguise.
            s if s.len() == 2 && s.ends_with(':') => return None,
            s => segments.push(s.to_string()),
        }
    }
    Some(segments)
}

fn respond(state: &ServerState, path: &str, entry: &Entry, status: StatusCode) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let bytes: Vec<u8> = match entry {
        Entry::Bytes(bytes) => bytes.to_vec(),
        Entry::File(file) => {
            // Assets come from the content scan; still refuse a symlink that leads outside.
            let inside = std::fs::canonicalize(file).is_ok_and(|real| real.starts_with(&state.site_root));
            match std::fs::read(file) {
                Ok(bytes) if inside => bytes,
                _ => return StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let body = if mime.essence_str() == "text/html" { inject_script(bytes) } else { bytes };
    let mut response = (status, body).into_response();
    let content_type =
        if mime.type_() == "text" || mime.essence_str() == "image/svg+xml" || mime.subtype() == "javascript" {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_string()
        };
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    // A preview must never show a cached old page.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn inject_script(mut html: Vec<u8>) -> Vec<u8> {
    let closing = html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>"));
    match closing {
        Some(at) => {
            html.splice(at..at, SCRIPT_TAG.bytes());
        }
        None => html.extend_from_slice(SCRIPT_TAG.as_bytes()),
    }
    html
}

fn not_found(state: &ServerState, snapshot: &Snapshot, first_segment: Option<&str>) -> Response {
    let locale_page = first_segment.map(|locale| format!("{locale}/404.html"));
    let page = locale_page.filter(|p| snapshot.files.contains_key(p)).unwrap_or_else(|| "404.html".to_string());
    match snapshot.files.get(&page) {
        Some(entry) => respond(state, &page, entry, StatusCode::NOT_FOUND),
        None => (StatusCode::NOT_FOUND, Body::from("not found")).into_response(),
    }
}

fn redirect(location: &str, status: StatusCode, varies_by_language: bool) -> Response {
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if varies_by_language {
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The configured locale that best matches an `Accept-Language` header: languages in
/// order of their `q` weights; each matches a locale exactly, then by script or region
/// (`zh-Hans` and `zh-SG` → `zh-cn`), then by language alone (`zh` → `zh-cn`).
pub(super) fn best_locale<'a>(accept_language: &str, locales: &'a [Locale]) -> Option<&'a Locale> {
    let mut ranges: Vec<(f32, usize, String)> = accept_language
        .split(',')
        .enumerate()
        .filter_map(|(position, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let weight =
                pieces.find_map(|p| p.trim().strip_prefix("q=")).map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && weight > 0.0).then_some((weight, position, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.iter().find_map(|(_, _, tag)| match_tag(tag, locales))
}

fn match_tag<'a>(tag: &str, locales: &'a [Locale]) -> Option<&'a Locale> {
    if let Some(exact) = locales.iter().find(|l| l.as_str() == tag) {
        return Some(exact);
    }
    let language = tag.split('-').next().unwrap_or(tag);
    // Chinese scripts and regions map onto the usual region locales.
    let region_for_script = match tag {
        "zh-hans" | "zh-sg" | "zh-my" | "zh-hans-cn" => Some("zh-cn"),
        "zh-hant" | "zh-hk" | "zh-mo" | "zh-hant-tw" => Some("zh-tw"),
        _ => None,
    };
    if let Some(locale) = region_for_script.and_then(|r| locales.iter().find(|l| l.as_str() == r)) {
        return Some(locale);
    }
    locales.iter().find(|l| l.language() == language)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales() -> Vec<Locale> {
        ["en-us", "zh-cn"].iter().map(|t| Locale::parse(t).unwrap()).collect()
    }

    #[test]
    fn accept_language_picks_the_best_locale() {
        let locales = locales();
        let pick = |header: &str| best_locale(header, &locales).map(|l| l.as_str().to_string());
        assert_eq!(pick("zh-CN,zh;q=0.9,en;q=0.8").as_deref(), Some("zh-cn"));
        assert_eq!(pick("zh").as_deref(), Some("zh-cn"));
        assert_eq!(pick("zh-Hans").as_deref(), Some("zh-cn"));
        assert_eq!(pick("en-GB,en;q=0.9").as_deref(), Some("en-us"));
        assert_eq!(pick("fr-FR;q=1, zh;q=0.5").as_deref(), Some("zh-cn"));
        assert_eq!(pick("en;q=0.2, zh-TW;q=0.9").as_deref(), Some("zh-cn"));
        assert_eq!(pick("fr, de"), None);
        assert_eq!(pick(""), None);
    }

    #[test]
    fn request_paths_cannot_leave_the_site() {
        assert_eq!(safe_segments("/zh-cn/about/").unwrap(), ["zh-cn", "about"]);
        assert_eq!(safe_segments("/a/%E5%AE%B9%E5%99%A8/").unwrap(), ["a", "容器"]);
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/%2e%2e/etc/passwd",
            "/a/..%2f..%2fetc",
            "/a\\..\\b",
            "/a/%5c..%5cb",
            "/C:/x",
            "/%00",
            "/%ff",
        ] {
            assert!(safe_segments(bad).is_none(), "{bad}");
        }
    }
}
