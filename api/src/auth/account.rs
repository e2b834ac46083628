//! The signed-in account's own data and events — none of them a policy
//! decision: who am I, token refresh (and a replayed refresh token),
//! sign-out, password change, two-factor status, enrolment, on and off. Each records its ledger event in the
//! caller's transaction, so handlers never write to the ledger themselves
//! (sign-in's events are in [`super::login`]).
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
use crate::auth::{mfa, password, AuthUser};
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
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

/// Sets a new password after checking the current one; every session of
/// the account ends (`password_changed`).
pub fn change_password(
    conn: &mut PgConnection,
    user: AuthUser,
    current: &str,
    new: &NewPassword,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let row = own_row(conn, user)?;
    if !password::verify(&row.password_hash, current)? {
        return Err(ApiError::Unauthorized("current password is wrong"));
    }
    users::set_password(conn, user.id.0, new)?;
    record(conn, Action::PasswordChanged, user, ctx)
}

/// Confirms two-factor enrolment with a code (`mfa_enabled`); returns the
/// recovery codes, shown once.
pub fn enable_mfa(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user: AuthUser,
    code: &str,
    ctx: &RequestContext,
) -> Result<Vec<String>, ApiError> {
    let codes = mfa::confirm(conn, sealer, user.id.0, code)?;
    record(conn, Action::MfaEnabled, user, ctx)?;
    Ok(codes)
}

/// Turns two-factor sign-in off after checking the password (`mfa_disabled`).
pub fn disable_mfa(
    conn: &mut PgConnection,
    user: AuthUser,
    attempt: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let row = own_row(conn, user)?;
    if !password::verify(&row.password_hash, attempt)? {
        return Err(ApiError::validation("password", "the password is wrong"));
    }
    mfa::disable(conn, user.id.0)?;
    record(conn, Action::MfaDisabled, user, ctx)
}

fn record(
    conn: &mut PgConnection,
    action: Action,
    user: AuthUser,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    ledger::record(conn, &NewEvent::new(action, ctx).actor(user.id, user.role))
}
