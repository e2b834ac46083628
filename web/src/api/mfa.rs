//! Two-factor sign-in (TOTP): status, enrolment, confirmation, turning off.

use shared::mfa::{RecoveryCodes, TotpCodeRequest, TotpDisableRequest, TotpEnrollment, TotpStatus};

use gloo_net::http::Method;

use super::client::{decode, get, post, post_unit, send};
use super::ApiError;

pub async fn status() -> Result<TotpStatus, ApiError> {
    get("/api/v1/auth/totp").await
}

/// Starts an enrolment; the secret is shown once and confirmed with a code.
pub async fn enroll() -> Result<TotpEnrollment, ApiError> {
    decode(send(Method::POST, "/api/v1/auth/totp/enroll", None).await?).await
}

/// Confirms the enrolment with a current code; returns the recovery codes
/// (shown only this once).
pub async fn confirm(code: &str) -> Result<RecoveryCodes, ApiError> {
    let body = TotpCodeRequest {
        code: code.trim().to_owned(),
    };
    post("/api/v1/auth/totp/confirm", &body).await
}

pub async fn disable(password: &str) -> Result<(), ApiError> {
    let body = TotpDisableRequest {
        password: password.to_owned(),
    };
    post_unit("/api/v1/auth/totp/disable", Some(&body)).await
}
