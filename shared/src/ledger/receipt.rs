//! Receipts: a patient's access log as one self-contained file that anyone
//! can check offline with pinned keys — each event, its leaf hash and its
//! RFC 9162 inclusion proof against one published checkpoint (the log's
//! note with the witnesses' cosignatures).
//!
//! Owns the file format (`careledger-receipt/v1`, JSON) and its whole
//! verification: the checkpoint must satisfy the pinned [`TrustPolicy`]
//! (log key and k-of-n witnesses), every event must re-hash to its leaf
//! hash, and every leaf must be proven into that checkpoint's root. Trusts
//! nothing in the file; never fetches anything.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::SequencedEvent;
use super::hash::Hash;
use super::policy::{Accepted, PolicyError, TrustPolicy};
use super::proof::{verify_inclusion, ProofError};
use super::serde_hex;

/// The format tag of version 1.
pub const RECEIPT_FORMAT: &str = "careledger-receipt/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// Always `careledger-receipt/v1`.
    pub format: String,
    /// The chart whose access log this is.
    pub patient_id: Uuid,
    /// The published checkpoint: C2SP signed note with witness cosignatures.
    pub checkpoint: String,
    /// Events about the chart up to the checkpoint, oldest first.
    pub events: Vec<ReceiptEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptEvent {
    pub event: SequencedEvent,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub leaf_hash: Hash,
    /// RFC 9162 inclusion path into the checkpoint's tree, bottom-up.
    #[serde(with = "serde_hex::hash_vec")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub proof: Vec<Hash>,
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("not a {RECEIPT_FORMAT} file")]
    Format,
    #[error("checkpoint refused by the pinned policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("event {seq}: its contents do not hash to the stated leaf hash")]
    LeafMismatch { seq: u64 },
    #[error("event {seq}: not in the checkpoint's tree ({error})")]
    NotIncluded { seq: u64, error: ProofError },
    #[error("event {seq} is about another patient")]
    OtherPatient { seq: u64 },
}

impl Receipt {
    /// Checks everything; returns the accepted checkpoint.
    pub fn verify(&self, policy: &TrustPolicy) -> Result<Accepted, ReceiptError> {
        if self.format != RECEIPT_FORMAT {
            return Err(ReceiptError::Format);
        }
        let accepted = policy.verify(&self.checkpoint)?;
        let (size, root) = (accepted.checkpoint.size, accepted.checkpoint.root);
        for e in &self.events {
            let seq = e.event.seq;
            if e.event.body.patient_id != Some(self.patient_id) {
                return Err(ReceiptError::OtherPatient { seq });
            }
            if e.event.leaf_hash() != e.leaf_hash {
                return Err(ReceiptError::LeafMismatch { seq });
            }
            verify_inclusion(&e.leaf_hash, seq, size, &e.proof, &root)
                .map_err(|error| ReceiptError::NotIncluded { seq, error })?;
        }
        Ok(accepted)
    }
}
