//! The ledger core: what an event is and the exact bytes it commits to, RFC
//! 6962/9162 Merkle tree hashing, proof generation from stored perfect
//! subtrees and proof verification, signed checkpoints (C2SP signed-note /
//! tlog-checkpoint), and full verification of a stored event stream. The same
//! code runs on the server, in the CLI and in the browser (wasm32).
//!
//! Pure and database-free: nothing here does I/O, reads a clock, or signs
//! (the server signs checkpoints with its own key; this crate only verifies).
//!
//! - [`hash`]: the base — hash type, RFC 6962 leaf/node hashing, the empty
//!   root, subtree addresses; every module below builds on it.
//! - [`event`]: event model and canonical encoding (a public format).
//! - [`merkle`]: roots and proof generation; [`compact`]:
//!   the incremental tree builder.
//! - [`proof`]: inclusion and consistency proof verification.
//! - [`note`] and [`checkpoint`]: signed checkpoints; [`cosignature`]:
//!   witness cosignatures; [`policy`]: the pinned k-of-n trust policy;
//!   [`witness_api`]: the tlog-witness request body; [`tiles`]: tlog-tiles;
//!   [`receipt`]: a patient's access log as one offline-verifiable file.
//! - [`verify`]: the streaming chain verifier.
//! - [`api`]: HTTP response bodies and their client-side checks.

mod action;
pub mod api;
pub mod checkpoint;
pub mod compact;
pub mod cosignature;
pub mod event;
pub mod hash;
pub mod merkle;
pub mod note;
pub mod policy;
pub mod proof;
pub mod receipt;
pub mod serde_hex;
pub mod tiles;
pub mod verify;
pub mod witness_api;

#[cfg(test)]
mod testdata;

pub use action::{Action, Outcome};
pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use compact::{compact_range_nodes, CompactRange};
pub use event::{
    canonical_bytes, encode_into, leaf_hash, truncate_to_micros, Basis, BasisKind, EventBody,
    SequencedEvent, GENESIS_PREV_HASH,
};
pub use hash::{hash_leaf, node_hash, Hash, NodeId, EMPTY_ROOT};
pub use merkle::{
    build_consistency_proof, build_inclusion_proof, consistency_proof_nodes, inclusion_proof_nodes,
    root,
};
pub use note::{format_signed, key_id, CheckpointError, SignedNote, VerifierKey};
pub use proof::{root_from_inclusion_proof, verify_consistency, verify_inclusion, ProofError};
pub use verify::{ChainVerifier, Failure, FailureReason, Verified};
