//! Sign-in sessions and their rotating refresh tokens. A session is one
//! refresh-token family: each refresh spends the presented token and issues a
//! new one; presenting an already-spent token means it was copied, so the
//! whole family is revoked. Only SHA-256 digests of tokens are stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use ring::rand::SystemRandom;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::{auth_sessions, refresh_tokens};
use crate::error::ApiError;
use crate::keys::random_bytes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    Reuse,
    PasswordChanged,
    Disabled,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Logout => "logout",
            RevokeReason::Reuse => "reuse",
            RevokeReason::PasswordChanged => "password_changed",
            RevokeReason::Disabled => "disabled",
        }
    }
}

pub struct NewSession {
    pub session_id: Uuid,
    pub refresh_token: String,
}

pub enum Rotation {
    /// A fresh refresh token for a live session.
    Rotated {
        user_id: Uuid,
        session_id: Uuid,
        mfa: bool,
        refresh_token: String,
    },
    /// A spent token was presented again; its session is now revoked.
    ReuseDetected { user_id: Uuid, session_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> Result<String, ApiError> {
    let bytes = random_bytes::<32>(&SystemRandom::new())
        .map_err(|e| ApiError::internal("generating refresh token", e))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn insert_token(
    conn: &mut PgConnection,
    session_id: Uuid,
    ttl_secs: u64,
) -> Result<String, ApiError> {
    let token = new_token()?;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(digest(&token)),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::expires_at.eq(Utc::now() + Duration::seconds(ttl_secs as i64)),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn create(
    conn: &mut PgConnection,
    user_id: Uuid,
    ttl_secs: u64,
    mfa: bool,
) -> Result<NewSession, ApiError> {
    let session_id = Uuid::new_v4();
    diesel::insert_into(auth_sessions::table)
        .values((
            auth_sessions::id.eq(session_id),
            auth_sessions::user_id.eq(user_id),
            auth_sessions::mfa.eq(mfa),
            auth_sessions::expires_at.eq(Utc::now() + Duration::seconds(ttl_secs as i64)),
        ))
        .execute(conn)?;
    let refresh_token = insert_token(conn, session_id, ttl_secs)?;
    Ok(NewSession {
        session_id,
        refresh_token,
    })
}

pub fn rotate(
    conn: &mut PgConnection,
    presented: &str,
    ttl_secs: u64,
) -> Result<Rotation, ApiError> {
    let found = refresh_tokens::table
        .inner_join(auth_sessions::table)
        .filter(refresh_tokens::token_hash.eq(digest(presented)))
        .select((
            refresh_tokens::used_at,
            refresh_tokens::expires_at,
            auth_sessions::id,
            auth_sessions::user_id,
            auth_sessions::revoked_at,
            auth_sessions::mfa,
        ))
        .for_update()
        .first::<(
            Option<chrono::DateTime<Utc>>,
            chrono::DateTime<Utc>,
            Uuid,
            Uuid,
            Option<chrono::DateTime<Utc>>,
            bool,
        )>(conn)
        .optional()?;
    let Some((used_at, expires_at, session_id, user_id, revoked_at, mfa)) = found else {
        return Ok(Rotation::Invalid);
    };
    if revoked_at.is_some() {
        return Ok(Rotation::Invalid);
    }
    if used_at.is_some() {
        revoke(conn, session_id, RevokeReason::Reuse)?;
        return Ok(Rotation::ReuseDetected {
            user_id,
            session_id,
        });
    }
    if expires_at <= Utc::now() {
        return Ok(Rotation::Invalid);
    }
    diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(digest(presented))))
        .set(refresh_tokens::used_at.eq(Utc::now()))
        .execute(conn)?;
    let refresh_token = insert_token(conn, session_id, ttl_secs)?;
    Ok(Rotation::Rotated {
        user_id,
        session_id,
        mfa,
        refresh_token,
    })
}

pub fn revoke(
    conn: &mut PgConnection,
    session_id: Uuid,
    reason: RevokeReason,
) -> Result<(), ApiError> {
    diesel::update(
        auth_sessions::table
            .filter(auth_sessions::id.eq(session_id))
            .filter(auth_sessions::revoked_at.is_null()),
    )
    .set((
        auth_sessions::revoked_at.eq(Utc::now()),
        auth_sessions::revoked_reason.eq(reason.as_str()),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn revoke_all_for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
    reason: RevokeReason,
) -> Result<(), ApiError> {
    diesel::update(
        auth_sessions::table
            .filter(auth_sessions::user_id.eq(user_id))
            .filter(auth_sessions::revoked_at.is_null()),
    )
    .set((
        auth_sessions::revoked_at.eq(Utc::now()),
        auth_sessions::revoked_reason.eq(reason.as_str()),
    ))
    .execute(conn)?;
    Ok(())
}
