//! Sign-in, refresh, sign-out, who-am-I, self-registration, password change.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use shared::auth::{
    ChangePasswordRequest, LoginRequest, LoginResponse, NewPassword, RegisterRequest, UserInfo,
};
use shared::{ErrorEnvelope, Role};

use crate::auth::login::{self as sign_in, Credentials, INVALID_CREDENTIALS};
use crate::auth::{account, AuthUser, AuthUserPendingMfa};
use crate::clinical::patients;
use crate::error::ApiError;
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::state::AppState;
use crate::users::NewAccount;

pub const REFRESH_COOKIE: &str = "careledger_refresh";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

fn refresh_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, token.to_owned())
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.cookie_secure)
        .max_age(CookieDuration::seconds(
            state.settings.refresh_token_ttl_secs as i64,
        ))
        .finish()
}

fn cleared_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = refresh_cookie(state, "");
    cookie.make_removal();
    cookie
}

fn token_response(
    state: &AppState,
    user: UserInfo,
    session_id: uuid::Uuid,
    mfa: bool,
    refresh_token: &str,
) -> Result<HttpResponse, ApiError> {
    let access_token = state.jwt.issue(user.id, user.role, session_id, mfa)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .cookie(refresh_cookie(state, refresh_token))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: state.jwt.ttl_secs(),
            user,
        }))
}

/// Sign in with username and password.
///
/// Returns a short-lived access token and sets the refresh token as an
/// HttpOnly, SameSite=Strict cookie. Failed attempts slow down further ones
/// from the same address (429 `locked` with Retry-After, growing delays);
/// many failures over all addresses also slow addresses that have failed,
/// never one that has not. Unknown usernames and wrong passwords answer
/// alike, throttled included.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in", body = LoginResponse),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Invalid username, password or second factor; or `mfa_required`: send `totp_code` or `recovery_code` too", body = ErrorEnvelope),
    (status = 429, description = "Too many failed attempts from this address (`locked`) or too many requests (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        username,
        password,
        totp_code,
        recovery_code,
    } = body.into_inner();
    if username.len() > 256 || password.len() > 1024 {
        return Err(ApiError::Unauthorized(INVALID_CREDENTIALS));
    }
    state
        .limiter
        .check(Scope::LoginByAddress, &ctx.source_key())?;
    let creds = Credentials {
        username,
        password,
        totp_code,
        recovery_code,
    };
    let signed_in = sign_in::sign_in(&state, creds, ctx).await?;
    token_response(
        &state,
        signed_in.user.info()?,
        signed_in.session.session_id,
        signed_in.mfa,
        &signed_in.session.refresh_token,
    )
}

/// Exchange the refresh cookie for a new access token (the cookie rotates).
///
/// Presenting a refresh token that was already used revokes its whole session.
#[utoipa::path(tag = "auth", responses(
    (status = 200, description = "New access token; the refresh cookie rotated", body = LoginResponse),
    (status = 401, description = "Missing, expired, revoked or reused refresh token", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let presented = req
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .ok_or(ApiError::Unauthorized("missing or invalid refresh token"))?;
    let ttl = state.settings.refresh_token_ttl_secs;
    // A replayed token's refusal commits (the session's revocation and its
    // event), then answers.
    let refreshed = state
        .db
        .run(move |conn| account::refresh(conn, &presented, ttl, &ctx))
        .await??;
    token_response(
        &state,
        refreshed.user,
        refreshed.session_id,
        refreshed.mfa,
        &refreshed.refresh_token,
    )
}

/// Sign out: revokes this session (its access and refresh tokens stop working).
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "Signed out"),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUserPendingMfa,
) -> Result<HttpResponse, ApiError> {
    let user = user.0;
    state
        .db
        .run(move |conn| account::sign_out(conn, user, &ctx))
        .await?;
    Ok(HttpResponse::NoContent()
        .cookie(cleared_cookie(&state))
        .finish())
}

/// The signed-in account.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "The caller", body = UserInfo),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
))]
#[get("/api/v1/auth/me")]
pub async fn me(
    state: web::Data<AppState>,
    user: AuthUserPendingMfa,
) -> Result<web::Json<UserInfo>, ApiError> {
    let info = state
        .db
        .autocommit(move |conn| account::me(conn, user.0))
        .await?;
    Ok(web::Json(info))
}

/// Register as a patient. A patient profile (with a new medical record
/// number) is created with the account; date of birth and sex are optional.
#[utoipa::path(tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, description = "Account created; sign in next", body = UserInfo),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 409, description = "Username taken", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    (status = 429, description = "Too many registrations from this address; see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    ctx: RequestContext,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(Scope::RegisterByAddress, &ctx.source_key())?;
    let body = body.into_inner();
    let account = NewAccount::parse(
        &body.username,
        &body.password,
        Role::Patient,
        &body.display_name,
    )?
    .hashed()
    .await?;
    let (date_of_birth, sex) = (body.date_of_birth, body.sex.unwrap_or_default());
    let sealer = state.sealer.clone();
    let row = state
        .db
        .run(move |conn| patients::register(conn, &sealer, account, date_of_birth, sex, &ctx))
        .await?;
    Ok(HttpResponse::Created().json(row.info()?))
}

/// Change your own password; every session, this one included, is signed out.
///
/// The current password is checked through the same guard as sign-in:
/// wrong guesses are counted and throttled alike.
#[utoipa::path(tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Password changed; sign in again"),
    (status = 401, description = "Not signed in, or the current password is wrong", body = ErrorEnvelope),
    (status = 422, description = "The new password is invalid", body = ErrorEnvelope),
    (status = 429, description = "Too many failed attempts (`locked`) or requests (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new_password = NewPassword::parse(&body.new_password).map_err(|mut e| {
        e.field = "new_password";
        ApiError::from(e)
    })?;
    state
        .limiter
        .check(Scope::LoginByAddress, &ctx.source_key())?;
    account::change_password(&state, user, body.current_password, new_password, ctx).await?;
    Ok(HttpResponse::NoContent()
        .cookie(cleared_cookie(&state))
        .finish())
}
