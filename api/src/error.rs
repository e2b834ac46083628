//! The one error type at the HTTP boundary. Every failure answers with the
//! JSON envelope from `shared::error`, whose `request_id` is the request's
//! id (`crate::request`, also in the `X-Request-Id` header and the ledger
//! event); internal failures are logged here with their cause chain and
//! answered opaquely, the id finding the log line.
//!
//! Losing the database is never a 500: every connection-level failure
//! (closed connection, a command that could not be sent, a broken
//! transaction manager, a pool checkout that timed out) is
//! [`ApiError::Unavailable`] — 503 `unavailable` with `Retry-After`, nothing
//! was saved — except a connection lost while COMMIT was in flight, which is
//! [`ApiError::CommitOutcomeUnknown`] — 503 `commit_outcome_unknown` with
//! `Retry-After`: the change may have been saved, and the client learns which
//! by retrying with the same `Idempotency-Key` (`crate::idempotency`).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use shared::{ErrorBody, ErrorCode, ErrorEnvelope};

/// What a 503 asks the client to wait: PostgreSQL is back within about a
/// second of a crash or restart (see SECURITY.md for the measured figures).
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("a code from your authenticator app (or a recovery code) is required")]
    MfaRequired,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many failed attempts; wait before trying again")]
    Locked { retry_after_secs: u64 },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached (or was lost before anything was
    /// committed): nothing was saved, retrying is safe.
    #[error("the database is temporarily unavailable; nothing was saved, try again")]
    Unavailable,
    /// The connection was lost while COMMIT was in flight: the change may or
    /// may not have been saved.
    #[error(
        "the connection to the database was lost while saving; the change may or may not \
         have been saved: retry with the same Idempotency-Key to find out without repeating it"
    )]
    CommitOutcomeUnknown,
    /// The caller's `Idempotency-Key` belongs to a different request.
    #[error(
        "this Idempotency-Key was already used for a different request; \
         use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// A sealed value failed to open (wrong row, altered bytes, unknown
    /// key). Answered 409 with a fixed message: no detail, nothing disclosed.
    #[error("this content failed its integrity check and was not disclosed")]
    SealBroken,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    pub fn internal(context: &'static str, err: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{context}: {err}"))
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Validation { .. } => ErrorCode::Validation,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::MfaRequired => ErrorCode::MfaRequired,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Locked { .. } => ErrorCode::Locked,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::Unavailable => ErrorCode::Unavailable,
            ApiError::CommitOutcomeUnknown => ErrorCode::CommitOutcomeUnknown,
            ApiError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            ApiError::SealBroken => ErrorCode::SealedContentUnreadable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<shared::InputError> for ApiError {
    fn from(e: shared::InputError) -> Self {
        ApiError::Validation {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<crate::ledger::store::StoreError> for ApiError {
    fn from(e: crate::ledger::store::StoreError) -> Self {
        use crate::ledger::store::StoreError;
        match e {
            StoreError::Database(e) => e.into(),
            StoreError::OutOfRange(_) => ApiError::validation("seq", "number too large"),
        }
    }
}

impl From<crate::ledger::signer::SignerError> for ApiError {
    fn from(e: crate::ledger::signer::SignerError) -> Self {
        use crate::ledger::signer::SignerError;
        match e {
            SignerError::Store(e) => e.into(),
            other => ApiError::Internal(anyhow::Error::new(other).context("ledger checkpoint")),
        }
    }
}

impl From<crate::crypto::SealError> for ApiError {
    fn from(e: crate::crypto::SealError) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("sealing"))
    }
}

/// Whether `e` means the connection itself failed (the server went away,
/// the socket closed, a command could not be sent), as opposed to a statement
/// the server refused.
pub fn is_connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        if is_connection_lost(&e) {
            return ApiError::Unavailable;
        }
        match e {
            Error::NotFound => ApiError::NotFound("not found"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::Conflict("that already exists".into())
            }
            // COMMIT failed and so did the rollback after it: if the
            // connection went, the outcome is unknown.
            Error::RollbackErrorOnCommit { commit_error, .. } => {
                if is_connection_lost(&commit_error) {
                    ApiError::CommitOutcomeUnknown
                } else {
                    ApiError::from(*commit_error)
                }
            }
            // PostgreSQL text cannot hold NUL; such input is the caller's mistake.
            Error::DatabaseError(_, info) if info.message().contains("0x00") => {
                ApiError::BadRequest("text must not contain NUL characters".into())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::Conflict("the request conflicted with another; try again".into())
            }
            other => ApiError::Internal(anyhow::Error::new(other).context("database")),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) | ApiError::MfaRequired => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Locked { .. } | ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::CommitOutcomeUnknown => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::SealBroken => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut request_id = crate::request::current();
        let message = match self {
            ApiError::Internal(err) => {
                // Inside a request the span already carries `request_id`;
                // outside one, a fresh id still ties the answer to this line.
                let id = request_id.get_or_insert_with(|| uuid::Uuid::new_v4().to_string());
                tracing::error!(error_id = %id, error = ?err, "internal error");
                "internal error; the incident has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let field = match self {
            ApiError::Validation { field, .. } => Some((*field).to_owned()),
            _ => None,
        };
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            ApiError::Locked { retry_after_secs } | ApiError::RateLimited { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable | ApiError::CommitOutcomeUnknown => {
                builder.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                builder.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::Unauthorized(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
        builder.json(ErrorEnvelope {
            error: ErrorBody {
                code: self.code(),
                message,
                field,
                request_id,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_opaque() {
        let err = ApiError::internal("loading key", "secret path /etc/x");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn losing_the_database_is_a_503_with_retry_after_never_a_500() {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost = || {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new("server closed the connection unexpectedly".to_owned()),
            )
        };
        let not_sent = Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("no connection to the server".to_owned()),
        );
        for e in [lost(), not_sent, Error::BrokenTransactionManager] {
            let err = ApiError::from(e);
            assert!(matches!(err, ApiError::Unavailable), "{err:?}");
            let resp = err.error_response();
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                resp.headers().get(header::RETRY_AFTER).unwrap(),
                &RETRY_AFTER_SECS.to_string()
            );
        }
        let ambiguous = ApiError::from(Error::RollbackErrorOnCommit {
            rollback_error: Box::new(lost()),
            commit_error: Box::new(lost()),
        });
        assert!(matches!(ambiguous, ApiError::CommitOutcomeUnknown));
        let resp = ambiguous.error_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(resp.headers().contains_key(header::RETRY_AFTER));
    }
}
