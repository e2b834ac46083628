//! argon2id password hashing (the crate's defaults: m = 19 MiB, t = 2, p = 1).
//! Callers run these on the blocking pool: one hash takes tens of milliseconds.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal("hashing password", e))
}

/// Constant-time verification against a stored PHC string. A malformed stored
/// hash is an internal error, not a wrong password.
pub fn verify(stored: &str, password: &str) -> Result<bool, ApiError> {
    let parsed =
        PasswordHash::new(stored).map_err(|e| ApiError::internal("parsing stored hash", e))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A real hash of a random password, verified against when the username is
/// unknown so that both cases cost the same time.
pub fn dummy_hash() -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    hash(salt.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = hash("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&h, "correct horse battery").unwrap_or(false));
        assert!(!verify(&h, "wrong horse battery").unwrap_or(true));
    }
}
