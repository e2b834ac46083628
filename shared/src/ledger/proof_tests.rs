//! Tests for `proof`: golden vectors, every way a proof can be wrong, and
//! exhaustive generate-then-verify for all trees up to 64 leaves.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::ledger::compact::CompactRange;
use crate::ledger::merkle::{build_consistency_proof, build_inclusion_proof, root};
use crate::ledger::testdata::*;
use std::collections::HashMap;

fn some_hash() -> Hash {
    // proof/verify_test.go sha256SomeHash
    dh("abacaba000000000000000000000000000000000000000000060061e00123456")
}

/// Every single-element corruption of `proof`: each bit flipped (or one bit
/// per element when `all_bits` is false), truncations, extensions,
/// insertions, reorderings, and the empty proof.
fn corrupted(proof: &[Hash], extras: &[Hash], all_bits: bool) -> Vec<(String, Vec<Hash>)> {
    let mut out = Vec::new();
    for i in 0..proof.len() {
        let bits: Vec<usize> = if all_bits {
            (0..256).collect()
        } else {
            vec![(i * 37) % 256]
        };
        for bit in bits {
            let mut p = proof.to_vec();
            p[i][bit / 8] ^= 1 << (bit % 8);
            out.push((format!("bit {bit} of element {i} flipped"), p));
        }
    }
    if !proof.is_empty() {
        out.push((
            "last element dropped".into(),
            proof[..proof.len() - 1].to_vec(),
        ));
        out.push(("first element dropped".into(), proof[1..].to_vec()));
        out.push(("empty proof".into(), vec![]));
    }
    if proof.len() > 1 {
        let mut p = proof.to_vec();
        p.swap(0, 1);
        if p != proof {
            out.push(("first two elements swapped".into(), p));
        }
        let mut p = proof.to_vec();
        p.insert(1, some_hash());
        out.push(("element inserted".into(), p));
    }
    for (k, extra) in extras
        .iter()
        .chain([[0u8; 32], some_hash()].iter())
        .enumerate()
    {
        let mut p = proof.to_vec();
        p.push(*extra);
        out.push((format!("extra element {k} appended"), p));
        let mut p = vec![*extra];
        p.extend_from_slice(proof);
        out.push((format!("extra element {k} prepended"), p));
    }
    if let Some(first) = proof.first() {
        let mut p = vec![*first];
        p.extend_from_slice(proof);
        out.push(("proof[0] duplicated in front".into(), p));
    }
    out
}

fn assert_inclusion_rejects_all_corruptions(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root_: &Hash,
    all_bits: bool,
) {
    verify_inclusion(leaf, index, size, proof, root_).unwrap();
    for (what, p) in corrupted(proof, &[*root_, *leaf], all_bits) {
        assert!(
            verify_inclusion(leaf, index, size, &p, root_).is_err(),
            "{what} accepted for leaf {index} of {size}"
        );
    }
    let mut wrong_leaf = *leaf;
    wrong_leaf[0] ^= 1;
    let probes: [(&str, Hash, u64, u64, Hash); 10] = [
        ("wrong leaf", wrong_leaf, index, size, *root_),
        ("empty root", *leaf, index, size, EMPTY_ROOT),
        ("random root", *leaf, index, size, some_hash()),
        ("index + 1", *leaf, index + 1, size, *root_),
        ("index - 1", *leaf, index.wrapping_sub(1), size, *root_),
        ("index ^ 2", *leaf, index ^ 2, size, *root_),
        ("index far", *leaf, index + (1 << 40), size, *root_),
        ("size * 2", *leaf, index, size * 2, *root_),
        ("size / 2", *leaf, index, size / 2, *root_),
        ("size far", *leaf, index, size + (1 << 40), *root_),
    ];
    for (what, l, i, n, r) in probes {
        assert!(
            verify_inclusion(&l, i, n, proof, &r).is_err(),
            "{what} accepted for leaf {index} of {size}"
        );
    }
}

#[test]
fn reference_inclusion_proofs_verify_and_every_corruption_fails() {
    let leaves = reference_leaf_hashes();
    let roots = reference_roots();
    for (index, size, proof) in reference_inclusion_proofs() {
        let (leaf, root_) = (leaves[index as usize], roots[size as usize - 1]);
        assert_eq!(
            root_from_inclusion_proof(&leaf, index, size, &proof).unwrap(),
            root_
        );
        assert_inclusion_rejects_all_corruptions(&leaf, index, size, &proof, &root_, true);
    }
}

