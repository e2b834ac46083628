//! Reading the stored ledger for [`super::verify`]: events in `seq` order
//! with their entries and the tree nodes they complete, in batches, on a
//! reader thread so that PostgreSQL (and decoding) overlaps with hashing.
//!
//! Why not one `ledger_events JOIN ledger_entries` query: at 1,000,000
//! events the nested-loop join (one entry-index probe per event, plus an
//! incremental sort for the `(seq, entry_id)` keyset) cost PostgreSQL about
//! twice as much as reading the two tables in index order separately. So
//! each batch reads the next events by `seq`, then their entries as one
//! `id` range (entries are sequenced in `(txid, id)` order, so a batch's ids
//! are nearly contiguous; the few outliers are fetched by id) and joins them
//! here by id. An event whose entry is missing is dropped, exactly as the
//! inner join dropped it, and the verifier then reports the gap.
//!
//! Every stored event row is seen even if `seq` were not unique (a superuser
//! can drop the primary key): the keyset is `seq >= last`, skipping only the
//! rows already handed out at `last`. Rows are decoded positionally (typed
//! tuples), never by column name.

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, SmallInt};
use shared::ledger::{Action, BasisKind, Hash, NodeId, Outcome};
use shared::Role;
use uuid::Uuid;

use super::store::{self, BodyRow, EventRow, HashCol, Known};
use crate::db::schema::{ledger_entries as x, ledger_events as e};
use crate::error::ApiError;

/// Events per batch.
pub const BATCH: i64 = 10_000;

/// One batch for the verifier, or the reason reading stopped.
pub enum Msg {
    Batch(Vec<EventRow>, BatchNodes),
    /// More than a batch of rows share one `seq`: named as invalid there.
    Flooded(u64),
}

type Entry = (
    i64,
    DateTime<Utc>,
    Option<Uuid>,
    Option<Known<Role>>,
    Known<Action>,
    Known<Outcome>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    Option<Known<BasisKind>>,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<HashCol>,
    Option<HashCol>,
);

type EntryColumns = (
    x::id,
    x::time,
    x::actor_id,
    x::actor_role,
    x::action,
    x::outcome,
    x::patient_id,
    x::record_id,
    x::subject_user_id,
    x::basis_kind,
    x::basis_id,
    x::request_id,
    x::source_addr,
    x::content_digest,
    x::prior_digest,
);

const ENTRY_COLUMNS: EntryColumns = (
    x::id,
    x::time,
    x::actor_id,
    x::actor_role,
    x::action,
    x::outcome,
    x::patient_id,
    x::record_id,
    x::subject_user_id,
    x::basis_kind,
    x::basis_id,
    x::request_id,
    x::source_addr,
    x::content_digest,
    x::prior_digest,
);

fn body(entry: &Entry) -> BodyRow {
    BodyRow {
        time: entry.1,
        actor_id: entry.2,
        actor_role: entry.3,
        action: entry.4,
        outcome: entry.5,
        patient_id: entry.6,
        record_id: entry.7,
        subject_user_id: entry.8,
        basis_kind: entry.9,
        basis_id: entry.10,
        request_id: entry.11.clone(),
        source_addr: entry.12.clone(),
        content_digest: entry.13,
        prior_digest: entry.14,
    }
}

