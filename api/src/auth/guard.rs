//! The credential guard: every endpoint that checks a password, a TOTP code
//! or a recovery code asks it first — sign-in, `POST /auth/password`,
//! two-factor confirm and disable. The rules (per-source progressive delays,
//! an account-wide ceiling that spares clean sources) are in
//! [`super::throttle`]; this module keeps their counters in PostgreSQL
//! (`credential_throttle`, shared by every api process) and answers.
//!
//! How an endpoint uses it:
//! 1. [`admit`] — one short transaction: counts the attempt, or refuses it
//!    (`429 locked` with `Retry-After`) without looking at the credential.
//! 2. The check itself, **outside any transaction and holding no pooled
//!    connection**: argon2 through `password::verify_async` (at most one
//!    hash per core). A name with no account verifies against the dummy
//!    hash, so it costs the same.
//! 3. In the endpoint's own transaction: [`Attempt::succeeded`] when the
//!    credential was right. A failure needs nothing more: it was counted in
//!    step 1.
//!
//! Counters are keyed by the normalised account *name*, never by whether
//! it exists, and [`admit`] runs before the name is looked up, so every
//! answer — admitted, refused, its `Retry-After` — is the same for a name
//! with an account and one without.
//!
//! A refusal takes no lock: one autocommit read of both counters answers
//! it, so a flood from a throttled source costs a SELECT per request and
//! holds no row lock another request waits for. Only an attempt that looks
//! admissible takes the counters' row locks (account-wide row first) and
//! is decided again under them, so concurrent guesses are counted one at a
//! time and cannot all slip in before the first is written.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::throttle::{self, Admission, Counter, GuardSettings};
use crate::db::schema::{credential_throttle as ct, users};
use crate::db::Database;
use crate::error::ApiError;
use crate::request::RequestContext;

/// The account-wide counter's `source`.
const ALL_SOURCES: &str = "*";

/// The longest account name kept as a key (longer ones cannot be accounts).
const MAX_KEY_CHARS: usize = 256;

/// An attempt the guard admitted (and counted).
#[derive(Debug, Clone)]
pub struct Attempt {
    account_key: String,
    source: String,
}

/// The key an account name counts under: trimmed, lower-case (as sign-in
/// normalises names), at most 256 characters, NUL (which PostgreSQL text
/// cannot hold) replaced.
pub fn account_key(name: &str) -> String {
    let normalised = name.trim().to_ascii_lowercase().replace('\0', "\u{fffd}");
    let key: String = normalised.chars().take(MAX_KEY_CHARS).collect();
    if key.is_empty() {
        "\u{fffd}".into()
    } else {
        key
    }
}

/// Counts an attempt to present a credential for `name` from the request's
/// source, or refuses it (`ApiError::Locked`, with the wait).
pub async fn admit(
    db: &Database,
    settings: GuardSettings,
    name: &str,
    ctx: &RequestContext,
) -> Result<Attempt, ApiError> {
    let attempt = Attempt {
        account_key: account_key(name),
        source: ctx.source_key(),
    };
    let a = attempt.clone();
    let early = db
        .autocommit(move |conn| peek(conn, &a, &settings, Utc::now()))
        .await?;
    let a = attempt.clone();
    let admission = match early {
        refused @ Admission::Refused { .. } => refused,
        Admission::Admitted => {
            db.run(move |conn| decide(conn, &a, &settings, Utc::now()))
                .await?
        }
    };
    match admission {
        Admission::Admitted => Ok(attempt),
        Admission::Refused { until } => Err(ApiError::Locked {
            retry_after_secs: (until - Utc::now()).num_seconds().max(1) as u64,
        }),
    }
}

/// What [`decide`] would answer, from an unlocked read, changing nothing.
fn peek(
    conn: &mut PgConnection,
    attempt: &Attempt,
    settings: &GuardSettings,
    now: DateTime<Utc>,
) -> Result<Admission, ApiError> {
    let (mut source, mut account) = read(conn, attempt, now, Lock::None)?;
    Ok(throttle::admit(&mut source, &mut account, now, settings))
}

fn decide(
    conn: &mut PgConnection,
    attempt: &Attempt,
    settings: &GuardSettings,
    now: DateTime<Utc>,
) -> Result<Admission, ApiError> {
    create_rows(conn, attempt, now)?;
    let (mut source, mut account) = read(conn, attempt, now, Lock::ForUpdate)?;
    let before = account.blocked_until;
    let admission = throttle::admit(&mut source, &mut account, now, settings);
    if admission == Admission::Admitted {
        save(conn, attempt, &source, &account)?;
        if account.blocked_until != before {
            mirror_block(conn, &attempt.account_key, account.blocked_until)?;
        }
    }
    Ok(admission)
}

