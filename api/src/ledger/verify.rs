//! Full verification of the stored ledger, for `careledger ledger verify` and
//! `GET /api/v1/ledger/verify`.
//!
//! Recomputes everything from the stored events and trusts only the signing
//! key: every checkpoint note's signature is checked first (and its row must
//! repeat the note), then all events are streamed in `seq` order, in batches
//! read on a second thread ([`super::verify_stream`]), through
//! `shared::ledger::ChainVerifier` (sequence, chain link,
//! re-hash, signed roots). Each batch's stored tree nodes — proofs are served
//! from them — are compared with the recomputed tree as the leaves complete
//! them, so a level-0 node is a second record of every leaf hash. Finally no
//! node may lie beyond the last event.
//!
//! What it can and cannot pinpoint: any edit, deletion, insertion or
//! reordering that leaves the hash chain or the stored tree inconsistent is
//! named at its own seq. A tail truncated after the last signed checkpoint
//! is named at the first missing seq. An attacker who rewrites the chain and
//! the tree consistently is caught by the first signed checkpoint after the
//! change: the report names that checkpoint's last event and says after
//! which seq the change lies (resolution = checkpoint spacing). Events after
//! the newest checkpoint are only as trustworthy as the database until the
//! next checkpoint is signed; checkpoints deleted together with the events
//! they cover need a copy held elsewhere (a client, a witness) to notice.
//!
//! Hot path: while this thread hashes one batch, the reader thread has
//! PostgreSQL produce (and decodes) the next; decoded rows go straight into
//! the verifier (no per-event allocation beyond the row's own optional
//! strings); reads only.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, SmallInt};
use shared::ledger::api::VerifyReport;
use shared::ledger::{
    ChainVerifier, Checkpoint, FailureReason, Hash, SignedCheckpoint, VerifierKey,
};
use std::sync::mpsc;

use super::store::{self, EventRow, HashCol};
use super::verify_stream::{self, BatchNodes, Msg, BATCH};
use crate::error::ApiError;

