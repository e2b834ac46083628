//! Test-only golden vectors and a deliberately naive reference implementation
//! of RFC 6962 §2.1 (MTH, PATH, PROOF) over a plain leaf list, used to
//! cross-check the storage-based generator and the verifier.
//!
//! Golden values are copied verbatim from transparency-dev/merkle:
//! - `proof/verify_test.go` (leaves, roots, inclusionProofs, consistencyProofs)
//! - `proof/proof_test.go` (TestInclusion / TestConsistency node lists)
//! - `rfc6962/rfc6962_test.go` (TestRFC6962Hasher)

#![allow(clippy::unwrap_used)]

use super::hash::{hash_leaf, node_hash, Hash, NodeId};
use sha2::{Digest, Sha256};

pub(crate) fn dh(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).unwrap();
    out
}

pub(crate) fn h32(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}

/// rfc6962/rfc6962_test.go: (empty root, empty leaf hash, hash of leaf "L123456").
pub(crate) fn rfc6962_hash_vectors() -> (Hash, Hash, Hash) {
    (
        dh("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        dh("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"),
    )
}

/// proof/verify_test.go `leaves`.
pub(crate) fn reference_leaf_data() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| hex::decode(s).unwrap())
    .collect()
}

pub(crate) fn reference_leaf_hashes() -> Vec<Hash> {
    reference_leaf_data().iter().map(|d| hash_leaf(d)).collect()
}

/// proof/verify_test.go `roots`: roots[i] is the root of the first i+1 leaves.
pub(crate) fn reference_roots() -> [Hash; 8] {
    [
        dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        dh("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        dh("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
        dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        dh("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
        dh("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
        dh("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
        dh("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ]
}

/// proof/verify_test.go `inclusionProofs` (entries 1..=5; the Go file numbers
/// leaves from 1, converted here to 0-based `(leaf_index, tree_size, proof)`).
pub(crate) fn reference_inclusion_proofs() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (0, 1, vec![]),
        (
            0,
            8,
            vec![
                dh("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                dh("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                dh("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![dh(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                dh("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
    ]
}

/// proof/verify_test.go `consistencyProofs`: `(size1, size2, proof)`.
pub(crate) fn reference_consistency_proofs() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                dh("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                dh("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                dh("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                dh("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                dh("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                dh("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                dh("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                dh("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                dh("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn ids(list: &[(u8, u64)]) -> Vec<NodeId> {
    list.iter().map(|&(l, i)| NodeId::new(l, i)).collect()
}

/// proof/proof_test.go TestInclusion (non-error cases): `(index, size, nodes)`.
/// Go's `compact.NewNodeID(level, index)` maps to `NodeId::new(level, index)`.
pub(crate) fn reference_inclusion_nodes() -> Vec<(u64, u64, Vec<NodeId>)> {
    vec![
        (0, 1, ids(&[])),
        (0, 2, ids(&[(0, 1)])),
        (1, 2, ids(&[(0, 0)])),
        (1, 3, ids(&[(0, 0), (0, 2)])),
        (0, 7, ids(&[(0, 1), (1, 1), (0, 6), (1, 2)])),
        (1, 7, ids(&[(0, 0), (1, 1), (0, 6), (1, 2)])),
        (2, 7, ids(&[(0, 3), (1, 0), (0, 6), (1, 2)])),
        (3, 7, ids(&[(0, 2), (1, 0), (0, 6), (1, 2)])),
        (4, 7, ids(&[(0, 5), (0, 6), (2, 0)])),
        (5, 7, ids(&[(0, 4), (0, 6), (2, 0)])),
        (6, 7, ids(&[(1, 2), (2, 0)])),
        (2, 4, ids(&[(0, 3), (1, 0)])),
        (3, 5, ids(&[(0, 2), (1, 0), (0, 4)])),
        (3, 6, ids(&[(0, 2), (1, 0), (1, 2)])),
        (4, 6, ids(&[(0, 5), (2, 0)])),
        (10, 15, ids(&[(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)])),
        (
            24,
            31,
            ids(&[(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)]),
        ),
        (
            81,
            95,
            ids(&[
                (0, 80),
                (1, 41),
                (2, 21),
                (0, 94),
                (1, 46),
                (2, 22),
                (4, 4),
                (6, 0),
            ]),
        ),
    ]
}

/// proof/proof_test.go TestConsistency (non-error cases): `(size1, size2, nodes)`.
pub(crate) fn reference_consistency_nodes() -> Vec<(u64, u64, Vec<NodeId>)> {
    let mut v = vec![
        (1, 2, ids(&[(0, 1)])),
        (1, 4, ids(&[(0, 1), (1, 1)])),
        (1, 6, ids(&[(0, 1), (1, 1), (1, 2)])),
        (2, 3, ids(&[(0, 2)])),
        (2, 8, ids(&[(1, 1), (2, 1)])),
        (3, 7, ids(&[(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)])),
        (4, 7, ids(&[(0, 6), (1, 2)])),
        (5, 7, ids(&[(0, 4), (0, 5), (0, 6), (2, 0)])),
        (6, 7, ids(&[(1, 2), (0, 6), (2, 0)])),
        (7, 8, ids(&[(0, 6), (0, 7), (1, 2), (2, 0)])),
        (2, 4, ids(&[(1, 1)])),
        (3, 5, ids(&[(0, 2), (0, 3), (1, 0), (0, 4)])),
        (3, 6, ids(&[(0, 2), (0, 3), (1, 0), (1, 2)])),
        (4, 6, ids(&[(1, 2)])),
        (1, 7, ids(&[(0, 1), (1, 1), (0, 6), (1, 2)])),
        (10, 15, ids(&[(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)])),
        (24, 31, ids(&[(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)])),
        (
            81,
            95,
            ids(&[
                (0, 80),
                (0, 81),
                (1, 41),
                (2, 21),
                (0, 94),
                (1, 46),
                (2, 22),
                (4, 4),
                (6, 0),
            ]),
        ),
    ];
    for n in [1, 2, 3, 4, 5, 7, 8] {
        v.push((n, n, vec![]));
    }
    v
}

/// Distinct leaf hashes for exhaustive tests.
pub(crate) fn synthetic_leaves(n: usize) -> Vec<Hash> {
    (0..n as u64).map(|i| hash_leaf(&i.to_be_bytes())).collect()
}

/// RFC 6962 §2.1: the largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) by the RFC's recursion.
pub(crate) fn ref_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => h32(b""),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&ref_root(&leaves[..k]), &ref_root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]) by the RFC's recursion.
pub(crate) fn ref_inclusion(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = ref_inclusion(m, &leaves[..k]);
        p.push(ref_root(&leaves[k..]));
        p
    } else {
        let mut p = ref_inclusion(m - k, &leaves[k..]);
        p.push(ref_root(&leaves[..k]));
        p
    }
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true) by the RFC's recursion.
pub(crate) fn ref_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn sub(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![ref_root(leaves)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = sub(m, &leaves[..k], b);
            p.push(ref_root(&leaves[k..]));
            p
        } else {
            let mut p = sub(m - k, &leaves[k..], false);
            p.push(ref_root(&leaves[..k]));
            p
        }
    }
    if m == 0 {
        return vec![];
    }
    sub(m, leaves, true)
}