#[test]
fn single_entry_tree_needs_an_empty_proof_and_equal_leaf_and_root() {
    let h = hash_leaf_of(b"data");
    verify_inclusion(&h, 0, 1, &[], &h).unwrap();
    assert!(verify_inclusion(&h, 0, 1, &[], &EMPTY_ROOT).is_err());
    assert!(verify_inclusion(&EMPTY_ROOT, 0, 1, &[], &h).is_err());
    assert!(verify_inclusion(&h, 0, 1, &[h], &h).is_err());
}

fn hash_leaf_of(d: &[u8]) -> Hash {
    crate::ledger::hash::hash_leaf(d)
}

#[test]
fn inclusion_rejects_index_outside_the_tree() {
    for (i, n) in [(0, 0), (1, 0), (1, 1), (2, 1), (8, 8), (u64::MAX, 3)] {
        assert_eq!(
            verify_inclusion(&some_hash(), i, n, &[], &EMPTY_ROOT),
            Err(ProofError::IndexOutOfRange { index: i, size: n })
        );
    }
}

fn assert_consistency_rejects_all_corruptions(
    m: u64,
    n: u64,
    r1: &Hash,
    r2: &Hash,
    proof: &[Hash],
    all_bits: bool,
) {
    verify_consistency(m, n, r1, r2, proof).unwrap();
    for (what, p) in corrupted(proof, &[*r1, *r2], all_bits) {
        assert!(
            verify_consistency(m, n, r1, r2, &p).is_err(),
            "{what} accepted for {m} -> {n}"
        );
    }
    let probes: [(&str, u64, u64, Hash, Hash); 9] = [
        ("swapped roots", m, n, *r2, *r1),
        ("wrong old root", m, n, some_hash(), *r2),
        ("wrong new root", m, n, *r1, some_hash()),
        ("old size + 1", m + 1, n, *r1, *r2),
        ("old size ^ 2", m ^ 2, n, *r1, *r2),
        ("new size * 2", m, n * 2, *r1, *r2),
        ("new size / 2", m, n / 2, *r1, *r2),
        ("new size far", m, n + (1 << 40), *r1, *r2),
        ("sizes swapped", n, m, *r1, *r2),
    ];
    for (what, a, b, x, y) in probes {
        if (a, b) == (m, n) && x == *r1 && y == *r2 {
            continue;
        }
        assert!(
            verify_consistency(a, b, &x, &y, proof).is_err(),
            "{what} accepted for {m} -> {n}"
        );
    }
    if m > 1 {
        assert!(
            verify_consistency(m - 1, n, r1, r2, proof).is_err(),
            "old size - 1 accepted"
        );
    }
}

#[test]
fn reference_consistency_proofs_verify_and_every_corruption_fails() {
    let roots = reference_roots();
    for (m, n, proof) in reference_consistency_proofs() {
        let (r1, r2) = (roots[m as usize - 1], roots[n as usize - 1]);
        if m == n {
            verify_consistency(m, n, &r1, &r2, &proof).unwrap();
            continue;
        }
        assert_consistency_rejects_all_corruptions(m, n, &r1, &r2, &proof, true);
    }
}

