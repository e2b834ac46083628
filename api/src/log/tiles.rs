//! Hash tiles (C2SP tlog-tiles) from the stored perfect subtrees: a tile is
//! one range read of `ledger_nodes` at tree level `8·L`. Nothing is
//! recomputed or cached here; a tile whose nodes are not all stored yet
//! does not exist. Read-only.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, SmallInt};
use shared::ledger::tiles::TileId;

use crate::error::ApiError;
use crate::ledger::store::to_i64;

#[derive(QueryableByName)]
struct HashRow {
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

/// The tile's bytes (its hashes concatenated), or `None` when the tree has
/// not grown that far.
pub fn read(conn: &mut PgConnection, tile: &TileId) -> Result<Option<Vec<u8>>, ApiError> {
    let range = tile.node_range();
    // A tile beyond any u64-sized tree, or beyond i64 indexes, is simply absent.
    let (Some(_), Ok(start), Ok(end)) =
        (tile.min_tree_size(), to_i64(range.start), to_i64(range.end))
    else {
        return Ok(None);
    };
    let rows: Vec<HashRow> = diesel::sql_query(
        "SELECT hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
    )
    .bind::<SmallInt, _>(i16::from(tile.node_level()))
    .bind::<BigInt, _>(start)
    .bind::<BigInt, _>(end)
    .load(conn)?;
    if rows.len() as u64 != range.end - range.start {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(rows.len() * 32);
    for r in rows {
        if r.hash.len() != 32 {
            return Err(ApiError::internal("tile", "stored node is not 32 bytes"));
        }
        out.extend_from_slice(&r.hash);
    }
    Ok(Some(out))
}
