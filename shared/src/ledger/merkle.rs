//! RFC 6962 / RFC 9162 Merkle tree hashing and proof *generation* from stored
//! perfect subtrees.
//!
//! Owns the tree shape: leaf and node hashing, the root of a list of leaves,
//! and which stored nodes an inclusion or consistency proof needs. Storage is
//! the caller's: a stored node is a [`NodeId`] `{ level, index }` covering
//! leaves `[index·2^level, (index+1)·2^level)`, only ever a *perfect*
//! (complete, aligned) subtree, level 0 being the leaf hashes. The server
//! asks [`inclusion_proof_nodes`] / [`consistency_proof_nodes`] which nodes to
//! fetch (O(log n) of them, in one query), then passes a lookup to
//! [`build_inclusion_proof`] / [`build_consistency_proof`], which assemble the
//! RFC 9162 proof. A proof element that is an incomplete right-edge subtree is
//! folded here from its perfect parts, so no incomplete node is ever stored.
//!
//! Node lists come in the order transparency-dev/merkle's `proof.Inclusion`
//! and `proof.Consistency` use: proof elements bottom-up, and the perfect
//! parts of a folded element smallest (right-most) first. Nothing here
//! touches storage, and nothing here verifies a proof (see `proof`).

use super::compact::CompactRange;
use super::proof::ProofError;

use super::hash::{node_hash, Hash, NodeId};

/// MTH over the given leaf hashes (RFC 9162 §2.1.1); [`EMPTY_ROOT`] for none.
pub fn root(leaves: &[Hash]) -> Hash {
    let mut range = CompactRange::new();
    for leaf in leaves {
        range.push(*leaf);
    }
    range.root()
}

/// One element of a proof, before its hash is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    /// A stored perfect subtree.
    Node(NodeId),
    /// The incomplete right-edge subtree over leaves `[start, end)`, folded
    /// from its perfect parts.
    Fold { start: u64, end: u64 },
}

/// The perfect subtrees that make up `[start, end)`, where `start` is aligned
/// to a power of two larger than the range, smallest (right-most) first.
fn fold_parts(start: u64, end: u64) -> impl Iterator<Item = NodeId> {
    let len = end - start;
    (0..64u8)
        .filter(move |b| (len >> b) & 1 == 1)
        .map(move |b| {
            // Bits above `b` of `len` precede this part.
            let offset = start + (len >> b >> 1 << 1 << b);
            NodeId::new(b, offset >> b)
        })
}

/// The proof path from the perfect node `(level, index)` up to the root of a
/// tree of `size` leaves (RFC 9162 §2.1.3.1, generalised from a leaf to any
/// perfect node). Caller guarantees the node lies within `size`.
fn path(level: u8, index: u64, size: u64, out: &mut Vec<Element>) {
    let last = (size - 1) >> level;
    // Levels (above `level`) below which the node's sibling is inside the
    // tree on the right; at `inner - 1` that sibling is the right edge.
    let inner = (64 - (index ^ last).leading_zeros()) as u8;
    for j in 0..inner {
        let sib = (index >> j) ^ 1;
        let lvl = level + j;
        if j + 1 < inner {
            out.push(Element::Node(NodeId::new(lvl, sib)));
        } else {
            let start = sib << lvl;
            if (size - start) >> lvl == 1 {
                out.push(Element::Node(NodeId::new(lvl, sib)));
            } else {
                out.push(Element::Fold { start, end: size });
            }
        }
    }
    for j in inner..(64 - level) {
        if (index >> j) & 1 == 1 {
            out.push(Element::Node(NodeId::new(level + j, (index >> j) ^ 1)));
        }
    }
}

fn inclusion_plan(leaf_index: u64, tree_size: u64) -> Result<Vec<Element>, ProofError> {
    if leaf_index >= tree_size {
        return Err(ProofError::IndexOutOfRange {
            index: leaf_index,
            size: tree_size,
        });
    }
    let mut out = Vec::with_capacity(64);
    path(0, leaf_index, tree_size, &mut out);
    Ok(out)
}

