//! Sign-in with lockout. The account row is locked for the whole attempt, so
//! concurrent guesses are evaluated one at a time: after
//! [`MAX_FAILED_ATTEMPTS`] failures the account is locked for
//! [`LOCKOUT_MINUTES`] and further attempts are refused without evaluating the
//! password. An unknown username costs a dummy hash and answers exactly like
//! a wrong password.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use shared::ledger::Action;
use shared::{Role, UserId};

use crate::auth::mfa::{self, MfaCheck};
use crate::auth::{password, sessions};
use crate::crypto::seal::Sealer;
use crate::db::schema::users as user_rows;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
use crate::users::{self, UserRow};

pub const MAX_FAILED_ATTEMPTS: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

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

/// Runs inside one transaction and records the attempt's event (`login` or
/// `login_failed`). The outer error is a failure (rolled back, nothing kept);
/// the inner result is the attempt's outcome, committed either way, so a
/// refusal keeps its failure count and its `login_failed` event. A wrong
/// second factor counts toward the lockout like a wrong password.
pub fn sign_in(
    conn: &mut PgConnection,
    creds: &Credentials,
    sealer: &Sealer,
    dummy_hash: &str,
    session_ttl_secs: u64,
    ctx: &RequestContext,
) -> Result<Result<SignedIn, ApiError>, ApiError> {
    let normalised = creds.username.trim().to_ascii_lowercase();
    let invalid = || Ok(Err(ApiError::Unauthorized(INVALID_CREDENTIALS)));
    // No account name holds NUL (PostgreSQL text cannot), so such a name is
    // an unknown user — answered like any other, not as a database error.
    let found = if normalised.contains('\0') {
        None
    } else {
        users::find_by_username_for_update(conn, &normalised)?
    };
    let Some(user) = found else {
        password::verify(dummy_hash, &creds.password)?;
        ledger::record(conn, &NewEvent::new(Action::LoginFailed, ctx).denied())?;
        return invalid();
    };
    let role = user.role()?;
    let failed_event = NewEvent::new(Action::LoginFailed, ctx)
        .denied()
        .subject_user(UserId(user.id));
    let now = Utc::now();
    if let Some(until) = user.locked_until.filter(|t| *t > now) {
        ledger::record(conn, &failed_event)?;
        return Ok(Err(ApiError::Locked {
            retry_after_secs: retry_after(until, now),
        }));
    }
    let matches = password::verify(&user.password_hash, &creds.password)?;
    let second_factor = if matches && !user.disabled {
        mfa::check_at_login(
            conn,
            sealer,
            user.id,
            creds.totp_code.as_deref(),
            creds.recovery_code.as_deref(),
        )?
    } else {
        MfaCheck::Failed
    };
    match second_factor {
        MfaCheck::Failed => {
            count_failure(conn, &user, now)?;
            ledger::record(conn, &failed_event)?;
            return invalid();
        }
        MfaCheck::Required => {
            ledger::record(conn, &failed_event)?;
            return Ok(Err(ApiError::MfaRequired));
        }
        MfaCheck::NotEnrolled | MfaCheck::Passed => {}
    }
    diesel::update(user_rows::table.find(user.id))
        .set((
            user_rows::failed_logins.eq(0),
            user_rows::locked_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
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

/// One more failure; the fifth locks the account.
fn count_failure(
    conn: &mut PgConnection,
    user: &UserRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let failures = user.failed_logins + 1;
    let (failures, locked_until) = if failures >= MAX_FAILED_ATTEMPTS {
        (0, Some(now + Duration::minutes(LOCKOUT_MINUTES)))
    } else {
        (failures, None::<DateTime<Utc>>)
    };
    diesel::update(user_rows::table.find(user.id))
        .set((
            user_rows::failed_logins.eq(failures),
            user_rows::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    Ok(())
}

fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let secs = (until - now).num_seconds().max(1);
    secs as u64
}
