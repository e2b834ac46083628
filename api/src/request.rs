//! One id per HTTP request, and the per-request metadata recorded with
//! ledger events ([`RequestContext`]: that id and the client's address as
//! [`crate::client_addr`] decides it — `X-Forwarded-For` only from a
//! trusted proxy).
//!
//! [`track`] (the outermost middleware) gives every request a fresh UUID v4
//! and, for the whole request, makes it
//! - a field of the `request` tracing span, so every log line written while
//!   the request is handled carries it (including the access log line and
//!   an internal error's log line; `db::run_blocking` re-enters the span on
//!   the blocking thread);
//! - the `request_id` of the ledger events the request records (through
//!   [`RequestContext`], read from the request's extensions);
//! - the `request_id` of every JSON error body ([`current`], read by
//!   `ApiError::error_response`) and the `X-Request-Id` header of every
//!   response, success or error.
//!
//! A client's own `X-Request-Id` is **not adopted**. The id lands in the
//! hash-chained ledger, which is append-only and public to auditors: a
//! server-issued UUID is unique by construction, while a client-chosen one
//! could repeat another request's id (making two events look like one
//! request), or carry free text into a record that can never be edited. A
//! well-formed client id (1–64 of `A-Za-z0-9._:-`) is kept in the span as
//! `client_request_id` only, so a proxy's logs can still be correlated; an
//! ill-formed one is ignored.
//!
//! Owns: issuing the id and carrying it. Must never: trust client input for
//! the id, log headers or bodies, or decide anything about access.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tracing::Instrument;

use crate::error::ApiError;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The longest client `X-Request-Id` kept (as `client_request_id`) in logs.
const MAX_CLIENT_ID_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The server-issued id of one HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    fn new() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(|id| id.0.clone()).ok()
}

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    /// The client's address, recorded with ledger events.
    pub source_addr: Option<String>,
    /// The same address, parsed: what per-source limits key on.
    pub client_ip: Option<std::net::IpAddr>,
}

impl RequestContext {
    /// For actions with no HTTP request behind them (CLI, seed, sequencer).
    pub fn system(label: &str) -> Self {
        Self {
            request_id: format!("{label}-{}", uuid::Uuid::new_v4()),
            source_addr: None,
            client_ip: None,
        }
    }

    /// The key per-source limits count under ([`crate::client_addr::source_key`]).
    pub fn source_key(&self) -> String {
        self.client_ip
            .map_or_else(|| "unknown".to_owned(), crate::client_addr::source_key)
    }

    /// The context of an HTTP request: the id [`track`] issued (a fresh one
    /// if the middleware is not installed) and the client's address
    /// (`X-Forwarded-For` believed only from the app's trusted proxies).
    pub fn of(req: &HttpRequest) -> Self {
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_else(|| RequestId::new().0);
        let trusted = req
            .app_data::<actix_web::web::Data<crate::state::AppState>>()
            .map(|s| &s.settings.trusted_proxies);
        let peer = req.peer_addr().map(|a| a.ip());
        let client_ip = match trusted {
            Some(trusted) => crate::client_addr::client_addr(
                peer,
                req.headers()
                    .get_all(FORWARDED_FOR)
                    .filter_map(|v| v.to_str().ok()),
                trusted,
            ),
            None => peer,
        };
        Self {
            request_id,
            source_addr: client_ip.map(|ip| ip.to_string()),
            client_ip,
        }
    }
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// A client's `X-Request-Id`, when it is short and of a safe charset.
fn client_id(req: &ServiceRequest) -> Option<String> {
    let raw = req.headers().get(&REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = (1..=MAX_CLIENT_ID_LEN).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then(|| raw.to_owned())
}

/// Middleware (install outermost): issues the request id, runs the rest of
/// the app inside the request span with the id as [`current`], writes the
/// access log line, and answers every response — errors raised by inner
/// middleware included — with `X-Request-Id`.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = RequestId::new();
    req.extensions_mut().insert(id.clone());
    let span = tracing::info_span!(
        "request",
        request_id = %id.as_str(),
        client_request_id = tracing::field::Empty,
        method = %req.method(),
        path = %req.path(),
    );
    if let Some(client) = client_id(&req) {
        span.record("client_request_id", client.as_str());
    }
    let started = std::time::Instant::now();
    // An error from inner middleware is turned into its response here,
    // inside the scope, so that error body gets the id too.
    let handled = CURRENT.scope(id.clone(), async move {
        next.call(req).await.map_err(|err| {
            let resp = err.error_response();
            (err, resp)
        })
    });
    let result = handled.instrument(span.clone()).await;
    let header = HeaderValue::from_str(id.as_str()).ok();
    let status = match &result {
        Ok(res) => res.status(),
        Err((_, resp)) => resp.status(),
    };
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request"
        );
    });
    match result {
        Ok(mut res) => {
            if let Some(value) = header {
                res.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(res)
        }
        Err((err, mut resp)) => {
            if let Some(value) = header {
                resp.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Err(InternalError::from_response(err.to_string(), resp).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn only_short_safe_client_ids_are_kept_for_the_log() {
        let with = |v: &str| {
            let req = TestRequest::default()
                .insert_header(("X-Request-Id", v))
                .to_srv_request();
            client_id(&req)
        };
        assert_eq!(with("abc-123_x.y:z").as_deref(), Some("abc-123_x.y:z"));
        assert_eq!(with(&"a".repeat(64)).map(|s| s.len()), Some(64));
        for bad in ["", "has space", "tab\there", "ünï", &"a".repeat(65), "a;b"] {
            assert_eq!(with(bad), None, "{bad:?}");
        }
    }

    /// Log lines written into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut v) = self.0.lock() {
                v.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn every_log_line_of_a_request_and_its_error_body_carry_the_header_id() {
        use actix_web::{middleware::from_fn, test, web, App};

        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(App::new().wrap(from_fn(track)).route(
            "/boom",
            web::get().to(|| async {
                tracing::info!("handler ran");
                Err::<String, _>(ApiError::internal("test", "a cause"))
            }),
        ))
        .await;
        let resp =
            test::call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
        assert_eq!(
            resp.status(),
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        let id = resp
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let body: serde_json::Value = test::read_body_json(resp).await;
        assert_eq!(body["error"]["request_id"], serde_json::json!(id));
        let text = logs
            .0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for needle in ["handler ran", "internal error", "elapsed_ms"] {
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains(needle) && l.contains(&format!("request_id={id}"))),
                "{needle:?} with the id in:\n{text}"
            );
        }
        // A record starts with its timestamp; an error's backtrace (when
        // RUST_BACKTRACE is set) continues it on lines of its own.
        assert!(
            lines
                .iter()
                .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
                .all(|l| l.contains(&id)),
            "every line has the id:\n{text}"
        );
    }

    #[actix_web::test]
    async fn current_is_the_scoped_id_and_none_outside() {
        assert_eq!(current(), None);
        let id = RequestId::new();
        let seen = CURRENT.scope(id.clone(), async { current() }).await;
        assert_eq!(seen.as_deref(), Some(id.as_str()));
    }
}
