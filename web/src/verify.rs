//! The browser's own check of ledger events ("verified" badges): fetch the
//! inclusion proof of an event with its signed checkpoint, verify the
//! checkpoint signature with the ledger's public key, re-hash the event and
//! check the proof with `shared::ledger` (compiled to wasm), then check that
//! the checkpoint is consistent with the last one this browser saw (kept in
//! memory and in localStorage, so a forked or rewritten log is noticed on a
//! later visit too). Trusts nothing from the server but the key.
//!
//! This is the only module that decides a badge; pages just render [`Badge`].

use std::cell::RefCell;

use shared::ledger::api::ClientVerifyError;
use shared::ledger::{Checkpoint, VerifierKey};

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum Badge {
    Checking,
    /// Included in the signed log of `size` events.
    Verified {
        size: u64,
    },
    /// A check failed: the log or the proof is not what was signed.
    Failed(String),
    /// Could not check now (network, no checkpoint yet).
    Unavailable(String),
}

thread_local! {
    static KEY: RefCell<Option<VerifierKey>> = const { RefCell::new(None) };
    static LAST: RefCell<Option<(u64, [u8; 32])>> = const { RefCell::new(None) };
}

const STORE_KEY: &str = "careledger.last_checkpoint";

async fn key() -> Result<VerifierKey, Badge> {
    if let Some(k) = KEY.with(|k| k.borrow().clone()) {
        return Ok(k);
    }
    let pk = api::ledger::public_key()
        .await
        .map_err(|e| Badge::Unavailable(e.message()))?;
    let key = VerifierKey::parse(&pk.verifier_key)
        .map_err(|e| Badge::Failed(format!("the ledger key is malformed: {e}")))?;
    KEY.with(|k| *k.borrow_mut() = Some(key.clone()));
    Ok(key)
}

fn failed(e: ClientVerifyError) -> Badge {
    Badge::Failed(e.to_string())
}

/// Verifies that event `seq` is in the signed log.
pub async fn event(seq: u64) -> Badge {
    match check_event(seq).await {
        Ok(size) => Badge::Verified { size },
        Err(b) => b,
    }
}

async fn check_event(seq: u64) -> Result<u64, Badge> {
    let key = key().await?;
    let proof = api::ledger::proof(seq)
        .await
        .map_err(|e| Badge::Unavailable(e.message()))?;
    if proof.event.seq != seq {
        return Err(Badge::Failed("the server proved a different event".into()));
    }
    let cp = proof.verify(&key).map_err(failed)?;
    check_consistency(&key, &cp).await?;
    Ok(cp.size)
}

/// The new checkpoint must extend (or equal) the last one seen here.
async fn check_consistency(key: &VerifierKey, cp: &Checkpoint) -> Result<(), Badge> {
    let last = LAST.with(|l| *l.borrow()).or_else(load);
    let Some((size, root)) = last else {
        remember(cp);
        return Ok(());
    };
    if size == cp.size {
        if root != cp.root {
            return Err(Badge::Failed(
                "two signed checkpoints of the same size disagree (the log was forked)".into(),
            ));
        }
        return Ok(());
    }
    let (from, to) = (size.min(cp.size), size.max(cp.size));
    let resp = api::ledger::consistency(from, to)
        .await
        .map_err(|e| Badge::Unavailable(e.message()))?;
    let (old, new) = resp.verify(key).map_err(failed)?;
    let (old_root, new_root) = if size < cp.size {
        (root, cp.root)
    } else {
        (cp.root, root)
    };
    if old.root != old_root || new.root != new_root {
        return Err(Badge::Failed(
            "the log is not an append-only extension of the one seen before".into(),
        ));
    }
    if cp.size > size {
        remember(cp);
    }
    Ok(())
}

fn remember(cp: &Checkpoint) {
    LAST.with(|l| *l.borrow_mut() = Some((cp.size, cp.root)));
    if let Some(store) = storage() {
        let _ = store.set_item(STORE_KEY, &format!("{} {}", cp.size, hex(&cp.root)));
    }
}

fn load() -> Option<(u64, [u8; 32])> {
    let text = storage()?.get_item(STORE_KEY).ok()??;
    let (size, root) = text.split_once(' ')?;
    let bytes: Vec<u8> = (0..root.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(root.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    Some((size.parse().ok()?, bytes.try_into().ok()?))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
