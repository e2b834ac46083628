//! The sequencer: turns committed `ledger_entries` into the hash chain and
//! Merkle tree, in batches, and signs checkpoints.
//!
//! # Why a sequencer
//! Requests insert their entry in their own transaction (so an action and
//! its event commit together, and PostgreSQL group-commits concurrent
//! requests); no request ever waits on a chain head. Exactly one sequencer
//! per database integrates entries afterwards.
//!
//! # Election
//! Every api process runs [`spawn`]; a thread with its own connection (as
//! the application role, like the pool's — see `db::connect_as_app`) tries
//! `pg_try_advisory_lock` (a session lock, scoped to the database) every
//! interval. The holder leads and does all its work on that same
//! connection, so losing the connection loses the lock and the leadership
//! together: there is no moment at which two processes both believe they
//! lead with a live lock. Even so, `ledger_events.seq` is the primary key
//! and `entry_id` is unique, so a stale leader's batch fails instead of
//! forking; after any error the leader drops its connection (releasing the
//! lock) and re-elects, reloading its state from the database.
//!
//! # Which entries, in which order
//! A batch takes entries whose `txid` is below a horizon: like
//! `pg_snapshot_xmin(pg_current_snapshot())`, but counting only this
//! database's transactions (see [`HORIZON_SQL`]). Every transaction of this
//! database with a smaller xid has ended, and any transaction that writes
//! later gets a larger xid. Entries are ordered by `(txid, id)` after the last
//! integrated entry. So an entry can never appear before an integrated one
//! later, and no entry is skipped. The batch assigns contiguous `seq`,
//! `prev_hash` and the leaf hash (`shared::ledger`), stores the event rows,
//! every perfect tree node the leaves complete, and a signed checkpoint
//! when due (every `checkpoint_every` events or `checkpoint_interval`), all in
//! one transaction: the stored state is always a consistent prefix, and a
//! restart resumes from it with `CompactRange::from_nodes`.
//!
//! The sequencing transaction never writes `ledger_entries`: its own xid
//! would hold the horizon at or below that entry's txid for as long as it
//! runs, so the entry could never be part of the batch that wrote it (a
//! sequencer waiting for it would wait forever), and a rolled-back batch
//! would take an audit event with it. A `checkpoint_signed` event, if ever
//! wanted, belongs in a separate transaction.
//!
//! # Delay bound
//! An entry is integrated at most `interval + one batch` after it becomes
//! eligible (a full batch loops at once). It becomes eligible when it and
//! every transaction of this database holding an older xid have ended: with the default 100 ms
//! interval and requests' short transactions, commit → integration stays
//! well under 1 s (measured in `ledger_concurrency`); a client transaction
//! left open holds every later entry back until it ends. After a leader dies,
//! a follower takes over within one interval once PostgreSQL has noticed the
//! dead connection.

mod election;
mod tip;

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea, SmallInt, Text};
use shared::ledger::SequencedEvent;

use super::signer::{self, CheckpointSigner};
use super::store::{self, BodyRow, EVENT_COLUMNS};
pub use election::{spawn, SequencerHandle};
use tip::parse_txid;
pub use tip::Tip;

/// Advisory-lock key of the sequencer (per database).
pub const SEQUENCER_LOCK_KEY: i64 = 0x4c65_6467_5365_7131;

#[derive(Debug, Clone)]
pub struct SequencerConfig {
    pub interval: Duration,
    pub batch_size: usize,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
}

/// The integration horizon: the oldest xid still running *in this
/// database* (other databases' transactions cannot write our entries, so a
/// busy neighbour on a shared server never delays us), else the snapshot's
/// xmax. Computed in its own statement, before the statement that reads
/// entries: every transaction of this database with an xid below the
/// horizon was either finished at this statement's snapshot or seen as
/// ended when `pg_stat_activity` was read afterwards — so it has ended
/// before the next statement's snapshot, which therefore sees all of its
/// entries. `backend_xid` is 32-bit; matching on the low 32 bits can only
/// ever lower the horizon (safe). Prepared transactions count too.
const HORIZON_SQL: &str = "SELECT COALESCE(\
       (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x \
         WHERE ((x::text::numeric % 4294967296)::text)::xid IN (\
           SELECT backend_xid FROM pg_stat_activity \
            WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
              AND backend_xid IS NOT NULL \
           UNION ALL SELECT transaction FROM pg_prepared_xacts \
            WHERE database = current_database())), \
       pg_snapshot_xmax(pg_current_snapshot()))::text AS horizon";

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = Text)]
    horizon: String,
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    txid: String,
    #[diesel(embed)]
    body: BodyRow,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub integrated: usize,
    pub checkpoint: Option<u64>,
}

