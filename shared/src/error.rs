//! The one JSON error envelope every failed API call answers with:
//! `{ "error": { "code": "...", "message": "...", "request_id": "..." } }`.

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
    Unavailable,
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