#[derive(QueryableByName)]
struct StoredCheckpoint {
    #[diesel(sql_type = BigInt)]
    size: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    root: HashCol,
    #[diesel(sql_type = diesel::sql_types::Text)]
    note: String,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

struct Invalid {
    seq: Option<u64>,
    reason: String,
}

/// Makes the current transaction a read-only snapshot, so the checkpoints,
/// events and nodes read by [`verify_all`] are one consistent state. Must be
/// the transaction's first statement. Read-only transactions hold no xid, so
/// a long verification never delays the sequencer.
pub fn begin_snapshot(conn: &mut PgConnection) -> Result<(), ApiError> {
    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(conn)?;
    // Index-order batches: parallel workers cost more than they save.
    diesel::sql_query("SET LOCAL max_parallel_workers_per_gather = 0").execute(conn)?;
    Ok(())
}

/// [`verify_all`] in a snapshot transaction of its own (the api's verify
/// endpoint, an audited read that records its event after this returns).
pub fn verify_snapshot(
    conn: &mut PgConnection,
    keys: &[VerifierKey],
) -> Result<VerifyReport, ApiError> {
    crate::db::run_in_transaction(conn, |c| {
        begin_snapshot(c)?;
        verify_all_with(c, keys, |_, _| {})
    })
}

/// Verifies the whole log; `progress(checked, total)` is called per batch.
pub fn verify_all(
    conn: &mut PgConnection,
    key: &VerifierKey,
    progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, ApiError> {
    verify_all_with(conn, std::slice::from_ref(key), progress)
}

/// [`verify_all`] where a checkpoint may be signed by any of `keys` (the
/// log's current, next and previous keys across a key rotation).
pub fn verify_all_with(
    conn: &mut PgConnection,
    keys: &[VerifierKey],
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, ApiError> {
    let (checkpoints, bad_checkpoint) = load_checkpoints(conn, keys)?;
    let checkpoints_total = checkpoints.len() as u64;
    let total = store::sequenced_size(conn)?;
    let mut verifier = ChainVerifier::with_checkpoints(checkpoints);
    let mut invalid: Option<Invalid> = None;
    let (tx, rx) = mpsc::sync_channel::<Msg>(2);
    let reader = &mut *conn;
    let read = std::thread::scope(|scope| {
        let handle = scope.spawn(move || verify_stream::read_all(reader, tx));
        for msg in rx.iter() {
            let (rows, mut nodes) = match msg {
                Msg::Batch(rows, nodes) => (rows, nodes),
                Msg::Flooded(seq) => {
                    invalid = Some(Invalid {
                        seq: Some(seq),
                        reason: format!("more than {BATCH} stored events share seq {seq}"),
                    });
                    break;
                }
            };
            let first_seq = verifier.size();
            invalid = verify_batch(&mut verifier, rows, &mut nodes);
            if invalid.is_none() && !nodes.all_used() {
                invalid = Some(Invalid {
                    seq: Some(first_seq),
                    reason: "unexpected extra tree nodes stored for this range".into(),
                });
            }
            if invalid.is_some() {
                break;
            }
            progress(verifier.size(), total.max(verifier.size()));
        }
        // Hang up so a reader blocked on a full channel stops.
        drop(rx);
        handle.join()
    });
    read.map_err(|_| ApiError::internal("ledger verify", "the reader thread panicked"))??;
    let checked = verifier.size();
    let root = verifier.root_at_current_size();
    let mut checkpoints_checked = 0;
    if invalid.is_none() {
        match verifier.finish() {
            Ok(v) => checkpoints_checked = v.checkpoints_checked as u64,
            Err(f) => {
                invalid = Some(Invalid {
                    seq: Some(f.seq),
                    reason: describe(&f.reason),
                })
            }
        }
    }
    if invalid.is_none() && nodes_beyond(conn, checked)? {
        invalid = Some(Invalid {
            seq: Some(checked),
            reason: "tree nodes are stored beyond the last event (events removed)".into(),
        });
    }
    let invalid = invalid.or(bad_checkpoint);
    Ok(VerifyReport {
        valid: invalid.is_none(),
        checked,
        first_invalid_seq: invalid.as_ref().and_then(|i| i.seq),
        reason: invalid.map(|i| i.reason),
        checkpoints_checked: checkpoints_checked.min(checkpoints_total),
        root,
    })
}

fn describe(reason: &FailureReason) -> String {
    match reason {
        FailureReason::CheckpointRootMismatch {
            checkpoint_size,
            last_good_size,
        } => format!(
            "{reason}: events were altered or rewritten at or after seq {last_good_size} \
             and before seq {checkpoint_size}"
        ),
        other => other.to_string(),
    }
}

/// Signature-checked checkpoints as `(size, root)`.
type TrustedCheckpoints = Vec<(u64, Hash)>;

/// The checkpoints whose signature verifies, and the first that does not.
fn load_checkpoints(
    conn: &mut PgConnection,
    keys: &[VerifierKey],
) -> Result<(TrustedCheckpoints, Option<Invalid>), ApiError> {
    let rows = diesel::sql_query("SELECT size, root, note FROM ledger_checkpoints ORDER BY size")
        .load::<StoredCheckpoint>(conn)?;
    let mut good = Vec::with_capacity(rows.len());
    let mut bad = None;
    for row in rows {
        let checked: Result<Checkpoint, String> = SignedCheckpoint::parse(&row.note)
            .and_then(|s| {
                let mut result = Err(shared::ledger::CheckpointError::NoSignatureForKey(
                    keys.first().map(|k| k.name.clone()).unwrap_or_default(),
                ));
                for key in keys {
                    result = s.verify_with(key);
                    if result.is_ok() {
                        break;
                    }
                }
                result
            })
            .map_err(|e| e.to_string());
        match checked {
            Ok(cp) if cp.size == row.size.unsigned_abs() && cp.root == row.root.0 => {
                good.push((cp.size, cp.root));
            }
            Ok(_) => {
                bad.get_or_insert(Invalid {
                    seq: None,
                    reason: format!("checkpoint row {} does not match its signed note", row.size),
                });
            }
            Err(e) => {
                bad.get_or_insert(Invalid {
                    seq: None,
                    reason: format!("checkpoint {} is not validly signed: {e}", row.size),
                });
            }
        }
    }
    Ok((good, bad))
}

/// Pushes one batch through the verifier; the first problem, if any.
fn verify_batch(
    verifier: &mut ChainVerifier,
    rows: Vec<EventRow>,
    nodes: &mut BatchNodes,
) -> Option<Invalid> {
    for row in rows {
        let expected = verifier.size();
        let Some((event, leaf)) = row.into_event() else {
            return Some(Invalid {
                seq: Some(expected),
                reason: "event cannot be decoded (unknown name or inconsistent basis)".into(),
            });
        };
        let mut node_problem: Option<String> = None;
        let pushed = verifier.push_with(&event, &leaf, |id, hash| {
            if node_problem.is_none() {
                node_problem = nodes.check(id, &hash).err();
            }
        });
        if let Err(f) = pushed {
            return Some(Invalid {
                seq: Some(f.seq),
                reason: describe(&f.reason),
            });
        }
        if let Some(reason) = node_problem {
            return Some(Invalid {
                seq: Some(expected),
                reason,
            });
        }
    }
    None
}

/// Whether any node covers a leaf at or beyond `size`.
fn nodes_beyond(conn: &mut PgConnection, size: u64) -> Result<bool, ApiError> {
    let levels: Vec<i16> = (0..63).collect();
    let lows = (0..63u8)
        .map(|l| store::to_i64(size >> l))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM ledger_nodes n \
         JOIN unnest($1::int2[], $2::int8[]) AS r(level, lo) \
           ON n.level = r.level AND n.idx >= r.lo) AS flag",
    )
    .bind::<Array<SmallInt>, _>(levels)
    .bind::<Array<BigInt>, _>(lows)
    .get_result::<Flag>(conn)?
    .flag)
}
