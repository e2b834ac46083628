//! The one JSON error envelope every failed API call answers with:
//! `{ "error": { "code": "...", "message": "...", "request_id": "..." } }`,
//! and [`InputError`], the error every input parser in this crate returns
//! (the api maps it to a 422 with `field`).

use serde::{Deserialize, Serialize};

/// Machine-readable error codes; clients branch on these, people read `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Validation,
    Unauthorized,
    /// The password was right; the account's second factor is needed too.
    MfaRequired,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Locked,
    RateLimited,
    /// The database cannot be reached; nothing was saved. Answered 503 with
    /// `Retry-After`; retrying is safe.
    Unavailable,
    /// The connection to the database was lost while the change was being
    /// committed: it may or may not have been saved. Answered 503 with
    /// `Retry-After`; retry with the same `Idempotency-Key` to learn the
    /// outcome without doing the change twice.
    CommitOutcomeUnknown,
    /// The `Idempotency-Key` was already used by this caller for a different
    /// request (another body, method or path). Answered 422.
    IdempotencyKeyReused,
    /// Sealed content failed its integrity check (e.g. a ciphertext moved
    /// between rows); nothing was disclosed. Answered with 409.
    SealedContentUnreadable,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// Which field was wrong, when the error is about one input field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Correlates the response with the server's log line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// A rejected input field, with a message fit to show next to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    pub field: &'static str,
    pub message: String,
}

impl InputError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
