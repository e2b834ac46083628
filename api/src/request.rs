//! Per-request metadata recorded with ledger events: a fresh request id and
//! the peer's address (forwarding headers are not trusted).

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub source_addr: Option<String>,
}

impl RequestContext {
    /// For actions with no HTTP request behind them (CLI, seed, sequencer).
    pub fn system(label: &str) -> Self {
        Self {
            request_id: format!("{label}-{}", uuid::Uuid::new_v4()),
            source_addr: None,
        }
    }
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self {
            request_id: uuid::Uuid::new_v4().to_string(),
            source_addr: req.peer_addr().map(|a| a.ip().to_string()),
        }))
    }
}
