//! The one request function. It attaches the in-memory access token, and on a
//! 401 refreshes the session once through the HttpOnly refresh cookie and
//! retries; every failure becomes an [`ApiError`] with a message fit to show.
//!
//! The access token lives only in this module's memory (never in storage).
//! Refreshes are single-flight: the server rotates the refresh cookie on every
//! use and treats a replayed one as theft, so two parallel refreshes would end
//! the session.
//!
//! Every write (one call of [`send`], i.e. one user action) carries a fresh
//! `Idempotency-Key`, the same on its retry after a refresh, so a write the
//! server already made is answered, not made twice. The key only has to be
//! unique: the server scopes keys to the signed-in user.

use std::cell::RefCell;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::auth::LoginResponse;
use shared::{ErrorCode, ErrorEnvelope};
use yew::Callback;

use super::error::ApiError;

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<LoginResponse, ApiError>>>;

thread_local! {
    static TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    static REFRESHING: RefCell<Option<RefreshFuture>> = const { RefCell::new(None) };
    static SESSION_LOST: RefCell<Option<Callback<()>>> = const { RefCell::new(None) };
}

/// Remembers (or forgets) the access token for later requests.
pub fn set_token(token: Option<String>) {
    TOKEN.with(|t| *t.borrow_mut() = token);
}

fn token() -> Option<String> {
    TOKEN.with(|t| t.borrow().clone())
}

/// Called when a refresh fails mid-session, so the shell can sign the user out.
pub fn on_session_lost(callback: Callback<()>) {
    SESSION_LOST.with(|c| *c.borrow_mut() = Some(callback));
}

/// Exchanges the refresh cookie for a new access token (single-flight).
pub async fn refresh() -> Result<LoginResponse, ApiError> {
    let existing = REFRESHING.with(|r| r.borrow().clone());
    let fut = match existing {
        Some(f) => f,
        None => {
            let f = refresh_once().boxed_local().shared();
            REFRESHING.with(|r| *r.borrow_mut() = Some(f.clone()));
            f
        }
    };
    let result = fut.await;
    REFRESHING.with(|r| *r.borrow_mut() = None);
    if let Ok(body) = &result {
        set_token(Some(body.access_token.clone()));
    }
    result
}

async fn refresh_once() -> Result<LoginResponse, ApiError> {
    let resp = RequestBuilder::new("/api/v1/auth/refresh")
        .method(Method::POST)
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    decode(resp).await
}

/// Sends a request; `body` is JSON when present. Retries once after a refresh
/// when the server answers 401 to a request that carried a token.
pub async fn send(method: Method, path: &str, body: Option<String>) -> Result<Response, ApiError> {
    let had_token = token().is_some();
    let key = (method != Method::GET && method != Method::HEAD).then(idempotency_key);
    let resp = send_raw(method.clone(), path, body.clone(), key.as_deref()).await?;
    if resp.status() != 401 || !had_token {
        return Ok(resp);
    }
    match refresh().await {
        Ok(_) => send_raw(method, path, body, key.as_deref()).await,
        Err(e) => {
            set_token(None);
            if let Some(cb) = SESSION_LOST.with(|c| c.borrow().clone()) {
                cb.emit(());
            }
            Err(e)
        }
    }
}

/// A fresh key for one write: unique (time and 104 random bits), not secret.
fn idempotency_key() -> String {
    let random = || (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let now = js_sys::Date::now() as u64;
    format!("web-{now:x}-{:013x}{:013x}", random(), random())
}

async fn send_raw(
    method: Method,
    path: &str,
    body: Option<String>,
    idempotency_key: Option<&str>,
) -> Result<Response, ApiError> {
    let mut req = RequestBuilder::new(path)
        .method(method)
        .header("Accept", "application/json");
    if let Some(key) = idempotency_key {
        req = req.header("Idempotency-Key", key);
    }
    if let Some(t) = token() {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let built = match body {
        Some(b) => req.header("Content-Type", "application/json").body(b),
        None => req.build(),
    };
    built
        .map_err(|e| ApiError::Network(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))
}

/// A successful JSON body, or the error envelope as an [`ApiError`].
pub async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    if resp.ok() {
        return resp
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()));
    }
    Err(error_of(resp).await)
}

/// The error a failed response stands for.
pub async fn error_of(resp: Response) -> ApiError {
    let status = resp.status();
    match resp.json::<ErrorEnvelope>().await {
        Ok(env) => ApiError::Api {
            status,
            code: Some(env.error.code),
            message: env.error.message,
            field: env.error.field,
        },
        Err(_) => ApiError::Api {
            status,
            code: status_code(status),
            message: String::new(),
            field: None,
        },
    }
}

fn status_code(status: u16) -> Option<ErrorCode> {
    Some(match status {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        422 => ErrorCode::Validation,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::Unavailable,
        s if s >= 500 => ErrorCode::Internal,
        _ => return None,
    })
}

fn json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(send(Method::GET, path, None).await?).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(send(Method::POST, path, Some(json(body)?)).await?).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(send(Method::PATCH, path, Some(json(body)?)).await?).await
}

/// A POST whose answer has no body worth reading (204 or ignored JSON).
pub async fn post_unit<B: Serialize>(path: &str, body: Option<&B>) -> Result<(), ApiError> {
    let body = body.map(json).transpose()?;
    let resp = send(Method::POST, path, body).await?;
    if resp.ok() {
        Ok(())
    } else {
        Err(error_of(resp).await)
    }
}
