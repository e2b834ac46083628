//! What answers when no route matched: 405 (with `Allow`) for a known path
//! and another method, a JSON 404 for unknown API paths, and otherwise the
//! SPA — a static file from the built app, or `index.html` so deep links work.

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
        (Some(dir), false, true) => {
            let served = super::static_files::serve(&req, dir, path);
            respond(&req, served)
        }
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
