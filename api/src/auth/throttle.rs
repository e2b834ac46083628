//! The credential guard's rules, free of I/O: when an attempt to present a
//! password, TOTP code or recovery code is admitted, and how failures slow
//! the next ones down (OWASP ASVS 5.0 §6.3: throttling that a stranger
//! cannot turn into a lockout of the owner).
//!
//! Two counters per account name: one per (account, source) and one for the
//! account over every source. Every admitted attempt counts at once (so
//! concurrent guesses cannot all slip in before the first failure is
//! written); a success gives its attempt back and clears its source.
//!
//! - **Per source, progressive delays.** After `source_free` counted
//!   attempts from one source, each further one first waits `base_delay`,
//!   doubling with each attempt, up to `max_delay`. A stranger guessing from
//!   their own address slows themselves down, nobody else.
//! - **Account-wide ceiling.** After `account_free` attempts over all
//!   sources the account is "under attack" (with its own progressive
//!   delay): a source that has failed for this account waits out the
//!   account-wide delay too, but **a source with no failures is still
//!   admitted** — the owner at their usual desk signs in while a botnet is
//!   refused. Every fresh source's attempt extends the account-wide delay,
//!   so guessing across sources costs one guess per source per delay.
//! - Counts start afresh after `window` without attempts.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The guard's limits (typed config: `Settings::guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardSettings {
    /// Attempts from one source for one account before delays begin.
    pub source_free: i32,
    /// Attempts for one account over all sources before the account-wide delay.
    pub account_free: i32,
    /// The first delay; each further attempt doubles it.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// A count with no attempt for this long starts afresh.
    pub window: Duration,
}

impl Default for GuardSettings {
    fn default() -> Self {
        Self {
            source_free: 5,
            account_free: 20,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(15 * 60),
            window: Duration::from_secs(60 * 60),
        }
    }
}

/// One counter (a `credential_throttle` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub failures: i32,
    pub last_attempt: DateTime<Utc>,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl Counter {
    pub fn fresh(now: DateTime<Utc>) -> Self {
        Self {
            failures: 0,
            last_attempt: now,
            blocked_until: None,
        }
    }

    fn blocked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.blocked_until.filter(|until| *until > now)
    }

    /// Forgets a count that has been quiet for a whole window.
    fn decay(&mut self, now: DateTime<Utc>, window: Duration) {
        let quiet = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        if self.blocked(now).is_none() && self.last_attempt + quiet <= now {
            *self = Self::fresh(now);
        }
    }

    /// Counts an attempt; past `free`, the next one must wait.
    fn count(&mut self, now: DateTime<Utc>, free: i32, s: &GuardSettings) {
        self.failures = self.failures.saturating_add(1);
        self.last_attempt = now;
        if self.failures >= free {
            let until = now + delay(self.failures - free, s);
            self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
        }
    }
}

/// `base_delay · 2^n`, at most `max_delay`.
fn delay(n: i32, s: &GuardSettings) -> chrono::Duration {
    let factor = 1u32 << n.clamp(0, 20);
    let wait = s.base_delay.saturating_mul(factor).min(s.max_delay);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero())
}

/// Whether an attempt may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; check the credential.
    Admitted,
    /// Not checked (and not counted): try again at `until`.
    Refused { until: DateTime<Utc> },
}

/// Decides one attempt and updates both counters.
pub fn admit(
    source: &mut Counter,
    account: &mut Counter,
    now: DateTime<Utc>,
    s: &GuardSettings,
) -> Admission {
    source.decay(now, s.window);
    account.decay(now, s.window);
    if let Some(until) = source.blocked(now) {
        return Admission::Refused { until };
    }
    if let Some(until) = account.blocked(now) {
        if source.failures > 0 {
            return Admission::Refused { until };
        }
    }
    source.count(now, s.source_free, s);
    account.count(now, s.account_free, s);
    Admission::Admitted
}

/// The admitted attempt was right: the source starts clean, the account's
/// count gets the attempt back (its delay, if any, stays: the owner's
/// success must not reopen guessing for everyone else).
pub fn succeeded(source: &mut Counter, account: &mut Counter) {
    source.failures = 0;
    source.blocked_until = None;
    account.failures = (account.failures - 1).max(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> GuardSettings {
        GuardSettings {
            source_free: 3,
            account_free: 5,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            window: Duration::from_secs(3600),
        }
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    #[test]
    fn a_source_gets_its_free_attempts_then_doubling_delays() {
        let s = settings();
        let t = Utc::now();
        let (mut src, mut acct) = (Counter::fresh(t), Counter::fresh(t));
        for _ in 0..3 {
            assert_eq!(admit(&mut src, &mut acct, t, &s), Admission::Admitted);
        }
        assert_eq!(
            admit(&mut src, &mut acct, t, &s),
            Admission::Refused {
                until: t + secs(10)
            }
        );
        let t2 = t + secs(10);
        assert_eq!(admit(&mut src, &mut acct, t2, &s), Admission::Admitted);
        assert_eq!(
            admit(&mut src, &mut acct, t2, &s),
            Admission::Refused {
                until: t2 + secs(20)
            }
        );
        // Capped at max_delay.
        let mut t3 = t2;
        for _ in 0..10 {
            t3 = src.blocked_until.unwrap_or(t3);
            admit(&mut src, &mut acct, t3, &s);
        }
        assert_eq!(src.blocked_until, Some(t3 + secs(60)));
    }

    #[test]
    fn the_account_ceiling_spares_a_clean_source() {
        let s = settings();
        let t = Utc::now();
        let mut acct = Counter::fresh(t);
        let mut attackers: Vec<Counter> = (0..2).map(|_| Counter::fresh(t)).collect();
        for a in attackers.iter_mut() {
            while admit(a, &mut acct, t, &s) == Admission::Admitted {}
        }
        assert!(acct.blocked(t).is_some(), "{acct:?}");
        // A third attacker source is let in once, then waits for the account.
        let mut third = Counter::fresh(t);
        assert_eq!(admit(&mut third, &mut acct, t, &s), Admission::Admitted);
        assert!(matches!(
            admit(&mut third, &mut acct, t, &s),
            Admission::Refused { .. }
        ));
        // The owner, from a source with no failures, is admitted and clean after.
        let mut owner = Counter::fresh(t);
        assert_eq!(admit(&mut owner, &mut acct, t, &s), Admission::Admitted);
        succeeded(&mut owner, &mut acct);
        assert_eq!(owner.failures, 0);
        assert_eq!(admit(&mut owner, &mut acct, t, &s), Admission::Admitted);
    }

    #[test]
    fn quiet_counts_start_afresh_and_success_clears_the_source() {
        let s = settings();
        let t = Utc::now();
        let (mut src, mut acct) = (Counter::fresh(t), Counter::fresh(t));
        admit(&mut src, &mut acct, t, &s);
        admit(&mut src, &mut acct, t, &s);
        let later = t + secs(3600);
        admit(&mut src, &mut acct, later, &s);
        assert_eq!((src.failures, acct.failures), (1, 1));
        succeeded(&mut src, &mut acct);
        assert_eq!((src.failures, acct.failures), (0, 0));
    }
}