fn consistency_plan(old_size: u64, new_size: u64) -> Result<Vec<Element>, ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeGreater { old_size, new_size });
    }
    let mut out = Vec::with_capacity(64);
    if old_size == 0 || old_size == new_size {
        return Ok(out);
    }
    // The right-most perfect subtree of the old tree; its inclusion path in
    // the new tree is the proof, preceded by the node itself unless it is
    // the whole old tree (old_size a power of two).
    let level = old_size.trailing_zeros() as u8;
    let index = (old_size - 1) >> level;
    if index != 0 {
        out.push(Element::Node(NodeId::new(level, index)));
    }
    path(level, index, new_size, &mut out);
    Ok(out)
}

fn flatten(plan: &[Element]) -> Vec<NodeId> {
    let mut ids = Vec::with_capacity(plan.len() + 8);
    for e in plan {
        match *e {
            Element::Node(id) => ids.push(id),
            Element::Fold { start, end } => ids.extend(fold_parts(start, end)),
        }
    }
    ids
}

fn assemble(
    plan: &[Element],
    lookup: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofError> {
    let get = |id: NodeId| lookup(id).ok_or(ProofError::MissingNode(id));
    plan.iter()
        .map(|e| match *e {
            Element::Node(id) => get(id),
            Element::Fold { start, end } => {
                let mut parts = fold_parts(start, end);
                let mut acc = parts.next().map(get).ok_or(ProofError::Internal)??;
                for id in parts {
                    acc = node_hash(&get(id)?, &acc);
                }
                Ok(acc)
            }
        })
        .collect()
}

/// The stored nodes needed for the inclusion proof of `leaf_index` in a tree
/// of `tree_size` leaves (none for a one-leaf tree).
pub fn inclusion_proof_nodes(leaf_index: u64, tree_size: u64) -> Result<Vec<NodeId>, ProofError> {
    Ok(flatten(&inclusion_plan(leaf_index, tree_size)?))
}

/// The stored nodes needed for the consistency proof from `old_size` to
/// `new_size` (none when `old_size` is 0 or equals `new_size`).
pub fn consistency_proof_nodes(old_size: u64, new_size: u64) -> Result<Vec<NodeId>, ProofError> {
    Ok(flatten(&consistency_plan(old_size, new_size)?))
}

/// The RFC 9162 inclusion proof, assembled from stored perfect nodes.
pub fn build_inclusion_proof(
    leaf_index: u64,
    tree_size: u64,
    lookup: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofError> {
    assemble(&inclusion_plan(leaf_index, tree_size)?, lookup)
}

/// The RFC 9162 consistency proof, assembled from stored perfect nodes.
pub fn build_consistency_proof(
    old_size: u64,
    new_size: u64,
    lookup: &impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofError> {
    assemble(&consistency_plan(old_size, new_size)?, lookup)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ledger::hash::{hash_leaf, EMPTY_ROOT};
    use crate::ledger::testdata::*;
    use std::collections::HashMap;

    #[test]
    fn leaf_and_node_hashes_match_rfc6962_vectors() {
        let (empty_root, empty_leaf, leaf) = rfc6962_hash_vectors();
        assert_eq!(EMPTY_ROOT, empty_root);
        assert_eq!(root(&[]), EMPTY_ROOT);
        assert_eq!(hash_leaf(b""), empty_leaf);
        assert_eq!(hash_leaf(b"L123456"), leaf);
        let (a, b) = (h32(b"a"), h32(b"b"));
        let mut pre = vec![1u8];
        pre.extend_from_slice(&a);
        pre.extend_from_slice(&b);
        assert_eq!(node_hash(&a, &b), h32(&pre));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn root_matches_the_reference_roots_for_every_size_1_to_8() {
        let leaves = reference_leaf_hashes();
        for (n, want) in reference_roots().iter().enumerate() {
            assert_eq!(root(&leaves[..n + 1]), *want, "size {}", n + 1);
        }
    }

    #[test]
    fn root_matches_rfc_recursion_up_to_300_leaves() {
        let leaves = synthetic_leaves(300);
        for n in 0..=300 {
            assert_eq!(root(&leaves[..n]), ref_root(&leaves[..n]), "size {n}");
        }
    }

    fn store(leaves: &[Hash]) -> HashMap<NodeId, Hash> {
        let mut r = CompactRange::new();
        let mut m = HashMap::new();
        for l in leaves {
            r.append_with(*l, |id, h| {
                m.insert(id, h);
            });
        }
        m
    }

    #[test]
    fn built_proofs_match_the_reference_vectors() {
        let leaves = reference_leaf_hashes();
        let m = store(&leaves);
        let lookup = |id| m.get(&id).copied();
        for (leaf, size, proof) in reference_inclusion_proofs() {
            assert_eq!(build_inclusion_proof(leaf, size, &lookup).unwrap(), proof);
        }
        for (m1, m2, proof) in reference_consistency_proofs() {
            assert_eq!(build_consistency_proof(m1, m2, &lookup).unwrap(), proof);
        }
    }

    #[test]
    fn node_lists_match_transparency_dev_node_lists() {
        for (index, size, want) in reference_inclusion_nodes() {
            assert_eq!(
                inclusion_proof_nodes(index, size).unwrap(),
                want,
                "{index}/{size}"
            );
        }
        for (m1, m2, want) in reference_consistency_nodes() {
            assert_eq!(consistency_proof_nodes(m1, m2).unwrap(), want, "{m1}->{m2}");
        }
    }

    #[test]
    fn proofs_from_perfect_nodes_equal_proofs_from_the_leaf_list() {
        let leaves = synthetic_leaves(64);
        let m = store(&leaves);
        let lookup = |id| m.get(&id).copied();
        for n in 1..=64usize {
            for i in 0..n {
                let got = build_inclusion_proof(i as u64, n as u64, &lookup).unwrap();
                assert_eq!(got, ref_inclusion(i, &leaves[..n]), "leaf {i} of {n}");
            }
            for k in 1..=n {
                let got = build_consistency_proof(k as u64, n as u64, &lookup).unwrap();
                assert_eq!(got, ref_consistency(k, &leaves[..n]), "{k} -> {n}");
            }
        }
    }

    #[test]
    fn only_perfect_nodes_are_requested_and_only_log_many() {
        for n in 1..=200u64 {
            for i in 0..n {
                let ids = inclusion_proof_nodes(i, n).unwrap();
                assert!(ids.len() <= 2 * 64);
                for id in ids {
                    assert!((id.index + 1) << id.level <= n, "{id:?} outside {n}");
                }
            }
            for k in 1..=n {
                for id in consistency_proof_nodes(k, n).unwrap() {
                    assert!((id.index + 1) << id.level <= n, "{id:?} outside {n}");
                }
            }
        }
    }

    #[test]
    fn node_lists_stay_logarithmic_for_huge_trees() {
        let n = (1u64 << 62) + 12345;
        let ids = inclusion_proof_nodes(n - 1, n).unwrap();
        assert!(ids.len() <= 64);
        let ids = consistency_proof_nodes(n - 7, n).unwrap();
        assert!(ids.len() <= 2 * 64);
        assert!(inclusion_proof_nodes(u64::MAX - 1, u64::MAX).is_ok());
    }

    #[test]
    fn generation_rejects_bad_sizes() {
        assert!(matches!(
            inclusion_proof_nodes(0, 0),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(inclusion_proof_nodes(7, 7).is_err());
        assert!(matches!(
            consistency_proof_nodes(9, 8),
            Err(ProofError::OldSizeGreater { .. })
        ));
        assert_eq!(consistency_proof_nodes(0, 8).unwrap(), vec![]);
        assert_eq!(consistency_proof_nodes(5, 5).unwrap(), vec![]);
    }

    #[test]
    fn builders_fetch_exactly_the_listed_nodes() {
        let m = store(&synthetic_leaves(100));
        for n in 1..=100u64 {
            for i in (0..n).step_by(3) {
                let seen = std::cell::RefCell::new(Vec::new());
                let lookup = |id| {
                    seen.borrow_mut().push(id);
                    m.get(&id).copied()
                };
                build_inclusion_proof(i, n, &lookup).unwrap();
                assert_eq!(seen.into_inner(), inclusion_proof_nodes(i, n).unwrap());
                let seen = std::cell::RefCell::new(Vec::new());
                let lookup = |id| {
                    seen.borrow_mut().push(id);
                    m.get(&id).copied()
                };
                build_consistency_proof(i + 1, n, &lookup).unwrap();
                assert_eq!(
                    seen.into_inner(),
                    consistency_proof_nodes(i + 1, n).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_missing_stored_node_is_named() {
        let err = build_inclusion_proof(0, 8, &|_| None).unwrap_err();
        assert_eq!(err, ProofError::MissingNode(NodeId::new(0, 1)));
    }
}