#[test]
fn consistency_edge_cases_follow_rfc_9162() {
    let (a, b) = (some_hash(), hash_leaf_of(b"x"));
    // Equal sizes: empty proof and equal roots.
    verify_consistency(3, 3, &a, &a, &[]).unwrap();
    assert_eq!(
        verify_consistency(3, 3, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert!(verify_consistency(3, 3, &a, &a, &[a]).is_err());
    // From the empty tree: always consistent, empty proof, empty-tree root.
    verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).unwrap();
    verify_consistency(0, 5, &EMPTY_ROOT, &b, &[]).unwrap();
    assert!(verify_consistency(0, 5, &EMPTY_ROOT, &b, &[EMPTY_ROOT]).is_err());
    assert_eq!(
        verify_consistency(0, 5, &a, &b, &[]),
        Err(ProofError::OldRootMismatch)
    );
    // Old larger than new is an error, whatever the proof.
    assert_eq!(
        verify_consistency(2, 1, &a, &b, &[]),
        Err(ProofError::OldSizeGreater {
            old_size: 2,
            new_size: 1
        })
    );
    assert!(verify_consistency(1, 0, &a, &b, &[]).is_err());
    // A proof is needed when the tree grew.
    assert_eq!(
        verify_consistency(1, 2, &a, &b, &[]),
        Err(ProofError::WrongProofLength {
            expected: 1,
            actual: 0
        })
    );
}

struct Tree {
    leaves: Vec<Hash>,
    roots: Vec<Hash>,
    nodes: HashMap<crate::ledger::hash::NodeId, Hash>,
}

fn tree(n: usize) -> Tree {
    let leaves = synthetic_leaves(n);
    let mut c = CompactRange::new();
    let mut nodes = HashMap::new();
    let mut roots = vec![c.root()];
    for l in &leaves {
        nodes.extend(c.append(*l));
        roots.push(c.root());
    }
    Tree {
        leaves,
        roots,
        nodes,
    }
}

#[test]
fn every_generated_inclusion_proof_up_to_64_leaves_verifies() {
    let t = tree(64);
    let lookup = |id| t.nodes.get(&id).copied();
    for n in 1..=64u64 {
        let r = t.roots[n as usize];
        assert_eq!(r, root(&t.leaves[..n as usize]));
        for i in 0..n {
            let proof = build_inclusion_proof(i, n, &lookup).unwrap();
            assert_eq!(proof, ref_inclusion(i as usize, &t.leaves[..n as usize]));
            let leaf = t.leaves[i as usize];
            assert_inclusion_rejects_all_corruptions(&leaf, i, n, &proof, &r, false);
            // Real tree heads of other sizes must not accept it either.
            for other in [n - 1, n + 1] {
                if other > i && other <= 64 {
                    let ro = t.roots[other as usize];
                    assert!(verify_inclusion(&leaf, i, other, &proof, &ro).is_err());
                }
            }
        }
    }
}

#[test]
fn every_generated_consistency_proof_up_to_64_leaves_verifies() {
    let t = tree(64);
    let lookup = |id| t.nodes.get(&id).copied();
    for n in 1..=64u64 {
        for m in 1..=n {
            let proof = build_consistency_proof(m, n, &lookup).unwrap();
            assert_eq!(proof, ref_consistency(m as usize, &t.leaves[..n as usize]));
            let (r1, r2) = (t.roots[m as usize], t.roots[n as usize]);
            if m == n {
                verify_consistency(m, n, &r1, &r2, &proof).unwrap();
                continue;
            }
            assert_consistency_rejects_all_corruptions(m, n, &r1, &r2, &proof, false);
            // Real tree heads of neighbouring sizes must not accept it.
            for (a, b) in [(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)] {
                if a <= b && b <= 64 && (a, b) != (m, n) && a > 0 {
                    let (x, y) = (t.roots[a as usize], t.roots[b as usize]);
                    assert!(
                        verify_consistency(a, b, &x, &y, &proof).is_err(),
                        "{m}->{n} proof accepted for {a}->{b}"
                    );
                }
            }
        }
    }
}

#[test]
fn proof_lengths_match_generated_proofs() {
    let t = tree(40);
    let lookup = |id| t.nodes.get(&id).copied();
    for n in 1..=40u64 {
        for i in 0..n {
            let len = build_inclusion_proof(i, n, &lookup).unwrap().len();
            assert_eq!(inclusion_proof_len(i, n).unwrap(), len);
        }
        for m in 0..=n {
            let len = build_consistency_proof(m, n, &lookup).unwrap().len();
            assert_eq!(consistency_proof_len(m, n).unwrap(), len);
        }
    }
}

#[test]
fn tree_size_is_bound_by_the_signed_checkpoint_not_the_proof() {
    // RFC 9162 verification cannot tell sizes whose paths have the same
    // shape: the proof for leaf 0 of 8 also "verifies" with size 7 against
    // the size-8 root. Safe only because a checkpoint signs size and root
    // together; the real size-7 head rejects it.
    let leaves = reference_leaf_hashes();
    let roots = reference_roots();
    let proof = &reference_inclusion_proofs()[1].2;
    verify_inclusion(&leaves[0], 0, 7, proof, &roots[7]).unwrap();
    assert!(verify_inclusion(&leaves[0], 0, 7, proof, &roots[6]).is_err());
    // Likewise for consistency 1 -> 8 read as 1 -> 7.
    let proof = &reference_consistency_proofs()[1].2;
    verify_consistency(1, 7, &roots[0], &roots[7], proof).unwrap();
    assert!(verify_consistency(1, 7, &roots[0], &roots[6], proof).is_err());
}
