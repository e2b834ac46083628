//! Inclusion and consistency proofs served from the stored tree nodes: each
//! proof lists the O(log n) perfect subtrees it needs
//! (`shared::ledger::{inclusion,consistency}_proof_nodes`) and fetches them,
//! together with the compact range that gives the root, in one query. No
//! tree is ever rebuilt per request.
//!
//! A proof without a signed checkpoint for its tree size is only as good as
//! the server's word, so when the caller names no size, the latest signed
//! checkpoint is used — and when the event is newer than that, a checkpoint
//! is signed on demand for the current size.

use shared::ledger::api::{ConsistencyProofResponse, InclusionProofResponse, SignedCheckpointView};
use shared::ledger::{
    build_consistency_proof, build_inclusion_proof, compact_range_nodes, consistency_proof_nodes,
    inclusion_proof_nodes, CompactRange, Hash, NodeId,
};

use super::log::LogScope;
use super::signer::{self, CheckpointSigner};
use super::store;
use crate::error::ApiError;
use diesel::PgConnection;

/// Inclusion proof of event `seq` in the tree of `tree_size` events.
pub fn inclusion(
    conn: &mut PgConnection,
    scope: &LogScope,
    signer: &CheckpointSigner,
    seq: u64,
    tree_size: Option<u64>,
) -> Result<InclusionProofResponse, ApiError> {
    let not_found = ApiError::NotFound("no such ledger event");
    let (event, leaf_hash) = store::event_at(conn, seq)?
        .ok_or(ApiError::NotFound("no such ledger event"))?
        .into_event()
        .ok_or_else(|| ApiError::internal("ledger proof", "stored event cannot be decoded"))?;
    if !scope.allows(&event.body) {
        return Err(not_found);
    }
    // The checkpoint for the proof's size comes with the choice of size when
    // it is the latest (the default), saving a second lookup.
    let (tree_size, known) = match tree_size {
        Some(n) => {
            if n <= seq || n > store::sequenced_size(conn)? {
                return Err(ApiError::validation(
                    "tree_size",
                    "tree_size must be larger than seq and at most the number of sequenced events",
                ));
            }
            (n, None)
        }
        None => {
            let row = match store::checkpoint(conn, None)? {
                Some(cp) if cp.size.unsigned_abs() > seq => cp,
                _ => signer::sign_current(conn, signer)?,
            };
            (row.size.unsigned_abs(), Some(row))
        }
    };
    let mut ids = inclusion_proof_nodes(seq, tree_size).map_err(proof_error)?;
    ids.extend(compact_range_nodes(tree_size));
    let nodes = store::fetch_nodes(conn, &ids)?;
    let lookup = |id: NodeId| nodes.get(&id).copied();
    let proof = build_inclusion_proof(seq, tree_size, &lookup).map_err(proof_error)?;
    let root = root_of(tree_size, &lookup)?;
    let row = match known {
        Some(row) => Some(row),
        None => store::checkpoint(conn, Some(tree_size))?,
    };
    let checkpoint = checked_view(row, tree_size, &root)?;
    Ok(InclusionProofResponse {
        event,
        leaf_hash,
        tree_size,
        proof,
        root,
        checkpoint,
    })
}

/// Consistency proof between the trees of `from` and `to` events (`to`
/// defaults to the latest signed checkpoint).
pub fn consistency(
    conn: &mut PgConnection,
    from: u64,
    to: Option<u64>,
) -> Result<ConsistencyProofResponse, ApiError> {
    let size = store::sequenced_size(conn)?;
    let to = match to {
        Some(to) => to,
        None => store::checkpoint(conn, None)?
            .map(|c| c.size.unsigned_abs())
            .ok_or(ApiError::NotFound("no checkpoint has been signed yet"))?,
    };
    if from > to || to > size {
        return Err(ApiError::validation(
            "from",
            "need from <= to <= the number of sequenced events",
        ));
    }
    let mut ids = consistency_proof_nodes(from, to).map_err(proof_error)?;
    ids.extend(compact_range_nodes(from));
    ids.extend(compact_range_nodes(to));
    let nodes = store::fetch_nodes(conn, &ids)?;
    let lookup = |id: NodeId| nodes.get(&id).copied();
    let proof = build_consistency_proof(from, to, &lookup).map_err(proof_error)?;
    let from_root = root_of(from, &lookup)?;
    let to_root = root_of(to, &lookup)?;
    Ok(ConsistencyProofResponse {
        from,
        to,
        proof,
        from_root,
        to_root,
        from_checkpoint: checked_checkpoint(conn, from, &from_root)?,
        to_checkpoint: checked_checkpoint(conn, to, &to_root)?,
    })
}

fn root_of(size: u64, lookup: &impl Fn(NodeId) -> Option<Hash>) -> Result<Hash, ApiError> {
    Ok(CompactRange::from_nodes(size, lookup)
        .map_err(proof_error)?
        .root())
}

/// The stored checkpoint for `size`, which must agree with the stored tree.
fn checked_checkpoint(
    conn: &mut PgConnection,
    size: u64,
    root: &Hash,
) -> Result<Option<SignedCheckpointView>, ApiError> {
    checked_view(store::checkpoint(conn, Some(size))?, size, root)
}

/// `row` (the checkpoint for `size`, if any) as a view, checked against the
/// stored tree's root.
fn checked_view(
    row: Option<store::CheckpointRow>,
    size: u64,
    root: &Hash,
) -> Result<Option<SignedCheckpointView>, ApiError> {
    let Some(row) = row else {
        return Ok(None);
    };
    let view = row.view()?;
    if view.checkpoint.root != *root {
        return Err(ApiError::internal(
            "ledger proof",
            format_args!("stored tree disagrees with the signed checkpoint of size {size}"),
        ));
    }
    Ok(Some(view))
}

fn proof_error(e: shared::ledger::ProofError) -> ApiError {
    ApiError::internal("building a ledger proof", e)
}
