//! Which checkpoint is published, and the witness cosignatures stored for
//! checkpoints (`ledger_cosignatures`, insert-only).
//!
//! The published checkpoint is the largest signed checkpoint that at least
//! `quorum` of the *configured* witnesses cosigned (any signed checkpoint
//! when the quorum is 0), served as the log's note with those cosignature
//! lines appended. A cosignature is stored only after the pusher verified
//! it against the witness's key and this checkpoint's body.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::settings::WitnessSettings;
use crate::error::ApiError;
use crate::ledger::store::{self, to_i64};

#[derive(QueryableByName)]
struct SizeRow {
    #[diesel(sql_type = BigInt)]
    size: i64,
}

#[derive(QueryableByName)]
struct LineRow {
    #[diesel(sql_type = Text)]
    witness: String,
    #[diesel(sql_type = Text)]
    line: String,
}

/// The published checkpoint note with its cosignatures, if any.
pub fn latest(
    conn: &mut PgConnection,
    settings: &WitnessSettings,
) -> Result<Option<String>, ApiError> {
    if settings.quorum == 0 {
        let Some(row) = store::checkpoint(conn, None)? else {
            return Ok(None);
        };
        let size = row.size.unsigned_abs();
        return with_cosignatures(conn, settings, size, row.note).map(Some);
    }
    let names: Vec<String> = settings
        .witnesses
        .iter()
        .map(|w| w.key.name.clone())
        .collect();
    let size: Option<SizeRow> = diesel::sql_query(
        "SELECT size FROM ledger_cosignatures WHERE witness = ANY($1) \
         GROUP BY size HAVING count(*) >= $2 ORDER BY size DESC LIMIT 1",
    )
    .bind::<Array<Text>, _>(&names)
    .bind::<BigInt, _>(settings.quorum as i64)
    .get_result(conn)
    .optional()?;
    let Some(size) = size.map(|s| s.size.unsigned_abs()) else {
        return Ok(None);
    };
    let row = store::checkpoint(conn, Some(size))?
        .ok_or_else(|| ApiError::internal("published checkpoint", "cosigned size has no row"))?;
    with_cosignatures(conn, settings, size, row.note).map(Some)
}

/// `note` with the stored cosignature lines of configured witnesses.
fn with_cosignatures(
    conn: &mut PgConnection,
    settings: &WitnessSettings,
    size: u64,
    mut note: String,
) -> Result<String, ApiError> {
    if settings.witnesses.is_empty() {
        return Ok(note);
    }
    let rows: Vec<LineRow> = diesel::sql_query(
        "SELECT witness, line FROM ledger_cosignatures WHERE size = $1 ORDER BY witness",
    )
    .bind::<BigInt, _>(to_i64(size)?)
    .load(conn)?;
    for r in rows {
        if settings.witnesses.iter().any(|w| w.key.name == r.witness) {
            note.push_str(&r.line);
        }
    }
    Ok(note)
}

/// Whether `witness` has a stored cosignature for `size`.
pub fn has_cosignature(
    conn: &mut PgConnection,
    size: u64,
    witness: &str,
) -> Result<bool, ApiError> {
    let n: Option<SizeRow> =
        diesel::sql_query("SELECT size FROM ledger_cosignatures WHERE size = $1 AND witness = $2")
            .bind::<BigInt, _>(to_i64(size)?)
            .bind::<Text, _>(witness)
            .get_result(conn)
            .optional()?;
    Ok(n.is_some())
}

/// Stores a verified cosignature line (ending in `\n`); a second one for
/// the same size and witness is ignored.
pub fn store_cosignature(
    conn: &mut PgConnection,
    size: u64,
    witness: &str,
    line: &str,
) -> Result<(), ApiError> {
    diesel::sql_query(
        "INSERT INTO ledger_cosignatures (size, witness, line) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(to_i64(size)?)
    .bind::<Text, _>(witness)
    .bind::<Text, _>(line)
    .execute(conn)?;
    Ok(())
}
