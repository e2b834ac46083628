//! Merkle proof *verification*, exactly as RFC 9162 §2.1.3.2 (inclusion) and
//! §2.1.4.2 (consistency) describe it.
//!
//! Owns the decision "does this proof tie this leaf / this old root to this
//! root", and the error type shared with proof generation. It trusts nothing
//! it is given: the expected proof length is checked up front (so appended,
//! prepended or dropped elements fail with a clear error), then the RFC
//! algorithm runs unchanged. Choices where the RFC is silent:
//! - `old_size == 0`: consistent with anything, but the proof must be empty
//!   and `old_root` must be the empty-tree hash (SHA-256 of "").
//! - `old_size == new_size`: the proof must be empty and the roots equal.
//!
//! The tree size is an input, not something a proof proves: two sizes whose
//! proof paths have the same shape accept the same proof against the same
//! root. Always take size and root together from one verified checkpoint.

use super::hash::{node_hash, Hash, NodeId, EMPTY_ROOT};

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeGreater { old_size: u64, new_size: u64 },
    #[error("proof has {actual} hashes; these sizes need {expected}")]
    WrongProofLength { expected: usize, actual: usize },
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    #[error("proof does not lead to the expected old root")]
    OldRootMismatch,
    #[error("stored tree node {0:?} is missing")]
    MissingNode(NodeId),
    #[error("internal error while building a proof")]
    Internal,
}

/// Number of hashes in the path from perfect node `(level, index)` to the
/// root of a tree of `size` leaves.
fn path_len(level: u32, index: u64, size: u64) -> usize {
    let last = (size - 1) >> level;
    let inner = 64 - (index ^ last).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Expected inclusion proof length (`index < size`).
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    Ok(path_len(0, index, size))
}

/// Expected consistency proof length.
pub fn consistency_proof_len(old_size: u64, new_size: u64) -> Result<usize, ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeGreater { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(0);
    }
    let level = old_size.trailing_zeros();
    let index = (old_size - 1) >> level;
    Ok(usize::from(index != 0) + path_len(level, index, new_size))
}

fn check_len(expected: usize, proof: &[Hash]) -> Result<(), ProofError> {
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        });
    }
    Ok(())
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4).
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    check_len(inclusion_proof_len(index, tree_size)?, proof)?;
    let (mut fn_, mut sn) = (index, tree_size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::RootMismatch);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::RootMismatch);
    }
    Ok(r)
}

/// RFC 9162 §2.1.3.2: is `leaf_hash` the leaf at `index` of the tree of
/// `tree_size` leaves with head `root`?
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion_proof(leaf_hash, index, tree_size, proof)? != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: is the tree (`new_size`, `new_root`) an append-only
/// extension of (`old_size`, `old_root`)?
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_len(consistency_proof_len(old_size, new_size)?, proof)?;
    if old_size == 0 {
        return if *old_root == EMPTY_ROOT {
            Ok(())
        } else {
            Err(ProofError::OldRootMismatch)
        };
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // Step 2: if old_size is a power of two, the old root is the first node.
    let (seed, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => {
                return Err(ProofError::WrongProofLength {
                    expected: 1,
                    actual: 0,
                })
            }
        }
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::RootMismatch);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root || sn != 0 {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
#[path = "proof_tests.rs"]
mod tests;
