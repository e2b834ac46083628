//! The leader's state: the log tip, loaded from the stored log when a
//! sequencer starts leading (or after a failed batch).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Text, Timestamptz};
use shared::ledger::{CompactRange, Hash, GENESIS_PREV_HASH};

use super::SequencerError;
use crate::ledger::store::{self, HashCol};

/// The leader's view of the log tip; valid only as committed.
#[derive(Debug, Clone)]
pub struct Tip {
    pub size: u64,
    pub(super) prev: Hash,
    pub(super) tree: CompactRange,
    /// `(txid, id)` of the last integrated entry.
    pub(super) after: (u64, i64),
    pub(super) last_checkpoint: Option<(u64, DateTime<Utc>)>,
}

#[derive(QueryableByName)]
struct TipRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Bytea)]
    leaf_hash: HashCol,
    #[diesel(sql_type = Text)]
    txid: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct LastCheckpoint {
    #[diesel(sql_type = BigInt)]
    size: i64,
    #[diesel(sql_type = Timestamptz)]
    time: DateTime<Utc>,
}

pub(super) fn parse_txid(text: &str) -> Result<u64, SequencerError> {
    text.parse().map_err(|source| SequencerError::Txid {
        text: text.to_owned(),
        source,
    })
}

impl Tip {
    /// Resumes from the stored log: last event, compact range, last checkpoint.
    pub fn load(conn: &mut PgConnection) -> Result<Self, SequencerError> {
        let last = diesel::sql_query(
            "SELECT e.seq, e.leaf_hash, x.txid::text AS txid, x.id FROM ledger_events e \
             JOIN ledger_entries x ON x.id = e.entry_id ORDER BY e.seq DESC LIMIT 1",
        )
        .get_result::<TipRow>(conn)
        .optional()?;
        let (size, prev, after) = match last {
            None => (0, GENESIS_PREV_HASH, (0, 0)),
            Some(r) => (
                r.seq.unsigned_abs() + 1,
                r.leaf_hash.0,
                (parse_txid(&r.txid)?, r.id),
            ),
        };
        let nodes = store::fetch_nodes(conn, &shared::ledger::compact_range_nodes(size))?;
        let tree = CompactRange::from_nodes(size, &|id| nodes.get(&id).copied())
            .map_err(SequencerError::Tree)?;
        let last_checkpoint = diesel::sql_query(
            "SELECT size, time FROM ledger_checkpoints ORDER BY size DESC LIMIT 1",
        )
        .get_result::<LastCheckpoint>(conn)
        .optional()?
        .map(|c| (c.size.unsigned_abs(), c.time));
        Ok(Self {
            size,
            prev,
            tree,
            after,
            last_checkpoint,
        })
    }
}
