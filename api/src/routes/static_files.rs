//! Serving the built SPA: the file a URL path names inside the static
//! directory (never outside it), `index.html` for every other path so deep
//! links work, a precompressed `.br` or `.gz` twin when the browser accepts
//! it (`scripts/build-web.sh` writes them), and cache lifetimes by name —
//! content-hashed files (`app-<16 hex>.js`) for a year, immutable; anything
//! else (`index.html`) revalidated on every load. Owns no API behaviour.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;

/// The response for `url_path` from the SPA in `dir`.
pub fn serve(req: &HttpRequest, dir: &Path, url_path: &str) -> Result<HttpResponse, ApiError> {
    let target = resolve(dir, url_path);
    let accepts = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = target
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_owned();
    let (path, encoding) = [
        ("br", ContentEncoding::Brotli),
        ("gz", ContentEncoding::Gzip),
    ]
    .into_iter()
    .filter(|(_, enc)| accepts_encoding(accepts, enc.as_str()))
    .map(|(suffix, enc)| (with_suffix(&target, suffix), Some(enc)))
    .find(|(p, _)| p.is_file())
    .unwrap_or((target.clone(), None));
    let mut file = NamedFile::open(&path)
        .map_err(|_| ApiError::NotFound("no such page"))?
        .set_content_type(actix_files::file_extension_to_mime(&ext))
        .disable_content_disposition();
    if let Some(enc) = encoding {
        file = file.set_content_encoding(enc);
    }
    let mut res = file.respond_to(req).map_into_boxed_body();
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let cache = if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(res)
}

/// The file under `dir` named by the URL path, refusing anything that could
/// leave the directory; unknown paths (client-side routes) get `index.html`.
fn resolve(dir: &Path, url_path: &str) -> PathBuf {
    let mut candidate = PathBuf::from(dir);
    for segment in url_path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains('\\') || segment.contains('\0') {
            return dir.join("index.html");
        }
        candidate.push(segment);
    }
    if candidate.is_file() {
        candidate
    } else {
        dir.join("index.html")
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether an `Accept-Encoding` value allows `coding` (a `q=0` refuses it).
fn accepts_encoding(header: &str, coding: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                == Some(0.0)
        });
        name.eq_ignore_ascii_case(coding) && !refused
    })
}

/// `name-<16 hex digits>.ext`: the build names files by their content.
fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("");
    stem.rsplit_once('-')
        .is_some_and(|(_, h)| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised_and_index_is_not() {
        assert!(is_hashed("app_bg-0123456789abcdef.wasm"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("app_bg.wasm"));
        assert!(!is_hashed("app-xyz.js"));
    }

    #[test]
    fn accept_encoding_lists_and_refusals_are_read() {
        assert!(accepts_encoding("gzip, deflate, br", "br"));
        assert!(accepts_encoding("gzip;q=0.8", "gzip"));
        assert!(!accepts_encoding("gzip;q=0, br", "gzip"));
        assert!(!accepts_encoding("", "br"));
        assert!(!accepts_encoding("gzip", "br"));
    }

    #[test]
    fn paths_that_leave_the_directory_get_the_index() {
        let dir = Path::new("/nonexistent-spa");
        assert_eq!(resolve(dir, "/../etc/passwd"), dir.join("index.html"));
        assert_eq!(resolve(dir, "/patients/123"), dir.join("index.html"));
    }
}
