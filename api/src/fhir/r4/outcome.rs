//! Errors of the FHIR façade: the same [`ApiError`] as the rest of the api
//! (same status codes, headers and logging of internal errors), answered as
//! an R4 `OperationOutcome` (`application/fhir+json`) instead of the JSON
//! envelope. Internal errors stay opaque.

use actix_web::body::BoxBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::error::ApiError;

pub const FHIR_JSON: &str = "application/fhir+json";

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct FhirError(#[from] pub ApiError);

/// The R4 `issue-type` code for an error.
fn issue_code(e: &ApiError) -> &'static str {
    match e {
        ApiError::BadRequest(_) | ApiError::Validation { .. } => "invalid",
        ApiError::Unauthorized(_) | ApiError::MfaRequired => "login",
        ApiError::Forbidden(_) => "forbidden",
        ApiError::NotFound(_) => "not-found",
        ApiError::MethodNotAllowed { .. } => "not-supported",
        ApiError::Locked { .. } | ApiError::RateLimited { .. } => "throttled",
        ApiError::Unavailable | ApiError::CommitOutcomeUnknown => "transient",
        ApiError::PayloadTooLarge { .. } => "too-costly",
        ApiError::Internal(_) => "exception",
        _ => "processing",
    }
}

/// An `OperationOutcome` with one issue.
pub fn operation_outcome(severity: &str, code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": severity, "code": code, "diagnostics": diagnostics }],
    })
}

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        // The api's own answer carries the status and headers (Retry-After,
        // WWW-Authenticate, Allow) and logs an internal error; only its body
        // is replaced.
        let mut resp = self.0.error_response();
        let diagnostics = match &self.0 {
            ApiError::Internal(_) => "internal error; the incident has been logged".to_owned(),
            other => other.to_string(),
        };
        let mut outcome = operation_outcome("error", issue_code(&self.0), &diagnostics);
        if let Some(id) = crate::request::current() {
            outcome["id"] = json!(id);
        }
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(FHIR_JSON),
        );
        let body = serde_json::to_vec(&outcome).unwrap_or_default();
        resp.set_body(BoxBody::new(body))
    }
}
