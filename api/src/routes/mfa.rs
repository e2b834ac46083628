//! Two-factor sign-in enrolment: status, enrol, confirm (returns recovery
//! codes once), turn off. An admin who must use two-factor sign-in can reach
//! these with a password-only session; everything else needs the full one.

use actix_web::{get, post, web, HttpResponse};
use shared::mfa::{RecoveryCodes, TotpCodeRequest, TotpDisableRequest, TotpEnrollment, TotpStatus};
use shared::{ErrorEnvelope, Role};

use crate::auth::{account, totp, AuthUserPendingMfa};
use crate::error::ApiError;
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::state::AppState;

fn required_for(state: &AppState, role: Role) -> bool {
    role == Role::Admin && state.settings.require_admin_totp
}

/// Whether two-factor sign-in is on (and required) for the caller.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "Two-factor status", body = TotpStatus),
))]
#[get("/api/v1/auth/totp")]
pub async fn totp_status(
    state: web::Data<AppState>,
    user: AuthUserPendingMfa,
) -> Result<web::Json<TotpStatus>, ApiError> {
    let user = user.0;
    let required = required_for(&state, user.role);
    let (enabled, recovery_codes_left) = state
        .db
        .autocommit(move |conn| account::mfa_status(conn, user))
        .await?;
    Ok(web::Json(TotpStatus {
        enabled,
        required,
        recovery_codes_left,
    }))
}

/// Start enrolling an authenticator app: returns its secret once.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "Secret and otpauth URI for the app", body = TotpEnrollment),
    (status = 409, description = "Two-factor sign-in is already on", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/totp/enroll")]
pub async fn totp_enroll(
    state: web::Data<AppState>,
    user: AuthUserPendingMfa,
) -> Result<HttpResponse, ApiError> {
    let user = user.0;
    let st = state.clone();
    let (secret, username) = state
        .db
        .run(move |conn| account::start_mfa(conn, &st.sealer, user))
        .await?;
    let secret = totp::base32_encode(&secret);
    let otpauth_uri = format!(
        "otpauth://totp/CareLedger:{username}?secret={secret}&issuer=CareLedger&algorithm=SHA1&digits=6&period=30"
    );
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TotpEnrollment {
            secret,
            otpauth_uri,
        }))
}

/// Confirm enrolment with a current code; returns one-time recovery codes once.
///
/// Sign in again (with a code) to get a session that counts as two-factor.
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = TotpCodeRequest, responses(
    (status = 200, description = "Two-factor sign-in is on; store these recovery codes", body = RecoveryCodes),
    (status = 409, description = "No enrolment in progress, or already on", body = ErrorEnvelope),
    (status = 422, description = "The code is not valid", body = ErrorEnvelope),
    (status = 429, description = "Too many failed attempts (`locked`) or requests (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/totp/confirm")]
pub async fn totp_confirm(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUserPendingMfa,
    body: web::Json<TotpCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = user.0;
    let code = body.into_inner().code;
    state
        .limiter
        .check(Scope::LoginByAddress, &ctx.source_key())?;
    let codes = account::enable_mfa(&state, user, code, ctx).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(RecoveryCodes { codes }))
}

/// Turn two-factor sign-in off (needs the password; not allowed where it is required).
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = TotpDisableRequest, responses(
    (status = 204, description = "Two-factor sign-in is off"),
    (status = 403, description = "Two-factor sign-in is required for this account", body = ErrorEnvelope),
    (status = 422, description = "The password is wrong", body = ErrorEnvelope),
    (status = 429, description = "Too many failed attempts (`locked`) or requests (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/totp/disable")]
pub async fn totp_disable(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUserPendingMfa,
    body: web::Json<TotpDisableRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = user.0;
    if required_for(&state, user.role) {
        return Err(ApiError::Forbidden(
            "two-factor sign-in is required for this account",
        ));
    }
    let attempt = body.into_inner().password;
    state
        .limiter
        .check(Scope::LoginByAddress, &ctx.source_key())?;
    account::disable_mfa(&state, user, attempt, ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}
