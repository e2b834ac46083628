//! Full verification of a stored event stream against its own hash chain,
//! its stored leaf hashes and its signed checkpoints.
//!
//! Owns the rules that decide whether the stored log is the log that was
//! written, and which event is the first one that is not. Feed events in
//! `seq` order with the leaf hash stored beside each; per event it checks,
//! in this order:
//! 1. `seq` is the next number (from 0): a larger one means events are
//!    missing ([`FailureReason::MissingEvent`]), a smaller one that events are
//!    duplicated or out of order ([`FailureReason::OutOfOrder`]);
//! 2. `prev_hash` is the leaf hash of the previous event (zeros for seq 0);
//! 3. the leaf hash recomputed from the canonical encoding equals the stored.
//!
//! Each leaf also goes into a [`CompactRange`], so the root at every size can
//! be compared with the signed checkpoints: that catches what the chain alone
//! cannot — a truncated tail, or a chain rewritten and fully re-hashed after
//! an alteration. [`Failure::seq`] is the position where verification failed:
//! for a chain or content failure, that event; for a checkpoint root
//! mismatch, the last event the checkpoint covers (the alteration lies
//! after the last checkpoint that matched, see
//! [`FailureReason::CheckpointRootMismatch`]); for a log shorter than a
//! checkpoint, the first missing seq.
//!
//! Hot path: one reused encoding buffer, no allocation per event. It never
//! reads storage; the caller streams events in.

use serde::{Deserialize, Serialize};

use super::compact::CompactRange;
use super::event::{leaf_hash_with, SequencedEvent, GENESIS_PREV_HASH};
use super::hash::{Hash, NodeId};

/// Why verification stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureReason {
    /// Expected this seq, found a later one: events are missing (deleted).
    #[error("event is missing (next event present has seq {found})")]
    MissingEvent { found: u64 },
    /// Expected this seq, found an earlier one: duplicated or reordered.
    #[error("events out of order (found seq {found})")]
    OutOfOrder { found: u64 },
    /// The event does not commit to the previous event's leaf hash.
    #[error("previous-hash link broken")]
    PrevHashMismatch,
    /// The stored leaf hash does not match the event's contents.
    #[error("event contents altered (leaf hash mismatch)")]
    ContentAltered,
    /// The tree over the first `checkpoint_size` events does not have the
    /// signed root; the first `last_good_size` events did match a checkpoint.
    #[error("root over the first {checkpoint_size} events differs from the signed checkpoint")]
    CheckpointRootMismatch {
        checkpoint_size: u64,
        last_good_size: u64,
    },
    /// A signed checkpoint covers more events than are stored.
    #[error("log is shorter than a signed checkpoint of size {checkpoint_size}")]
    TreeShorterThanCheckpoint { checkpoint_size: u64 },
    /// `check_checkpoint` was called for a size the verifier has passed.
    #[error("checkpoint of size {checkpoint_size} can no longer be checked")]
    CheckpointAlreadyPassed { checkpoint_size: u64 },
}

/// The first place the stored log stops being the log that was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("ledger invalid at seq {seq}: {reason}")]
pub struct Failure {
    pub seq: u64,
    pub reason: FailureReason,
}

/// What a successful run established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub size: u64,
    #[serde(with = "super::serde_hex::hash")]
    pub root: Hash,
    pub checkpoints_checked: usize,
}

/// Streaming verifier; see the module doc.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev: Hash,
    tree: CompactRange,
    buf: Vec<u8>,
    /// Checkpoints still to check, sorted by size descending (pop = next).
    pending: Vec<(u64, Hash)>,
    last_good_size: u64,
    checkpoints_checked: usize,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self {
            prev: GENESIS_PREV_HASH,
            tree: CompactRange::new(),
            buf: Vec::with_capacity(512),
            pending: Vec::new(),
            last_good_size: 0,
            checkpoints_checked: 0,
        }
    }

    /// A verifier that checks each `(size, root)` automatically when the
    /// stream reaches that size; [`ChainVerifier::finish`] reports those the
    /// stream never reached.
    pub fn with_checkpoints(checkpoints: impl IntoIterator<Item = (u64, Hash)>) -> Self {
        let mut v = Self::new();
        v.pending = checkpoints.into_iter().collect();
        v.pending.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
        v
    }

    /// Number of events verified so far (= the next expected seq).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The Merkle root over the events verified so far.
    pub fn root_at_current_size(&self) -> Hash {
        self.tree.root()
    }

    /// Verifies the next event against the chain and its stored leaf hash.
    pub fn push(&mut self, event: &SequencedEvent, stored_leaf_hash: &Hash) -> Result<(), Failure> {
        self.push_with(event, stored_leaf_hash, |_, _| {})
    }

    /// [`ChainVerifier::push`], also calling `node` with every perfect tree
    /// node the event completes (level 0 first), so a caller can compare the
    /// recomputed tree with stored nodes. Not called when the push fails.
    pub fn push_with(
        &mut self,
        event: &SequencedEvent,
        stored_leaf_hash: &Hash,
        node: impl FnMut(NodeId, Hash),
    ) -> Result<(), Failure> {
        self.check_due()?;
        let seq = self.tree.size();
        let fail = |reason| Err(Failure { seq, reason });
        if event.seq > seq {
            return fail(FailureReason::MissingEvent { found: event.seq });
        }
        if event.seq < seq {
            return fail(FailureReason::OutOfOrder { found: event.seq });
        }
        if event.prev_hash != self.prev {
            return fail(FailureReason::PrevHashMismatch);
        }
        let leaf = leaf_hash_with(event, &mut self.buf);
        if leaf != *stored_leaf_hash {
            return fail(FailureReason::ContentAltered);
        }
        self.prev = leaf;
        self.tree.append_with(leaf, node);
        Ok(())
    }

    /// Compares a signed checkpoint with the tree as verified so far. Call
    /// it when `size() == size` (or use [`ChainVerifier::with_checkpoints`]);
    /// a size beyond the stream means the stored log is shorter.
    pub fn check_checkpoint(&mut self, size: u64, root: &Hash) -> Result<(), Failure> {
        let current = self.tree.size();
        if size > current {
            return Err(Failure {
                seq: current,
                reason: FailureReason::TreeShorterThanCheckpoint {
                    checkpoint_size: size,
                },
            });
        }
        if size < current {
            return Err(Failure {
                seq: size,
                reason: FailureReason::CheckpointAlreadyPassed {
                    checkpoint_size: size,
                },
            });
        }
        if self.tree.root() != *root {
            return Err(Failure {
                seq: size.saturating_sub(1),
                reason: FailureReason::CheckpointRootMismatch {
                    checkpoint_size: size,
                    last_good_size: self.last_good_size,
                },
            });
        }
        self.last_good_size = size;
        self.checkpoints_checked += 1;
        Ok(())
    }

    fn check_due(&mut self) -> Result<(), Failure> {
        while let Some(&(size, root)) = self.pending.last() {
            if size > self.tree.size() {
                break;
            }
            self.pending.pop();
            self.check_checkpoint(size, &root)?;
        }
        Ok(())
    }

    /// Ends the stream: checks checkpoints due at the final size and fails
    /// if any registered checkpoint is beyond it.
    pub fn finish(mut self) -> Result<Verified, Failure> {
        self.check_due()?;
        if let Some(&(size, root)) = self.pending.last() {
            self.check_checkpoint(size, &root)?;
        }
        Ok(Verified {
            size: self.tree.size(),
            root: self.tree.root(),
            checkpoints_checked: self.checkpoints_checked,
        })
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
