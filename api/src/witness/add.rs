//! The witness's one decision, C2SP tlog-witness `add-checkpoint`: cosign a
//! checkpoint only if it is validly signed by a log we follow and is an
//! append-only extension of the latest one we cosigned for that log.
//!
//! In order (status codes per the spec): malformed body → 400; unknown
//! origin → 404; no valid signature by a trusted log key → 403; evidence
//! (below); old size larger than the checkpoint → 400; old size ≠ our latest size → 409 with
//! our size; a size-0 checkpoint without the empty root, a non-empty proof
//! from 0, a same-size checkpoint with another root, or a consistency proof
//! that fails → 422. A refused checkpoint that the log validly signed and
//! that contradicts what we cosigned (smaller: a rollback; same size with
//! another root: a fork; failed proof: inconsistent) is kept as evidence
//! first. Check and persist happen under one lock. Never touches the log's
//! database; the only state is [`WitnessState`].

use std::sync::Mutex;

use ring::signature::Ed25519KeyPair;
use shared::ledger::cosignature::{signed_message, CosignerKey};
use shared::ledger::witness_api::AddCheckpoint;
use shared::ledger::{verify_consistency, Checkpoint, SignedCheckpoint, VerifierKey, EMPTY_ROOT};

use super::state::WitnessState;

/// Why a checkpoint was not cosigned, as the HTTP status the spec assigns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("400 {0}")]
    BadRequest(String),
    #[error("403 {0}")]
    Forbidden(String),
    #[error("404 unknown log origin")]
    UnknownOrigin,
    #[error("409 our latest cosigned size is {0}")]
    Conflict(u64),
    #[error("422 {0}")]
    Unprocessable(String),
    #[error("500 {0}")]
    Internal(String),
}

pub struct Witness {
    pub key: CosignerKey,
    pair: Ed25519KeyPair,
    logs: Vec<VerifierKey>,
    state: Mutex<WitnessState>,
}

fn internal(e: impl std::fmt::Display) -> Refusal {
    Refusal::Internal(e.to_string())
}

impl Witness {
    pub fn new(
        key: CosignerKey,
        pair: Ed25519KeyPair,
        logs: Vec<VerifierKey>,
        state: WitnessState,
    ) -> Self {
        Self {
            key,
            pair,
            logs,
            state: Mutex::new(state),
        }
    }

    /// The latest cosigned note for the origin with this SHA-256 (hex).
    pub fn latest_by_hash(&self, hash: &str) -> Result<Option<String>, Refusal> {
        let state = self.state.lock().map_err(internal)?;
        state.latest_by_hash(hash).map_err(internal)
    }

    /// Handles one request body; `now` is the POSIX time to cosign at.
    /// Returns the cosignature line.
    pub fn add_checkpoint(&self, body: &str, now: u64) -> Result<String, Refusal> {
        let req = AddCheckpoint::parse(body).map_err(|e| Refusal::BadRequest(e.into()))?;
        let signed = SignedCheckpoint::parse(&req.checkpoint)
            .map_err(|e| Refusal::BadRequest(e.to_string()))?;
        let origin = Checkpoint::parse_body(signed.body())
            .map_err(|e| Refusal::BadRequest(e.to_string()))?
            .origin;
        let keys: Vec<&VerifierKey> = self.logs.iter().filter(|k| k.name == origin).collect();
        if keys.is_empty() {
            return Err(Refusal::UnknownOrigin);
        }
        let cp = keys
            .iter()
            .find_map(|k| signed.verify_with(k).ok())
            .ok_or_else(|| Refusal::Forbidden("no valid signature by a trusted log key".into()))?;
        let state = self.state.lock().map_err(internal)?;
        let latest_note = state.latest(&origin).map_err(internal)?;
        let latest = match &latest_note {
            Some(note) => Some(
                SignedCheckpoint::parse(note)
                    .and_then(|s| Checkpoint::parse_body(s.body()))
                    .map_err(internal)?,
            ),
            None => None,
        };
        let latest_size = latest.as_ref().map_or(0, |l| l.size);
        let evidence = |reason: &str| {
            state
                .keep_evidence(&origin, reason, body, latest_note.as_deref())
                .map_err(internal)
                .map(
                    |path| tracing::warn!(%origin, reason, path = %path.display(), "evidence kept"),
                )
        };
        if let Some(l) = &latest {
            if cp.size < l.size {
                evidence("rollback")?;
            } else if cp.size == l.size && cp.root != l.root {
                evidence("fork")?;
                return Err(Refusal::Unprocessable(
                    "same size as our latest checkpoint, different root (a fork)".into(),
                ));
            }
        }
        if req.old_size > cp.size {
            return Err(Refusal::BadRequest(
                "old size is larger than the checkpoint".into(),
            ));
        }
        if req.old_size != latest_size {
            return Err(Refusal::Conflict(latest_size));
        }
        if cp.size == 0 && cp.root != EMPTY_ROOT {
            return Err(Refusal::Unprocessable(
                "a size-0 tree has the empty root".into(),
            ));
        }
        match &latest {
            None if !req.proof.is_empty() => {
                return Err(Refusal::Unprocessable(
                    "proof from size 0 must be empty".into(),
                ))
            }
            None => {}
            Some(l) => {
                if let Err(e) = verify_consistency(l.size, cp.size, &l.root, &cp.root, &req.proof) {
                    evidence("inconsistent")?;
                    return Err(Refusal::Unprocessable(format!("consistency proof: {e}")));
                }
            }
        }
        let sig = self
            .pair
            .sign(signed_message(signed.body(), now).as_bytes());
        let sig: [u8; 64] = sig.as_ref().try_into().map_err(internal)?;
        let line = self.key.line(now, &sig);
        state
            .set_latest(&origin, &format!("{}{line}", signed))
            .map_err(internal)?;
        Ok(line)
    }
}