/// Why a sequencing step failed; the leader logs it (with its cause chain)
/// and steps down. Knows nothing of HTTP: the sequencer answers no request.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    #[error("sequencing query")]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("signing a checkpoint")]
    Signer(#[from] signer::SignerError),
    #[error("ledger entry txid {text:?} is not a number")]
    Txid {
        text: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("ledger entry {entry_id} cannot be encoded by this build")]
    Unencodable { entry_id: i64 },
    #[error("resuming the stored ledger tree")]
    Tree(#[source] shared::ledger::ProofError),
}

/// One sequencing transaction; the caller must be the leader. On success
/// `tip` is the new committed tip; on error it is unchanged (reload it).
pub fn step(
    conn: &mut PgConnection,
    tip: &mut Tip,
    signer: &CheckpointSigner,
    config: &SequencerConfig,
) -> Result<BatchOutcome, SequencerError> {
    let mut next = tip.clone();
    let outcome = conn.transaction(|c| integrate(c, &mut next, signer, config))?;
    *tip = next;
    Ok(outcome)
}

fn integrate(
    conn: &mut PgConnection,
    tip: &mut Tip,
    signer: &CheckpointSigner,
    config: &SequencerConfig,
) -> Result<BatchOutcome, SequencerError> {
    // Each statement must see a fresh snapshot, whatever the server default.
    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED").execute(conn)?;
    let horizon = diesel::sql_query(HORIZON_SQL)
        .get_result::<Horizon>(conn)?
        .horizon;
    let entries = diesel::sql_query(format!(
        "SELECT x.id, x.txid::text AS txid, {EVENT_COLUMNS} FROM ledger_entries x \
         WHERE (x.txid, x.id) > ($1::text::xid8, $2) AND x.txid < $3::text::xid8 \
         ORDER BY x.txid, x.id LIMIT $4"
    ))
    .bind::<Text, _>(tip.after.0.to_string())
    .bind::<BigInt, _>(tip.after.1)
    .bind::<Text, _>(horizon)
    .bind::<BigInt, _>(i64::try_from(config.batch_size).unwrap_or(i64::MAX))
    .load::<EntryRow>(conn)?;

    let n = entries.len();
    let mut seqs = Vec::with_capacity(n);
    let mut entry_ids = Vec::with_capacity(n);
    let mut prevs: Vec<Vec<u8>> = Vec::with_capacity(n);
    let mut leaves: Vec<Vec<u8>> = Vec::with_capacity(n);
    let (mut levels, mut idxs, mut hashes) = (Vec::new(), Vec::new(), Vec::<Vec<u8>>::new());
    for entry in entries {
        let txid = parse_txid(&entry.txid)?;
        let body = entry
            .body
            .into_body()
            .ok_or(SequencerError::Unencodable { entry_id: entry.id })?;
        let event = SequencedEvent {
            seq: tip.size,
            prev_hash: tip.prev,
            body,
        };
        let leaf = event.leaf_hash();
        seqs.push(store::to_i64(tip.size)?);
        entry_ids.push(entry.id);
        prevs.push(tip.prev.to_vec());
        leaves.push(leaf.to_vec());
        tip.tree.append_with(leaf, |id, h| {
            levels.push(i16::from(id.level));
            idxs.push(i64::try_from(id.index).unwrap_or(i64::MAX));
            hashes.push(h.to_vec());
        });
        tip.prev = leaf;
        tip.size += 1;
        tip.after = (txid, entry.id);
    }
    if n > 0 {
        diesel::sql_query(
            "INSERT INTO ledger_events (seq, entry_id, prev_hash, leaf_hash) \
             SELECT * FROM unnest($1::int8[], $2::int8[], $3::bytea[], $4::bytea[])",
        )
        .bind::<Array<BigInt>, _>(seqs)
        .bind::<Array<BigInt>, _>(entry_ids)
        .bind::<Array<Bytea>, _>(prevs)
        .bind::<Array<Bytea>, _>(leaves)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO ledger_nodes (level, idx, hash) \
             SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])",
        )
        .bind::<Array<SmallInt>, _>(levels)
        .bind::<Array<BigInt>, _>(idxs)
        .bind::<Array<Bytea>, _>(hashes)
        .execute(conn)?;
    }
    let checkpoint = checkpoint_if_due(conn, tip, signer, config)?;
    Ok(BatchOutcome {
        integrated: n,
        checkpoint,
    })
}

fn checkpoint_if_due(
    conn: &mut PgConnection,
    tip: &mut Tip,
    signer: &CheckpointSigner,
    config: &SequencerConfig,
) -> Result<Option<u64>, SequencerError> {
    let now = Utc::now();
    let due = match tip.last_checkpoint {
        None => tip.size > 0,
        Some((size, _)) if size >= tip.size => false,
        Some((size, time)) => {
            tip.size - size >= config.checkpoint_every
                || (now - time).to_std().unwrap_or_default() >= config.checkpoint_interval
        }
    };
    if !due {
        return Ok(None);
    }
    let (cp, note) = signer.sign(tip.size, tip.tree.root())?;
    signer::store(conn, &cp, &note)?;
    tip.last_checkpoint = Some((tip.size, now));
    Ok(Some(tip.size))
}
