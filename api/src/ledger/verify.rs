//! Full verification of the stored ledger, for `careledger ledger verify` and
//! `GET /api/v1/ledger/verify`.
//!
//! Recomputes everything from the stored events and trusts only the signing
//! key: every checkpoint note's signature is checked first (and its row must
//! repeat the note), then all events are streamed in `seq` order, 10,000 rows
//! per query, through `shared::ledger::ChainVerifier` (sequence, chain link,
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
//! Hot path: decoded rows go straight into the verifier (no per-event
//! allocation beyond the row's own optional strings); reads only.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, SmallInt};
use shared::ledger::api::VerifyReport;
use shared::ledger::{
    ChainVerifier, Checkpoint, FailureReason, Hash, NodeId, SignedCheckpoint, VerifierKey,
};

use super::store::{self, EventRow, HashCol};
use crate::error::ApiError;

/// Rows per query while streaming.
pub const BATCH: i64 = 10_000;

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
struct NodeRow {
    #[diesel(sql_type = SmallInt)]
    level: i16,
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    hash: HashCol,
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
    // 10,000-row keyset batches: parallel workers cost more than they save.
    diesel::sql_query("SET LOCAL max_parallel_workers_per_gather = 0").execute(conn)?;
    Ok(())
}

/// Verifies the whole log; `progress(checked, total)` is called per batch.
pub fn verify_all(
    conn: &mut PgConnection,
    key: &VerifierKey,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, ApiError> {
    let (checkpoints, bad_checkpoint) = load_checkpoints(conn, key)?;
    let checkpoints_total = checkpoints.len() as u64;
    let total = store::sequenced_size(conn)?;
    let mut verifier = ChainVerifier::with_checkpoints(checkpoints);
    let mut cursor: (i64, i64) = (-1, -1);
    let event_query = format!(
        "{} WHERE e.seq >= $1 AND (e.seq, e.entry_id) > ($1, $2) \
         ORDER BY e.seq, e.entry_id LIMIT $3",
        store::event_select()
    );
    let mut invalid: Option<Invalid> = None;
    let mut nodes = BatchNodes::default();
    'stream: loop {
        let rows = diesel::sql_query(&event_query)
            .bind::<BigInt, _>(cursor.0)
            .bind::<BigInt, _>(cursor.1)
            .bind::<BigInt, _>(BATCH)
            .load::<EventRow>(conn)?;
        let Some(last) = rows.last() else { break };
        cursor = (last.seq, last.entry_id);
        let first_seq = verifier.size();
        nodes.load(conn, first_seq, first_seq + rows.len() as u64 - 1)?;
        for row in rows {
            let expected = verifier.size();
            let Some((event, leaf)) = row.into_event() else {
                invalid = Some(Invalid {
                    seq: Some(expected),
                    reason: "event cannot be decoded (unknown name or inconsistent basis)".into(),
                });
                break 'stream;
            };
            let mut node_problem: Option<String> = None;
            let pushed = verifier.push_with(&event, &leaf, |id, hash| {
                if node_problem.is_none() {
                    node_problem = nodes.check(id, &hash).err();
                }
            });
            if let Err(f) = pushed {
                invalid = Some(Invalid {
                    seq: Some(f.seq),
                    reason: describe(&f.reason),
                });
                break 'stream;
            }
            if let Some(reason) = node_problem {
                invalid = Some(Invalid {
                    seq: Some(expected),
                    reason,
                });
                break 'stream;
            }
        }
        if !nodes.all_used() {
            invalid = Some(Invalid {
                seq: Some(first_seq),
                reason: "unexpected extra tree nodes stored for this range".into(),
            });
            break;
        }
        progress(verifier.size(), total.max(verifier.size()));
    }
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
    key: &VerifierKey,
) -> Result<(TrustedCheckpoints, Option<Invalid>), ApiError> {
    let rows = diesel::sql_query("SELECT size, root, note FROM ledger_checkpoints ORDER BY size")
        .load::<StoredCheckpoint>(conn)?;
    let mut good = Vec::with_capacity(rows.len());
    let mut bad = None;
    for row in rows {
        let checked: Result<Checkpoint, String> = SignedCheckpoint::parse(&row.note)
            .and_then(|s| s.verify_with(key))
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

/// The stored nodes completed by one batch of leaves, per level, each
/// level sorted by index: the verifier reports nodes level by level in
/// index order, so one cursor per level walks them without lookups.
#[derive(Default)]
struct BatchNodes {
    levels: Vec<Vec<(u64, Hash)>>,
    cursors: Vec<usize>,
}

impl BatchNodes {
    /// Loads the nodes completed by leaves `first..=last` (reusing buffers).
    fn load(&mut self, conn: &mut PgConnection, first: u64, last: u64) -> Result<(), ApiError> {
        let (mut levels, mut los, mut his) = (Vec::new(), Vec::new(), Vec::new());
        for level in 0..63u8 {
            // Node (level, i) is completed by leaf (i + 1) * 2^level - 1.
            let lo = (first + 1).div_ceil(1 << level) - 1;
            let Some(hi) = ((last + 1) >> level).checked_sub(1) else {
                break;
            };
            if lo <= hi {
                levels.push(i16::from(level));
                los.push(store::to_i64(lo)?);
                his.push(store::to_i64(hi)?);
            }
        }
        let rows = diesel::sql_query(
            // LATERAL: one primary-key range scan per level, never a scan
            // of the whole table.
            "SELECT n.level, n.idx, n.hash \
             FROM unnest($1::int2[], $2::int8[], $3::int8[]) AS r(level, lo, hi) \
             CROSS JOIN LATERAL (SELECT level, idx, hash FROM ledger_nodes \
               WHERE level = r.level AND idx BETWEEN r.lo AND r.hi) AS n",
        )
        .bind::<Array<SmallInt>, _>(levels)
        .bind::<Array<BigInt>, _>(los)
        .bind::<Array<BigInt>, _>(his)
        .load::<NodeRow>(conn)?;
        self.levels.resize_with(64, Vec::new);
        self.levels.iter_mut().for_each(Vec::clear);
        self.cursors.clear();
        self.cursors.resize(64, 0);
        for r in rows {
            let level = usize::from(r.level.clamp(0, 63) as u8);
            self.levels[level].push((r.idx.unsigned_abs(), r.hash.0));
        }
        for level in &mut self.levels {
            level.sort_unstable_by_key(|n| n.0);
        }
        Ok(())
    }

    /// Compares the recomputed node `id` with the next stored one.
    fn check(&mut self, id: NodeId, hash: &Hash) -> Result<(), String> {
        let level = usize::from(id.level);
        let next = self
            .levels
            .get(level)
            .and_then(|l| l.get(self.cursors[level]));
        match next {
            Some((index, stored)) if *index == id.index => {
                self.cursors[level] += 1;
                if stored == hash {
                    Ok(())
                } else {
                    Err(format!(
                        "stored tree node (level {}, index {}) differs from the recomputed tree",
                        id.level, id.index
                    ))
                }
            }
            _ => Err(format!(
                "stored tree node (level {}, index {}) is missing",
                id.level, id.index
            )),
        }
    }

    /// Whether every stored node of the batch was matched.
    fn all_used(&self) -> bool {
        self.levels
            .iter()
            .zip(&self.cursors)
            .all(|(l, c)| l.len() == *c)
    }
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
