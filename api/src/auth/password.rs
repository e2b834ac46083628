//! argon2id password hashing (the crate's defaults: m = 19 MiB, t = 2, p = 1).
//! One hash takes tens of milliseconds. Request handlers use [`hash_async`]
//! and [`verify_async`]: they wait for a hash slot asynchronously, then hash
//! on the blocking pool — never inside a database transaction, never while
//! holding a pooled connection or a database gate permit (a burst of
//! password guesses must not starve other users' queries). The synchronous
//! [`hash`] and [`verify`] are for the CLI and the seed.
//!
//! At most one hash per CPU core runs at a time ([`HashGate`]): each holds
//! 19 MiB while it runs, and more hashes at once than cores add memory (a
//! burst of logins would otherwise take hundreds of MB) but no throughput.

use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

/// A counting semaphore for blocking threads.
struct HashGate {
    free: Mutex<usize>,
    freed: Condvar,
}

struct HashSlot(&'static HashGate);

static GATE: LazyLock<HashGate> = LazyLock::new(|| HashGate {
    free: Mutex::new(std::thread::available_parallelism().map_or(1, usize::from)),
    freed: Condvar::new(),
});

impl HashGate {
    fn enter(&'static self) -> HashSlot {
        // A poisoned lock only means another hash panicked; the count is intact.
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        HashSlot(self)
    }
}

impl Drop for HashSlot {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.freed.notify_one();
    }
}

/// A PHC-format argon2id hash, made by this module only.
#[derive(Clone)]
pub struct HashedPassword(String);

impl HashedPassword {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for HashedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedPassword([redacted])")
    }
}

/// The async side of the gate: request handlers queue here (no blocking
/// thread parked) and take the blocking [`GATE`] only once admitted, so
/// it is then free.
static ASYNC_GATE: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from))
});

async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = ASYNC_GATE
        .acquire()
        .await
        .map_err(|e| ApiError::internal("hash gate closed", e))?;
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        work()
    })
    .await
    .map_err(|e| ApiError::internal("blocking task failed", e))?
}

/// [`hash`] for request handlers (see the module doc).
pub async fn hash_async(password: String) -> Result<HashedPassword, ApiError> {
    off_thread(move || hash(&password).map(HashedPassword)).await
}

/// [`verify`] for request handlers (see the module doc).
pub async fn verify_async(stored: String, password: String) -> Result<bool, ApiError> {
    off_thread(move || verify(&stored, &password)).await
}

/// [`hash`] into the typed form, on the calling thread (CLI, seed).
pub fn hash_now(password: &str) -> Result<HashedPassword, ApiError> {
    hash(password).map(HashedPassword)
}

pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    let _slot = GATE.enter();
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
    let _slot = GATE.enter();
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
