//! The browser's own check of ledger events ("verified" badges), trusting
//! nothing from the server but what the pinned keys vouch for:
//!
//! 1. [`trust`]: the operator's trust policy shipped with the app (log key,
//!    witness keys, k of n) — never a key the api hands out;
//! 2. [`published`]: the log's public checkpoint, accepted only with the
//!    pinned log signature and the quorum of witness cosignatures, and only
//!    as an append-only extension of the last one this device verified;
//! 3. here: the event's inclusion proof for that checkpoint's size, checked
//!    after re-hashing the event, against the accepted root.
//!
//! This is the only module that decides a badge; pages just render [`Badge`].

pub mod published;
pub mod trust;

use shared::ledger::verify_inclusion;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum Badge {
    Checking,
    /// Included in the published log of `size` events.
    Verified {
        size: u64,
    },
    /// A check failed: the log or the proof is not what was signed.
    Failed(String),
    /// Could not check now (network, no pinned keys, not yet published).
    Unavailable(String),
}

/// Verifies that event `seq` is in the published log.
pub async fn event(seq: u64) -> Badge {
    match check_event(seq).await {
        Ok(size) => Badge::Verified { size },
        Err(b) => b,
    }
}

async fn check_event(seq: u64) -> Result<u64, Badge> {
    let policy = trust::pinned().await.map_err(|e| match e {
        trust::TrustError::Malformed(_) => Badge::Failed(e.to_string()),
        _ => Badge::Unavailable(e.to_string()),
    })?;
    let cp = published::covering(policy, seq).await?;
    let proof = api::ledger::proof_at(seq, cp.size)
        .await
        .map_err(|e| Badge::Unavailable(e.message()))?;
    if proof.event.seq != seq || proof.tree_size != cp.size {
        return Err(Badge::Failed("the server proved a different event".into()));
    }
    verify_inclusion(
        &proof.event.leaf_hash(),
        seq,
        cp.size,
        &proof.proof,
        &cp.root,
    )
    .map_err(|e| Badge::Failed(format!("this entry is not in the published log: {e}")))?;
    Ok(cp.size)
}