/// Reads the whole log into `tx`, batch by batch, until it is exhausted or
/// the receiver hangs up (the verifier stopped). Call inside the verifying
/// transaction (one snapshot).
pub fn read_all(conn: &mut PgConnection, tx: SyncSender<Msg>) -> Result<(), ApiError> {
    // Keyset: rows with seq >= from, minus the entry ids already handed out
    // at seq == from.
    let mut from: i64 = 0;
    let mut seen_at_from: Vec<i64> = Vec::new();
    let mut sent: u64 = 0;
    loop {
        let heads: Vec<(i64, i64, HashCol, HashCol)> = e::table
            .filter(e::seq.ge(from))
            .order(e::seq)
            .limit(BATCH)
            .select((e::seq, e::entry_id, e::prev_hash, e::leaf_hash))
            .load(conn)?;
        let full = heads.len() as i64 == BATCH;
        let Some(last_seq) = heads.last().map(|h| h.0) else {
            return Ok(());
        };
        let fresh: Vec<_> = heads
            .into_iter()
            .filter(|h| h.0 != from || !seen_at_from.contains(&h.1))
            .collect();
        if fresh.is_empty() {
            if full {
                let _ = tx.send(Msg::Flooded(from.unsigned_abs()));
            }
            return Ok(());
        }
        if last_seq != from {
            seen_at_from.clear();
            from = last_seq;
        }
        seen_at_from.extend(fresh.iter().filter(|h| h.0 == last_seq).map(|h| h.1));

        let entries = fetch_entries(conn, fresh.iter().map(|h| h.1).collect())?;
        let rows: Vec<EventRow> = fresh
            .into_iter()
            .filter_map(|(seq, entry_id, prev_hash, leaf_hash)| {
                Some(EventRow {
                    seq,
                    entry_id,
                    prev_hash,
                    leaf_hash,
                    body: body(entries.get(&entry_id)?),
                })
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let mut nodes = BatchNodes::default();
        nodes.load(conn, sent, sent + rows.len() as u64 - 1)?;
        sent += rows.len() as u64;
        if tx.send(Msg::Batch(rows, nodes)).is_err() {
            return Ok(());
        }
    }
}

/// The entries with these ids (any missing are simply absent).
fn fetch_entries(
    conn: &mut PgConnection,
    mut ids: Vec<i64>,
) -> Result<HashMap<i64, Entry>, ApiError> {
    ids.sort_unstable();
    ids.dedup();
    let n = ids.len();
    let cut = n / 100;
    let (lo, hi) = match (ids.get(cut), ids.get(n.saturating_sub(1 + cut))) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => return Ok(HashMap::new()),
    };
    // One range scan when the ids are dense (the normal case), plus the
    // outliers by id; otherwise all by id.
    let dense = hi.saturating_sub(lo) <= 4 * n as i64 + 1_000;
    let mut rows: Vec<Entry> = if dense {
        x::table
            .filter(x::id.between(lo, hi))
            .select(ENTRY_COLUMNS)
            .load(conn)?
    } else {
        Vec::new()
    };
    let rest: Vec<i64> = if dense {
        ids.into_iter().filter(|id| *id < lo || *id > hi).collect()
    } else {
        ids
    };
    if !rest.is_empty() {
        rows.extend(
            x::table
                .filter(x::id.eq_any(rest))
                .select(ENTRY_COLUMNS)
                .load::<Entry>(conn)?,
        );
    }
    Ok(rows.into_iter().map(|r| (r.0, r)).collect())
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

/// The stored nodes completed by one batch of leaves, per level, each
/// level sorted by index: the verifier reports nodes level by level in
/// index order, so one cursor per level walks them without lookups.
#[derive(Default)]
pub struct BatchNodes {
    levels: Vec<Vec<(u64, Hash)>>,
    cursors: Vec<usize>,
}

impl BatchNodes {
    /// Loads the nodes completed by leaves `first..=last`.
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
            // One primary-key range scan per level, never a scan of the
            // whole table: `OFFSET 0` keeps PostgreSQL from flattening the
            // LATERAL subquery into a hash join over every stored node (it
            // did, at ~0.5 s per batch at 1,000,000 events — see
            // BENCHMARKS.md).
            "SELECT n.level, n.idx, n.hash \
             FROM unnest($1::int2[], $2::int8[], $3::int8[]) AS r(level, lo, hi) \
             CROSS JOIN LATERAL (SELECT level, idx, hash FROM ledger_nodes \
               WHERE level = r.level AND idx BETWEEN r.lo AND r.hi OFFSET 0) AS n",
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
    pub fn check(&mut self, id: NodeId, hash: &Hash) -> Result<(), String> {
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
    pub fn all_used(&self) -> bool {
        self.levels
            .iter()
            .zip(&self.cursors)
            .all(|(l, c)| l.len() == *c)
    }
}
