//! The compact range: an incremental Merkle tree builder over `[0, size)`.
//!
//! Owns the O(log n) state a sequencer (or a verifier) needs to append leaves
//! and know the root at every size: one hash per perfect subtree in the
//! binary decomposition of `size`, largest (left-most) first. Each append
//! reports every perfect node it completes, so the sequencer can store them
//! and later serve proofs (see `merkle`) without recomputation; a sequencer
//! resumes from stored nodes with [`CompactRange::from_nodes`]. It never
//! stores incomplete nodes and never touches storage itself.

use super::hash::{node_hash, Hash, NodeId, EMPTY_ROOT};
use super::proof::ProofError;

/// Incremental RFC 6962 tree over leaves `[0, size)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// Perfect subtree roots for the set bits of `size`, highest level first.
    hashes: Vec<Hash>,
}

impl Default for CompactRange {
    fn default() -> Self {
        Self::new()
    }
}

/// The perfect nodes whose hashes make up the compact range of `size`,
/// largest (left-most) first: what to fetch for [`CompactRange::from_nodes`]
/// or to compute the root of an older tree size from storage.
pub fn compact_range_nodes(size: u64) -> Vec<NodeId> {
    let mut start = 0u64;
    (0..64u8)
        .rev()
        .filter(|b| (size >> b) & 1 == 1)
        .map(|b| {
            let id = NodeId::new(b, start >> b);
            start += 1 << b;
            id
        })
        .collect()
}

impl CompactRange {
    /// The empty tree.
    pub fn new() -> Self {
        Self {
            size: 0,
            hashes: Vec::with_capacity(64),
        }
    }

    /// Rebuilds the range for `size` leaves from stored perfect nodes (those
    /// listed by [`compact_range_nodes`]).
    pub fn from_nodes(
        size: u64,
        lookup: &impl Fn(NodeId) -> Option<Hash>,
    ) -> Result<Self, ProofError> {
        let mut hashes = Vec::with_capacity(64);
        for id in compact_range_nodes(size) {
            hashes.push(lookup(id).ok_or(ProofError::MissingNode(id))?);
        }
        Ok(Self { size, hashes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree head for the current size ([`EMPTY_ROOT`] when empty).
    pub fn root(&self) -> Hash {
        let mut it = self.hashes.iter().rev();
        let Some(first) = it.next() else {
            return EMPTY_ROOT;
        };
        it.fold(*first, |acc, left| node_hash(left, &acc))
    }

    /// The current compact range as `(node, hash)`, largest first.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, Hash)> + '_ {
        compact_range_nodes(self.size)
            .into_iter()
            .zip(self.hashes.iter().copied())
    }

    /// Appends a leaf hash; returns every perfect node this completed, from
    /// the leaf itself (level 0) upwards.
    pub fn append(&mut self, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let mut done = Vec::with_capacity(1 + self.size.trailing_ones() as usize);
        self.append_with(leaf, |id, h| done.push((id, h)));
        done
    }

    /// Appends a leaf hash without reporting completed nodes (no allocation).
    pub fn push(&mut self, leaf: Hash) {
        self.append_with(leaf, |_, _| {});
    }

    /// Appends a leaf hash, calling `sink` for each perfect node completed,
    /// from the leaf (level 0) upwards. Allocation-free.
    pub fn append_with(&mut self, leaf: Hash, mut sink: impl FnMut(NodeId, Hash)) {
        let mut index = self.size;
        let mut level = 0u8;
        let mut hash = leaf;
        sink(NodeId::new(0, index), hash);
        // Every trailing one bit of the old size is a left sibling to merge.
        while index & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                break; // unreachable: one stored hash per set bit of size
            };
            hash = node_hash(&left, &hash);
            index >>= 1;
            level += 1;
            sink(NodeId::new(level, index), hash);
        }
        self.hashes.push(hash);
        self.size += 1;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ledger::merkle::root;
    use crate::ledger::testdata::synthetic_leaves;
    use crate::ledger::testdata::{ref_root, reference_leaf_hashes, reference_roots};
    use std::collections::HashMap;

    #[test]
    fn root_after_every_append_equals_root_of_the_prefix() {
        let leaves = synthetic_leaves(200);
        let mut r = CompactRange::new();
        assert_eq!(r.root(), EMPTY_ROOT);
        for n in 1..=leaves.len() {
            r.push(leaves[n - 1]);
            assert_eq!(r.size(), n as u64);
            assert_eq!(r.root(), root(&leaves[..n]));
            assert_eq!(r.root(), ref_root(&leaves[..n]));
        }
    }

    #[test]
    fn roots_match_the_reference_tree() {
        let mut r = CompactRange::new();
        for (leaf, want) in reference_leaf_hashes().into_iter().zip(reference_roots()) {
            r.push(leaf);
            assert_eq!(r.root(), want);
        }
    }

    #[test]
    fn reported_nodes_are_exactly_the_perfect_subtrees_with_correct_hashes() {
        let leaves = synthetic_leaves(100);
        let mut r = CompactRange::new();
        let mut reported = HashMap::new();
        for (n, leaf) in leaves.iter().enumerate() {
            for (id, h) in r.append(*leaf) {
                // Completed by this append: its last leaf is leaf n.
                assert_eq!((id.index + 1) << id.level, n as u64 + 1, "{id:?}");
                assert!(reported.insert(id, h).is_none(), "{id:?} reported twice");
            }
        }
        // Every perfect subtree within 100 leaves, and nothing else.
        let mut want = 0;
        for level in 0..7u8 {
            for index in 0..(100u64 >> level) {
                want += 1;
                let lo = (index << level) as usize;
                let hi = ((index + 1) << level) as usize;
                assert_eq!(
                    reported[&NodeId::new(level, index)],
                    ref_root(&leaves[lo..hi])
                );
            }
        }
        assert_eq!(reported.len(), want);
    }

    #[test]
    fn from_nodes_resumes_where_the_sequencer_stopped() {
        let leaves = synthetic_leaves(70);
        let mut stored = HashMap::new();
        let mut r = CompactRange::new();
        for n in 0..=leaves.len() {
            let resumed =
                CompactRange::from_nodes(n as u64, &|id| stored.get(&id).copied()).unwrap();
            assert_eq!(resumed, r, "size {n}");
            assert_eq!(
                resumed.nodes().collect::<Vec<_>>(),
                r.nodes().collect::<Vec<_>>()
            );
            if n < leaves.len() {
                let mut resumed = resumed;
                let a = resumed.append(leaves[n]);
                let b = r.append(leaves[n]);
                assert_eq!(a, b);
                stored.extend(b);
            }
        }
    }

    #[test]
    fn from_nodes_names_a_missing_node() {
        let err = CompactRange::from_nodes(6, &|_| None).unwrap_err();
        assert_eq!(err, ProofError::MissingNode(NodeId::new(2, 0)));
    }

    #[test]
    fn compact_range_nodes_decompose_the_size() {
        assert_eq!(compact_range_nodes(0), vec![]);
        assert_eq!(
            compact_range_nodes(13),
            vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::new(0, 12)]
        );
    }
}
