//! The signed-in account's own data and events — none of them a policy
//! decision: who am I, token refresh (and a replayed refresh token),
//! sign-out, password change, two-factor status, enrolment, on and off. Each records its ledger event in the
//! caller's transaction, so handlers never write to the ledger themselves
//! (sign-in's events are in [`super::login`]). Those that check a password
//! or a code (password change, two-factor confirm and off) go through the
//! credential guard ([`super::guard`]) and hash outside any transaction.
//!
//! Functions that refuse but must keep what they did (a replayed refresh
//! token revokes its session and is recorded) return the refusal as the
//! inner `Err` of an `Ok`: the transaction commits, then the caller answers
//! with it.

use diesel::prelude::*;
use shared::auth::{NewPassword, UserInfo};
use shared::ledger::Action;
use shared::UserId;

use crate::auth::sessions::{self, RevokeReason, Rotation};
use crate::auth::{guard, mfa, password, AuthUser};
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
use crate::state::AppState;
use crate::users;

const INVALID_REFRESH: &str = "missing or invalid refresh token";
const INVALID_ACCESS: &str = "missing or invalid access token";

/// A rotated refresh token and who it belongs to.
pub struct Refreshed {
    pub user: UserInfo,
    pub session_id: uuid::Uuid,
    pub mfa: bool,
    pub refresh_token: String,
}

/// The caller's own account.
pub fn me(conn: &mut PgConnection, user: AuthUser) -> Result<UserInfo, ApiError> {
    own_row(conn, user)?.info()
}

/// Whether two-factor sign-in is on, and how many recovery codes are left.
pub fn mfa_status(conn: &mut PgConnection, user: AuthUser) -> Result<(bool, i64), ApiError> {
    Ok((
        mfa::is_enabled(conn, user.id.0)?,
        mfa::recovery_codes_left(conn, user.id.0)?,
    ))
}

/// Starts (or restarts) an enrolment: the new secret, shown once, and the
/// username the authenticator app labels it with. Nothing is on until
/// [`enable_mfa`] confirms a code.
pub fn start_mfa(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user: AuthUser,
) -> Result<(Vec<u8>, String), ApiError> {
    let row = own_row(conn, user)?;
    Ok((mfa::enroll(conn, sealer, user.id.0)?, row.username))
}

fn own_row(conn: &mut PgConnection, user: AuthUser) -> Result<users::UserRow, ApiError> {
    users::find_by_id(conn, user.id.0)?.ok_or(ApiError::Unauthorized(INVALID_ACCESS))
}

/// Spends `presented` for a new refresh token (`token_refreshed`). A token
/// presented twice revokes its session and is recorded
/// (`refresh_reuse_detected`, denied); that refusal commits.
pub fn refresh(
    conn: &mut PgConnection,
    presented: &str,
    ttl_secs: u64,
    ctx: &RequestContext,
) -> Result<Result<Refreshed, ApiError>, ApiError> {
    match sessions::rotate(conn, presented, ttl_secs)? {
        Rotation::Rotated {
            user_id,
            session_id,
            mfa,
            refresh_token,
        } => {
            let user = users::find_by_id(conn, user_id)?
                .filter(|u| !u.disabled)
                .ok_or(ApiError::Unauthorized(INVALID_REFRESH))?;
            let role = user.role()?;
            ledger::record(
                conn,
                &NewEvent::new(Action::TokenRefreshed, ctx).actor(UserId(user.id), role),
            )?;
            Ok(Ok(Refreshed {
                user: user.info()?,
                session_id,
                mfa,
                refresh_token,
            }))
        }
        Rotation::ReuseDetected { user_id, .. } => {
            ledger::record(
                conn,
                &NewEvent::new(Action::RefreshReuseDetected, ctx)
                    .denied()
                    .subject_user(UserId(user_id)),
            )?;
            Ok(Err(ApiError::Unauthorized(INVALID_REFRESH)))
        }
        Rotation::Invalid => Err(ApiError::Unauthorized(INVALID_REFRESH)),
    }
}

/// Revokes the caller's session (`logout`).
pub fn sign_out(
    conn: &mut PgConnection,
    user: AuthUser,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    sessions::revoke(conn, user.session_id, RevokeReason::Logout)?;
    record(conn, Action::Logout, user, ctx)
}

/// The caller's row, read outside any transaction (for the guard's name
/// and the stored hash).
async fn own_row_now(state: &AppState, user: AuthUser) -> Result<users::UserRow, ApiError> {
    state.db.autocommit(move |conn| own_row(conn, user)).await
}

/// Checks the caller's own password through the credential guard: admitted
/// (or `429 locked`), then verified outside any transaction. Returns the
/// admitted attempt when the password was right.
async fn check_own_password(
    state: &AppState,
    user: AuthUser,
    attempt: String,
    ctx: &RequestContext,
) -> Result<Option<guard::Attempt>, ApiError> {
    let row = own_row_now(state, user).await?;
    let admitted = guard::admit(&state.db, state.settings.guard, &row.username, ctx).await?;
    let ok = password::verify_async(row.password_hash, attempt).await?;
    Ok(ok.then_some(admitted))
}

/// Sets a new password after checking the current one (through the
/// credential guard: wrong guesses here are throttled like sign-in's);
/// every session of the account ends (`password_changed`). Both argon2 runs
/// happen before the transaction.
pub async fn change_password(
    state: &AppState,
    user: AuthUser,
    current: String,
    new: NewPassword,
    ctx: RequestContext,
) -> Result<(), ApiError> {
    let attempt = check_own_password(state, user, current, &ctx)
        .await?
        .ok_or(ApiError::Unauthorized("current password is wrong"))?;
    let hash = password::hash_async(new.expose().to_owned()).await?;
    state
        .db
        .run(move |conn| {
            attempt.succeeded(conn)?;
            users::set_password(conn, user.id.0, &hash)?;
            record(conn, Action::PasswordChanged, user, &ctx)
        })
        .await
}

/// Confirms two-factor enrolment with a code (`mfa_enabled`), through the
/// credential guard (a wrong code counts); returns the recovery codes,
/// shown once.
pub async fn enable_mfa(
    state: &AppState,
    user: AuthUser,
    code: String,
    ctx: RequestContext,
) -> Result<Vec<String>, ApiError> {
    let row = own_row_now(state, user).await?;
    let attempt = guard::admit(&state.db, state.settings.guard, &row.username, &ctx).await?;
    let sealer = state.sealer.clone();
    state
        .db
        .run(move |conn| {
            let codes = mfa::confirm(conn, &sealer, user.id.0, &code)?;
            attempt.succeeded(conn)?;
            record(conn, Action::MfaEnabled, user, &ctx)?;
            Ok(codes)
        })
        .await
}

/// Turns two-factor sign-in off after checking the password (through the
/// credential guard) (`mfa_disabled`).
pub async fn disable_mfa(
    state: &AppState,
    user: AuthUser,
    attempt: String,
    ctx: RequestContext,
) -> Result<(), ApiError> {
    let admitted = check_own_password(state, user, attempt, &ctx)
        .await?
        .ok_or_else(|| ApiError::validation("password", "the password is wrong"))?;
    state
        .db
        .run(move |conn| {
            admitted.succeeded(conn)?;
            mfa::disable(conn, user.id.0)?;
            record(conn, Action::MfaDisabled, user, &ctx)
        })
        .await
}

fn record(
    conn: &mut PgConnection,
    action: Action,
    user: AuthUser,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    ledger::record(conn, &NewEvent::new(action, ctx).actor(user.id, user.role))
}
