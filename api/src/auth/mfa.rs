//! Two-factor sign-in state: the enrolled TOTP secret (sealed at rest by the
//! record sealer under its newest key, bound to the account id, re-sealed
//! by `keys rotate`), replay protection, and
//! one-time recovery codes (stored as SHA-256 digests, shown once).

use chrono::Utc;
use diesel::prelude::*;
use ring::rand::SystemRandom;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::totp;
use crate::crypto::seal::{Aad, Sealer};
use crate::db::schema::{recovery_codes, user_totp};
use crate::error::ApiError;
use crate::keys::random_bytes;

pub const RECOVERY_CODE_COUNT: usize = 10;

/// What the second factor said at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaCheck {
    NotEnrolled,
    /// Enrolled, and no code was given.
    Required,
    Passed,
    Failed,
}

fn open_secret(
    sealer: &Sealer,
    user_id: Uuid,
    key_id: i32,
    nonce: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>, ApiError> {
    sealer
        .open(key_id, nonce, sealed, &Aad::TotpSecret { user_id })
        .map_err(|e| ApiError::internal("totp unsealing", e))
}

/// Starts (or restarts) an unconfirmed enrolment and returns the secret.
pub fn enroll(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user_id: Uuid,
) -> Result<Vec<u8>, ApiError> {
    if is_enabled(conn, user_id)? {
        return Err(ApiError::Conflict(
            "two-factor sign-in is already on; turn it off first to enrol a new authenticator"
                .into(),
        ));
    }
    let secret = random_bytes::<20>(&SystemRandom::new())
        .map_err(|e| ApiError::internal("totp secret", e))?
        .to_vec();
    let sealed = sealer.seal(&Aad::TotpSecret { user_id }, &secret)?;
    diesel::delete(user_totp::table.find(user_id)).execute(conn)?;
    diesel::insert_into(user_totp::table)
        .values((
            user_totp::user_id.eq(user_id),
            user_totp::key_id.eq(sealed.key_id),
            user_totp::nonce.eq(sealed.nonce.to_vec()),
            user_totp::secret_sealed.eq(sealed.ciphertext),
        ))
        .execute(conn)?;
    Ok(secret)
}

type TotpRow = (
    i32,
    Vec<u8>,
    Vec<u8>,
    Option<chrono::DateTime<Utc>>,
    Option<i64>,
);

fn load(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<TotpRow>, ApiError> {
    Ok(user_totp::table
        .find(user_id)
        .select((
            user_totp::key_id,
            user_totp::nonce,
            user_totp::secret_sealed,
            user_totp::confirmed_at,
            user_totp::last_used_step,
        ))
        .for_update()
        .first(conn)
        .optional()?)
}

/// Accepts `code` if it matches a step newer than the last one used.
fn accept_code(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user_id: Uuid,
    row: &TotpRow,
    code: &str,
) -> Result<bool, ApiError> {
    let (key_id, nonce, sealed, _, last_used) = row;
    let secret = open_secret(sealer, user_id, *key_id, nonce, sealed)?;
    let Some(step) = totp::matching_step(&secret, code, Utc::now().timestamp()) else {
        return Ok(false);
    };
    if last_used.is_some_and(|last| step <= last) {
        return Ok(false);
    }
    diesel::update(user_totp::table.find(user_id))
        .set(user_totp::last_used_step.eq(step))
        .execute(conn)?;
    Ok(true)
}

/// Confirms the pending enrolment with a code and returns fresh recovery codes.
pub fn confirm(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user_id: Uuid,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let row = load(conn, user_id)?
        .ok_or_else(|| ApiError::Conflict("start an enrolment first".into()))?;
    if row.3.is_some() {
        return Err(ApiError::Conflict(
            "two-factor sign-in is already on".into(),
        ));
    }
    if !accept_code(conn, sealer, user_id, &row, code)? {
        return Err(ApiError::validation(
            "code",
            "that code is not valid; check the app and your clock",
        ));
    }
    diesel::update(user_totp::table.find(user_id))
        .set(user_totp::confirmed_at.eq(Utc::now()))
        .execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let rng = SystemRandom::new();
    let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
    for _ in 0..RECOVERY_CODE_COUNT {
        let raw = totp::base32_encode(
            &random_bytes::<8>(&rng).map_err(|e| ApiError::internal("recovery code", e))?,
        )
        .to_ascii_lowercase();
        let code = format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..]);
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::code_hash.eq(recovery_digest(&code)),
                recovery_codes::user_id.eq(user_id),
            ))
            .execute(conn)?;
        codes.push(code);
    }
    Ok(codes)
}

fn recovery_digest(code: &str) -> Vec<u8> {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

pub fn is_enabled(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, ApiError> {
    Ok(user_totp::table
        .find(user_id)
        .select(user_totp::confirmed_at)
        .first::<Option<chrono::DateTime<Utc>>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

pub fn recovery_codes_left(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, ApiError> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// The second-factor step of sign-in (after the password matched).
pub fn check_at_login(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user_id: Uuid,
    totp_code: Option<&str>,
    recovery_code: Option<&str>,
) -> Result<MfaCheck, ApiError> {
    let Some(row) = load(conn, user_id)?.filter(|r| r.3.is_some()) else {
        return Ok(MfaCheck::NotEnrolled);
    };
    if let Some(code) = totp_code {
        return Ok(if accept_code(conn, sealer, user_id, &row, code)? {
            MfaCheck::Passed
        } else {
            MfaCheck::Failed
        });
    }
    if let Some(code) = recovery_code {
        let used = diesel::update(
            recovery_codes::table
                .filter(recovery_codes::code_hash.eq(recovery_digest(code)))
                .filter(recovery_codes::user_id.eq(user_id))
                .filter(recovery_codes::used_at.is_null()),
        )
        .set(recovery_codes::used_at.eq(Utc::now()))
        .execute(conn)?;
        return Ok(if used == 1 {
            MfaCheck::Passed
        } else {
            MfaCheck::Failed
        });
    }
    Ok(MfaCheck::Required)
}

pub fn disable(conn: &mut PgConnection, user_id: Uuid) -> Result<(), ApiError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(user_totp::table.find(user_id)).execute(conn)?;
    Ok(())
}
