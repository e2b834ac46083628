//! Access tokens: HS256 JWTs, short-lived, bound to a sign-in session.
//! Exactly one algorithm is accepted; `exp`, `nbf`, `iat`, `aud`, `iss`,
//! `sub` and `sid` are all required and checked.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use shared::{Role, UserId};
use uuid::Uuid;

use crate::error::ApiError;

pub const ISSUER: &str = "careledger";
pub const AUDIENCE: &str = "careledger-api";
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    /// The sign-in session (refresh family) this token belongs to.
    pub sid: Uuid,
    pub jti: Uuid,
    /// The session passed a second factor at sign-in.
    #[serde(default)]
    pub mfa: bool,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub aud: String,
    pub iss: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "aud", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        session: Uuid,
        mfa: bool,
    ) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.0,
            role,
            sid: session,
            jti: Uuid::new_v4(),
            mfa,
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs as i64,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal("signing access token", e))
    }

    /// Any failure — bad signature, wrong algorithm, expired, wrong audience —
    /// is the same 401 so a caller learns nothing about why.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::Unauthorized("missing or invalid access token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&[7u8; 32], 900)
    }

    #[test]
    fn issued_token_verifies() {
        let k = keys();
        let user = UserId(Uuid::new_v4());
        let sid = Uuid::new_v4();
        let token = k.issue(user, Role::Doctor, sid, false).unwrap_or_default();
        let claims = k.verify(&token).ok();
        assert_eq!(claims.as_ref().map(|c| c.sub), Some(user.0));
        assert_eq!(claims.map(|c| c.sid), Some(sid));
    }

    #[test]
    fn token_from_another_key_is_rejected() {
        let other = JwtKeys::new(&[8u8; 32], 900);
        let token = other
            .issue(UserId(Uuid::new_v4()), Role::Admin, Uuid::new_v4(), false)
            .unwrap_or_default();
        assert!(keys().verify(&token).is_err());
    }
}
