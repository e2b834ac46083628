//! The log's published checkpoint as this device trusts it: fetched from the
//! public `/log/checkpoint` (the log's signed note with its witnesses'
//! cosignatures), accepted only when the pinned policy accepts it (a pinned
//! log key signed it and the quorum of pinned witnesses cosigned it), and
//! only when it extends the last checkpoint this device verified (kept in
//! localStorage across sessions): a consistency proof is checked against
//! the two roots this device accepted itself, never against roots the
//! server states. A smaller checkpoint than the one verified before is a
//! rollback, one of the same size with another root a fork: both fail, and
//! the two signed notes are kept as evidence the user can download.
//!
//! Fetches are single-flight: a page of badges shares one checkpoint fetch
//! and one consistency check.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::Request;
use shared::ledger::policy::TrustPolicy;
use shared::ledger::{verify_consistency, Checkpoint, Hash};
use web_sys::RequestCache;

use super::Badge;
use crate::api;

pub const STORE_KEY: &str = "careledger.last_checkpoint";
const NOTE_KEY: &str = "careledger.last_checkpoint_note";
pub const FORKED: &str = "two signed checkpoints of the same size disagree (the log was forked)";
pub const NOT_EXTENDED: &str = "the log is not an append-only extension of the one seen before";
/// How long a badge waits for its event to reach a published checkpoint.
const WAIT: Duration = Duration::from_secs(40);
const POLL: Duration = Duration::from_millis(1000);

type Fetching = Shared<LocalBoxFuture<'static, Result<Checkpoint, Badge>>>;

thread_local! {
    static CURRENT: RefCell<Option<Checkpoint>> = const { RefCell::new(None) };
    static FETCHING: RefCell<Option<Fetching>> = const { RefCell::new(None) };
    static EVIDENCE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A published checkpoint that contains event `seq`, waiting (polling) for
/// the log to publish one when the event is newer than the latest.
pub async fn covering(policy: Rc<TrustPolicy>, seq: u64) -> Result<Checkpoint, Badge> {
    if let Some(cp) = CURRENT
        .with(|c| c.borrow().clone())
        .filter(|c| c.size > seq)
    {
        return Ok(cp);
    }
    let started = js_sys::Date::now();
    loop {
        let cp = latest(policy.clone()).await?;
        if cp.size > seq {
            return Ok(cp);
        }
        if js_sys::Date::now() - started > WAIT.as_millis() as f64 {
            return Err(Badge::Unavailable(format!(
                "not yet in a published checkpoint (the latest covers {} events); check again later",
                cp.size
            )));
        }
        yew::platform::time::sleep(POLL).await;
    }
}

/// The evidence of a failed check (JSON), if one failed on this page load.
pub fn evidence() -> Option<String> {
    EVIDENCE.with(|e| e.borrow().clone())
}

async fn latest(policy: Rc<TrustPolicy>) -> Result<Checkpoint, Badge> {
    let fetching = FETCHING.with(|f| {
        f.borrow_mut()
            .get_or_insert_with(|| fetch(policy).boxed_local().shared())
            .clone()
    });
    let result = fetching.clone().await;
    FETCHING.with(|f| {
        let mut slot = f.borrow_mut();
        if slot.as_ref().is_some_and(|s| s.ptr_eq(&fetching)) {
            *slot = None;
        }
    });
    result
}

async fn fetch(policy: Rc<TrustPolicy>) -> Result<Checkpoint, Badge> {
    let resp = Request::get("/log/checkpoint")
        .cache(RequestCache::NoStore)
        .send()
        .await
        .map_err(|e| Badge::Unavailable(format!("cannot reach the log: {e}")))?;
    if resp.status() == 404 {
        return Err(Badge::Unavailable(
            "the log has not published a checkpoint yet".into(),
        ));
    }
    let note = resp
        .text()
        .await
        .map_err(|e| Badge::Unavailable(format!("cannot read the log's checkpoint: {e}")))?;
    if !resp.ok() {
        return Err(Badge::Unavailable(format!(
            "the log answered {}",
            resp.status()
        )));
    }
    let accepted = policy.verify(&note).map_err(|e| {
        Badge::Failed(format!(
            "the log's checkpoint is refused by the keys pinned in this app: {e}"
        ))
    })?;
    let cp = accepted.checkpoint;
    extends_stored(&policy, &cp, &note).await?;
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        if c.as_ref().is_none_or(|old| old.size < cp.size) {
            *c = Some(cp.clone());
        }
    });
    Ok(cp)
}

/// `cp` must extend (or equal) the checkpoint this device verified before.
async fn extends_stored(policy: &TrustPolicy, cp: &Checkpoint, note: &str) -> Result<(), Badge> {
    let Some((size, root)) = load() else {
        remember(cp, note);
        return Ok(());
    };
    if cp.size < size {
        return Err(fail(
            format!(
                "the log was rolled back: it now shows {} events, fewer than the {size} this device verified before",
                cp.size
            ),
            policy,
            note,
            None,
        ));
    }
    if cp.size == size {
        return if cp.root == root {
            Ok(())
        } else {
            Err(fail(FORKED.into(), policy, note, None))
        };
    }
    let resp = api::ledger::consistency(size, cp.size)
        .await
        .map_err(|e| Badge::Unavailable(e.message()))?;
    // Only the proof is taken from the server; both roots are ones this
    // device accepted under the pinned policy.
    if verify_consistency(size, cp.size, &root, &cp.root, &resp.proof).is_err() {
        let proof = serde_json::to_value(&resp).ok();
        return Err(fail(NOT_EXTENDED.into(), policy, note, proof));
    }
    remember(cp, note);
    Ok(())
}

/// A failed check, with its evidence kept for download.
fn fail(
    reason: String,
    policy: &TrustPolicy,
    presented: &str,
    proof: Option<serde_json::Value>,
) -> Badge {
    let stored_note = storage().and_then(|s| s.get_item(NOTE_KEY).ok().flatten());
    let evidence = serde_json::json!({
        "format": "careledger-browser-evidence/v1",
        "reason": reason,
        "detected_at": String::from(js_sys::Date::new_0().to_iso_string()),
        "pinned_policy": policy.to_string(),
        "verified_before": load().map(|(size, root)| serde_json::json!({
            "size": size, "root": hex(&root), "note": stored_note,
        })),
        "presented_checkpoint": presented,
        "consistency_proof": proof,
    });
    EVIDENCE.with(|e| {
        *e.borrow_mut() = serde_json::to_string_pretty(&evidence).ok();
    });
    Badge::Failed(reason)
}

fn remember(cp: &Checkpoint, note: &str) {
    if let Some(store) = storage() {
        let _ = store.set_item(STORE_KEY, &format!("{} {}", cp.size, hex(&cp.root)));
        let _ = store.set_item(NOTE_KEY, note);
    }
}

fn load() -> Option<(u64, Hash)> {
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