impl Attempt {
    /// The credential was right (call in the endpoint's transaction): the
    /// source starts clean and the account's count gets the attempt back.
    pub fn succeeded(&self, conn: &mut PgConnection) -> Result<(), ApiError> {
        let now = Utc::now();
        create_rows(conn, self, now)?;
        let (mut source, mut account) = read(conn, self, now, Lock::ForUpdate)?;
        throttle::succeeded(&mut source, &mut account);
        save(conn, self, &source, &account)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lock {
    None,
    ForUpdate,
}

/// Creates both counters of `attempt` if missing (so they can be locked).
fn create_rows(
    conn: &mut PgConnection,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    diesel::insert_into(ct::table)
        .values([ALL_SOURCES, attempt.source.as_str()].map(|source| {
            (
                ct::account_key.eq(&attempt.account_key),
                ct::source.eq(source),
                ct::last_attempt.eq(now),
            )
        }))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// Both counters of `attempt` (fresh ones where no row is), locked if
/// asked (account-wide row first — `*` sorts before any address — so two
/// attempts never wait on each other in opposite orders).
fn read(
    conn: &mut PgConnection,
    attempt: &Attempt,
    now: DateTime<Utc>,
    lock: Lock,
) -> Result<(Counter, Counter), ApiError> {
    let query = ct::table
        .filter(ct::account_key.eq(&attempt.account_key))
        .filter(ct::source.eq_any([ALL_SOURCES, attempt.source.as_str()]))
        .order(ct::source)
        .select((
            ct::source,
            ct::failures,
            ct::last_attempt,
            ct::blocked_until,
        ));
    type Row = (String, i32, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = match lock {
        Lock::ForUpdate => query.for_update().load(conn)?,
        Lock::None => query.load(conn)?,
    };
    let counter = |which: &str| {
        rows.iter()
            .find(|r| r.0 == which)
            .map(|r| Counter {
                failures: r.1,
                last_attempt: r.2,
                blocked_until: r.3,
            })
            .unwrap_or_else(|| Counter::fresh(now))
    };
    Ok((counter(&attempt.source), counter(ALL_SOURCES)))
}

fn save(
    conn: &mut PgConnection,
    attempt: &Attempt,
    source: &Counter,
    account: &Counter,
) -> Result<(), ApiError> {
    for (which, c) in [(attempt.source.as_str(), source), (ALL_SOURCES, account)] {
        diesel::update(ct::table.find((&attempt.account_key, which)))
            .set((
                ct::failures.eq(c.failures),
                ct::last_attempt.eq(c.last_attempt),
                ct::blocked_until.eq(c.blocked_until),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `users.locked_until` shows the account-wide delay in the admin's user
/// list (no row changes for a name without an account).
fn mirror_block(
    conn: &mut PgConnection,
    key: &str,
    until: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    diesel::update(users::table.filter(users::username.eq(key)))
        .set(users::locked_until.eq(until))
        .execute(conn)?;
    Ok(())
}

/// An admin's unlock: every counter of the account starts afresh.
pub fn forget_account(conn: &mut PgConnection, username: &str) -> Result<(), ApiError> {
    diesel::delete(ct::table.filter(ct::account_key.eq(account_key(username)))).execute(conn)?;
    mirror_block(conn, username, None)
}

/// Removes counters quiet for longer than `window` and no longer blocking
/// (names sprayed once must not pile up); returns how many.
pub fn sweep(conn: &mut PgConnection, window: std::time::Duration) -> Result<usize, ApiError> {
    let quiet = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now() - quiet;
    Ok(diesel::delete(
        ct::table.filter(ct::last_attempt.lt(cutoff)).filter(
            ct::blocked_until
                .is_null()
                .or(ct::blocked_until.lt(Utc::now())),
        ),
    )
    .execute(conn)?)
}

/// Deletes quiet counters every `every` (each api process; the DELETE is
/// idempotent).
pub fn spawn_sweeper(db: Database, window: std::time::Duration, every: std::time::Duration) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(every).await;
            match db.run(move |conn| sweep(conn, window)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "quiet credential counters deleted"),
                Err(e) => tracing::warn!(error = %e, "deleting quiet credential counters failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised_and_bounded() {
        assert_eq!(account_key("  Dr_Smith "), "dr_smith");
        assert_eq!(account_key("a\0b"), "a\u{fffd}b");
        assert_eq!(account_key(&"x".repeat(300)).chars().count(), 256);
        assert_eq!(account_key("   "), "\u{fffd}");
    }
}
