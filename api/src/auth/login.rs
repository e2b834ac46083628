//! Sign-in through the credential guard ([`super::guard`]): the attempt is
//! admitted (or refused, `429 locked`, before the name is even looked up),
//! the password is verified with argon2 outside any transaction and holding
//! no pooled connection, then one transaction checks the second factor,
//! opens the session and records the outcome. A name with no account costs
//! a dummy hash and answers exactly like a wrong password — in every state
//! of the guard, since the guard counts names, not accounts.

use diesel::prelude::*;
use shared::ledger::Action;
use shared::{Role, UserId};

use crate::auth::mfa::{self, MfaCheck};
use crate::auth::{guard, password, sessions};
use crate::crypto::seal::Sealer;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
use crate::state::AppState;
use crate::users::{self, UserRow};

pub const INVALID_CREDENTIALS: &str = "invalid username or password";

pub struct SignedIn {
    pub user: UserRow,
    pub role: Role,
    pub session: sessions::NewSession,
    /// A second factor was checked.
    pub mfa: bool,
}

/// What the caller presented.
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub totp_code: Option<String>,
    pub recovery_code: Option<String>,
}

/// The whole sign-in. A refusal after the check (wrong password, wrong or
/// missing second factor) commits its `login_failed` event, then answers;
/// the guard counted the attempt when it admitted it.
pub async fn sign_in(
    state: &AppState,
    creds: Credentials,
    ctx: RequestContext,
) -> Result<SignedIn, ApiError> {
    let attempt = guard::admit(&state.db, state.settings.guard, &creds.username, &ctx).await?;
    let normalised = creds.username.trim().to_ascii_lowercase();
    // No account name holds NUL (PostgreSQL text cannot), so such a name is
    // an unknown user — answered like any other, not as a database error.
    let found = if normalised.contains('\0') {
        None
    } else {
        state
            .db
            .autocommit(move |conn| users::find_by_username(conn, &normalised))
            .await?
    };
    let stored = found.as_ref().map_or_else(
        || state.dummy_password_hash.clone(),
        |u| u.password_hash.clone(),
    );
    let matches = password::verify_async(stored, creds.password).await?;
    let sealer = state.sealer.clone();
    let ttl = state.settings.refresh_token_ttl_secs;
    let codes = (creds.totp_code, creds.recovery_code);
    state
        .db
        .run(move |conn| {
            let checked = Checked {
                user: found,
                password_ok: matches,
                totp_code: codes.0,
                recovery_code: codes.1,
            };
            conclude(conn, checked, &attempt, &sealer, ttl, &ctx)
        })
        .await?
}

/// What was found and checked before the transaction.
struct Checked {
    user: Option<UserRow>,
    password_ok: bool,
    totp_code: Option<String>,
    recovery_code: Option<String>,
}

/// The transaction after the password check. The outer error is a failure
/// (rolled back); the inner result is the attempt's outcome, committed
/// either way so a refusal keeps its `login_failed` event. A wrong second
/// factor is a failed attempt like a wrong password.
fn conclude(
    conn: &mut PgConnection,
    checked: Checked,
    attempt: &guard::Attempt,
    sealer: &Sealer,
    session_ttl_secs: u64,
    ctx: &RequestContext,
) -> Result<Result<SignedIn, ApiError>, ApiError> {
    let invalid = || Ok(Err(ApiError::Unauthorized(INVALID_CREDENTIALS)));
    let Some(user) = checked.user else {
        ledger::record(conn, &NewEvent::new(Action::LoginFailed, ctx).denied())?;
        return invalid();
    };
    let role = user.role()?;
    let failed_event = NewEvent::new(Action::LoginFailed, ctx)
        .denied()
        .subject_user(UserId(user.id));
    let second_factor = if checked.password_ok && !user.disabled {
        mfa::check_at_login(
            conn,
            sealer,
            user.id,
            checked.totp_code.as_deref(),
            checked.recovery_code.as_deref(),
        )?
    } else {
        MfaCheck::Failed
    };
    match second_factor {
        MfaCheck::Failed => {
            ledger::record(conn, &failed_event)?;
            return invalid();
        }
        MfaCheck::Required => {
            ledger::record(conn, &failed_event)?;
            return Ok(Err(ApiError::MfaRequired));
        }
        MfaCheck::NotEnrolled | MfaCheck::Passed => {}
    }
    attempt.succeeded(conn)?;
    let passed_mfa = second_factor == MfaCheck::Passed;
    let session = sessions::create(conn, user.id, session_ttl_secs, passed_mfa)?;
    ledger::record(
        conn,
        &NewEvent::new(Action::Login, ctx).actor(UserId(user.id), role),
    )?;
    Ok(Ok(SignedIn {
        user,
        role,
        session,
        mfa: passed_mfa,
    }))
}
