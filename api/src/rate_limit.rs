//! Per-process token-bucket rate limits for credential checks, registration
//! and expensive endpoints, keyed by source address (the client address of
//! [`crate::client_addr`], through `RequestContext::source_key`) or by
//! signed-in user. They sit in front of the credential guard
//! (`auth::guard`, in PostgreSQL and shared by every process); these buckets
//! are per process, so N api processes allow N times the rate — the guard is
//! what bounds password guessing.
//!
//! There is deliberately no bucket per *account name*: anyone could empty
//! it and lock the owner out (the guard's account-wide ceiling spares
//! sources that have not failed instead).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every credential check (sign-in, password change, two-factor).
    LoginByAddress,
    RegisterByAddress,
    ExpensiveByUser,
    /// Whole-ledger verification reads and re-hashes every event.
    LedgerVerifyByUser,
}

/// `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub burst: u32,
    pub per_minute: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub login_by_address: Rule,
    pub register_by_address: Rule,
    pub expensive_by_user: Rule,
    pub ledger_verify_by_user: Rule,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_by_address: Rule {
                burst: 30,
                per_minute: 30,
            },
            register_by_address: Rule {
                burst: 10,
                per_minute: 10,
            },
            expensive_by_user: Rule {
                burst: 10,
                per_minute: 30,
            },
            ledger_verify_by_user: Rule {
                burst: 3,
                per_minute: 2,
            },
        }
    }
}

impl RateLimits {
    /// Effectively unlimited (benchmarks measure throughput, not the limiter).
    pub fn unlimited() -> Self {
        let open = Rule {
            burst: u32::MAX / 2,
            per_minute: u32::MAX / 2,
        };
        Self {
            login_by_address: open,
            register_by_address: open,
            expensive_by_user: open,
            ledger_verify_by_user: open,
        }
    }

    fn rule(&self, scope: Scope) -> Rule {
        match scope {
            Scope::LoginByAddress => self.login_by_address,
            Scope::RegisterByAddress => self.register_by_address,
            Scope::ExpensiveByUser => self.expensive_by_user,
            Scope::LedgerVerifyByUser => self.ledger_verify_by_user,
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Above this many tracked keys, full buckets are forgotten.
const MAX_TRACKED: usize = 10_000;

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(Scope, String), Bucket>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` in `scope`, or answers 429 with the wait.
    pub fn check(&self, scope: Scope, key: &str) -> Result<(), ApiError> {
        self.check_at(scope, key, Instant::now())
    }

    fn check_at(&self, scope: Scope, key: &str, now: Instant) -> Result<(), ApiError> {
        let rule = self.limits.rule(scope);
        let refill_per_sec = f64::from(rule.per_minute) / 60.0;
        let capacity = f64::from(rule.burst);
        let mut buckets = self
            .buckets
            .lock()
            .map_err(|_| ApiError::internal("rate limiter", "lock poisoned"))?;
        if buckets.len() > MAX_TRACKED {
            buckets.retain(|(s, _), b| {
                let rule = self.limits.rule(*s);
                let refilled = b.tokens
                    + now.duration_since(b.updated).as_secs_f64() * f64::from(rule.per_minute)
                        / 60.0;
                refilled < f64::from(rule.burst)
            });
        }
        let bucket = buckets.entry((scope, key.to_owned())).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill_per_sec).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / refill_per_sec).ceil().max(1.0);
            Err(ApiError::RateLimited {
                retry_after_secs: wait as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(RateLimits {
            login_by_address: Rule {
                burst: 3,
                per_minute: 60,
            },
            ..RateLimits::default()
        })
    }

    #[test]
    fn burst_is_allowed_then_refused_with_a_wait() {
        let l = limiter();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.check_at(Scope::LoginByAddress, "1.2.3.4", t).is_ok());
        }
        match l.check_at(Scope::LoginByAddress, "1.2.3.4", t) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("expected 429, got {other:?}"),
        }
        // Another address has its own bucket.
        assert!(l.check_at(Scope::LoginByAddress, "5.6.7.8", t).is_ok());
    }

    #[test]
    fn tokens_refill_over_time() {
        let l = limiter();
        let t = Instant::now();
        for _ in 0..3 {
            let _ = l.check_at(Scope::LoginByAddress, "a", t);
        }
        assert!(l.check_at(Scope::LoginByAddress, "a", t).is_err());
        assert!(l
            .check_at(Scope::LoginByAddress, "a", t + Duration::from_secs(1))
            .is_ok());
    }
}
