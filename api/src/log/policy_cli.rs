//! `careledger ledger policy`: prints the trust policy (`shared::ledger::policy`
//! format) that describes this deployment — the log's verifier key (and the
//! next key during a rotation), the configured witnesses' cosigner keys and
//! their quorum — for the operator to ship with the SPA as
//! `trust-policy.txt` (README, "Pinned keys in the browser").
//!
//! This is a deploy-time convenience for the operator, who reads their own
//! key files; the SPA never asks the api for it, and verifiers outside the
//! clinic should get the keys out of band, never from the server they check.

use anyhow::Context;
use shared::ledger::policy::TrustPolicy;

use crate::config::Settings;
use crate::keys::Keys;
use crate::ledger::signer::CheckpointSigner;

/// Builds the policy the settings describe.
pub fn policy(settings: &Settings) -> anyhow::Result<TrustPolicy> {
    let keys = Keys::load(settings)?;
    let signer = CheckpointSigner::from_settings(&keys, &settings.ledger)?;
    let mut logs = vec![signer.verifier_key().clone()];
    logs.extend(signer.next_verifier_key().cloned());
    let witnesses = &settings.ledger.witnesses;
    let policy = TrustPolicy {
        logs,
        witnesses: witnesses.witnesses.iter().map(|w| w.key.clone()).collect(),
        quorum: witnesses.quorum,
    };
    // What is printed must read back as the same policy.
    TrustPolicy::parse(&policy.to_string()).context("the configured keys form no valid policy")
}

pub fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    print!(
        "# CareLedger trust policy for {} (careledger ledger policy)\n{}",
        settings.ledger.origin,
        policy(&settings)?
    );
    Ok(())
}
