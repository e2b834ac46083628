//! The ledger's HTTP response bodies, shared by the server and the browser,
//! with the client-side checks that make them worth having: a proof response
//! is verified here against a signed checkpoint and the server's verifier
//! key, so the caller trusts nothing but the key.
//!
//! Hashes are lowercase hex in JSON; the checkpoint note is the exact signed
//! text (C2SP signed note), from which the trusted checkpoint is re-derived.

use serde::{Deserialize, Serialize};

use super::checkpoint::{Checkpoint, SignedCheckpoint};
use super::event::SequencedEvent;
use super::hash::Hash;
use super::note::{CheckpointError, VerifierKey};
use super::proof::{verify_consistency, verify_inclusion, ProofError};
use super::serde_hex;

/// `GET /api/v1/ledger/public-key`: how to check checkpoint signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPublicKey {
    /// The signed-note key name (also the checkpoint origin).
    pub key_name: String,
    /// Always `ed25519`.
    pub algorithm: String,
    /// The raw 32-byte Ed25519 public key, standard base64.
    pub public_key: String,
    /// The C2SP verifier key string `<name>+<key id hex>+<base64(0x01 ‖ key)>`.
    pub verifier_key: String,
}

/// A signed checkpoint: the note as signed, and what it states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedCheckpointView {
    /// Parsed from `note` for convenience; trust it only after verifying `note`.
    pub checkpoint: Checkpoint,
    /// The C2SP signed note (body, blank line, signature line).
    pub note: String,
}

impl SignedCheckpointView {
    /// Verifies the note's signature and returns the checkpoint it states
    /// (never the unsigned `checkpoint` field).
    pub fn verify(&self, key: &VerifierKey) -> Result<Checkpoint, ClientVerifyError> {
        Ok(SignedCheckpoint::parse(&self.note)?.verify_with(key)?)
    }
}

/// One event in the log with its stored leaf hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEventItem {
    pub event: SequencedEvent,
    /// The stored leaf hash; recompute it from `event` rather than trust it.
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub leaf_hash: Hash,
    /// The address the request came from, kept outside the signed event
    /// (`ledger_sources`): shown to admins only, `null` for everyone else.
    #[serde(default)]
    pub source_addr: Option<String>,
}

/// `GET /api/v1/ledger/events/{seq}/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionProofResponse {
    pub event: SequencedEvent,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub leaf_hash: Hash,
    pub tree_size: u64,
    /// RFC 9162 inclusion path, bottom-up.
    #[serde(with = "serde_hex::hash_vec")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub proof: Vec<Hash>,
    /// The root of the tree of `tree_size` events (unsigned unless `checkpoint` is set).
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
    /// The signed checkpoint for `tree_size`, when one exists.
    pub checkpoint: Option<SignedCheckpointView>,
}

impl InclusionProofResponse {
    /// Re-hashes the event and checks the proof against the signed
    /// checkpoint: the event is in the log the key holder signed.
    pub fn verify(&self, key: &VerifierKey) -> Result<Checkpoint, ClientVerifyError> {
        let signed = self
            .checkpoint
            .as_ref()
            .ok_or(ClientVerifyError::NoCheckpoint)?;
        let cp = signed.verify(key)?;
        if cp.size != self.tree_size {
            return Err(ClientVerifyError::SizeMismatch);
        }
        let leaf = self.event.leaf_hash();
        verify_inclusion(&leaf, self.event.seq, cp.size, &self.proof, &cp.root)?;
        Ok(cp)
    }
}

/// `GET /api/v1/ledger/consistency?from=M&to=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsistencyProofResponse {
    pub from: u64,
    pub to: u64,
    /// RFC 9162 consistency proof.
    #[serde(with = "serde_hex::hash_vec")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub proof: Vec<Hash>,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub from_root: Hash,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub to_root: Hash,
    pub from_checkpoint: Option<SignedCheckpointView>,
    pub to_checkpoint: Option<SignedCheckpointView>,
}

impl ConsistencyProofResponse {
    /// Checks the proof between two signed checkpoints: the newer log is an
    /// append-only extension of the older.
    pub fn verify(&self, key: &VerifierKey) -> Result<(Checkpoint, Checkpoint), ClientVerifyError> {
        let (Some(old), Some(new)) = (&self.from_checkpoint, &self.to_checkpoint) else {
            return Err(ClientVerifyError::NoCheckpoint);
        };
        let (old, new) = (old.verify(key)?, new.verify(key)?);
        if old.size != self.from || new.size != self.to {
            return Err(ClientVerifyError::SizeMismatch);
        }
        verify_consistency(old.size, new.size, &old.root, &new.root, &self.proof)?;
        Ok((old, new))
    }
}

/// `GET /api/v1/ledger/verify`: the outcome of a full verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyReport {
    pub valid: bool,
    /// Events that verified before the first failure (all of them when valid).
    pub checked: u64,
    /// The first sequence number that failed, when invalid.
    pub first_invalid_seq: Option<u64>,
    /// Why, in words, when invalid.
    pub reason: Option<String>,
    /// Signed checkpoints whose signature and root were confirmed.
    pub checkpoints_checked: u64,
    /// The Merkle root over the `checked` events.
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
}

/// Why a client-side check of a server response failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientVerifyError {
    #[error("the response carries no signed checkpoint")]
    NoCheckpoint,
    #[error("the checkpoint is for a different tree size than the proof")]
    SizeMismatch,
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Proof(#[from] ProofError),
}
