//! What answers when no route matched: 405 (with `Allow`) for a known path
//! and another method, a JSON 404 for unknown API paths, and otherwise the
//! SPA — a static file from the built app, or `index.html` so deep links work.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn not_matched(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let path = req.path();
    if let Some(allow) = state.routes.allowed_methods(path) {
        return respond(&req, Err(ApiError::MethodNotAllowed { allow }));
    }
    let is_api = path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/health")
        || path.starts_with("/log/");
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    match (&state.settings.static_dir, is_api, is_read) {
        (Some(dir), false, true) => match static_file(dir, path) {
            Ok(file) => file.into_response(&req),
            Err(e) => respond(&req, Err(e)),
        },
        _ => respond(&req, Err(ApiError::NotFound("no such endpoint"))),
    }
}

fn respond(req: &HttpRequest, result: Result<HttpResponse, ApiError>) -> HttpResponse {
    match result {
        Ok(r) => r,
        Err(e) => actix_web::ResponseError::error_response(&e)
            .respond_to(req)
            .map_into_boxed_body(),
    }
}

/// The file under `dir` named by the URL path, refusing anything that could
/// leave the directory; unknown paths get `index.html` (client-side routes).
fn static_file(dir: &Path, url_path: &str) -> Result<NamedFile, ApiError> {
    let mut candidate = PathBuf::from(dir);
    let mut clean = true;
    for segment in url_path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains('\\') || segment.contains('\0') {
            clean = false;
            break;
        }
        candidate.push(segment);
    }
    let target = if clean && candidate.is_file() {
        candidate
    } else {
        dir.join("index.html")
    };
    NamedFile::open(&target).map_err(|_| ApiError::NotFound("no such page"))
}
