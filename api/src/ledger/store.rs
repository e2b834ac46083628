//! Reading the sequenced ledger back: the column types that decode stored
//! rows without allocating, the joined event row, tree-node lookups and
//! checkpoint rows. Shared by the sequencer, proofs, listing and verify.
//!
//! Decoding never guesses: a stored name this build does not know (an
//! action, role, outcome or basis kind) decodes to `None` and the event
//! counts as unrepresentable, so nothing is ever hashed from a value other
//! than the one stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bytea, Nullable, SmallInt, Text, Timestamptz, Untyped};
use shared::ledger::{Action, Basis, BasisKind, EventBody, Hash, NodeId, Outcome, SequencedEvent};
use shared::Role;
use uuid::Uuid;

/// A 32-byte hash column (`BYTEA`, length checked by the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct HashCol(pub Hash);

impl FromSql<Bytea, Pg> for HashCol {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let hash: Hash = value
            .as_bytes()
            .try_into()
            .map_err(|_| "stored hash is not 32 bytes")?;
        Ok(HashCol(hash))
    }
}

/// A text column holding one of our stable names; `None` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Known<T>(pub Option<T>);

impl<T: std::str::FromStr> FromSql<Text, Pg> for Known<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = std::str::from_utf8(value.as_bytes())?;
        Ok(Known(text.parse().ok()))
    }
}

/// The event columns, shared by the joined row and the raw entry row.
pub const EVENT_COLUMNS: &str = "x.time, x.actor_id, x.actor_role, x.action, x.outcome, \
     x.patient_id, x.record_id, x.subject_user_id, x.basis_kind, x.basis_id, x.request_id, \
     x.source_addr, x.content_digest, x.prior_digest";

/// One event body as stored in `ledger_entries` (alias `x`).
#[derive(Debug, QueryableByName)]
pub struct BodyRow {
    #[diesel(sql_type = Timestamptz)]
    pub time: DateTime<Utc>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub actor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_role: Option<Known<Role>>,
    #[diesel(sql_type = Text)]
    pub action: Known<Action>,
    #[diesel(sql_type = Text)]
    pub outcome: Known<Outcome>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub patient_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub record_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub subject_user_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub basis_kind: Option<Known<BasisKind>>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub basis_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub request_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub source_addr: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub content_digest: Option<HashCol>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub prior_digest: Option<HashCol>,
}

impl BodyRow {
    /// The body the canonical encoding covers, or `None` when a stored value
    /// cannot be represented (unknown name, or a basis id without a kind).
    pub fn into_body(self) -> Option<EventBody> {
        let actor_role = match self.actor_role {
            None => None,
            Some(Known(role)) => Some(role?),
        };
        let basis = match (self.basis_kind, self.basis_id) {
            (None, None) => None,
            (None, Some(_)) => return None,
            (Some(Known(kind)), id) => Some(Basis { kind: kind?, id }),
        };
        Some(EventBody {
            time: self.time,
            actor_id: self.actor_id,
            actor_role,
            action: self.action.0?,
            outcome: self.outcome.0?,
            patient_id: self.patient_id,
            record_id: self.record_id,
            subject_user_id: self.subject_user_id,
            basis,
            request_id: self.request_id,
            source_addr: self.source_addr,
            content_digest: self.content_digest.map(|h| h.0),
            prior_digest: self.prior_digest.map(|h| h.0),
        })
    }
}

/// A sequenced event joined with its entry.
#[derive(Debug, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = BigInt)]
    pub entry_id: i64,
    #[diesel(sql_type = Bytea)]
    pub prev_hash: HashCol,
    #[diesel(sql_type = Bytea)]
    pub leaf_hash: HashCol,
    #[diesel(embed)]
    pub body: BodyRow,
}

impl EventRow {
    /// `(event, stored leaf hash)`, or `None` when unrepresentable.
    pub fn into_event(self) -> Option<(SequencedEvent, Hash)> {
        let seq = u64::try_from(self.seq).ok()?;
        let body = self.body.into_body()?;
        Some((
            SequencedEvent {
                seq,
                prev_hash: self.prev_hash.0,
                body,
            },
            self.leaf_hash.0,
        ))
    }
}

/// `SELECT` list and `FROM` clause for [`EventRow`].
pub fn event_select() -> String {
    format!(
        "SELECT e.seq, e.entry_id, e.prev_hash, e.leaf_hash, {EVENT_COLUMNS} \
         FROM ledger_events e JOIN ledger_entries x ON x.id = e.entry_id"
    )
}

/// The event with this sequence number.
pub fn event_at(conn: &mut PgConnection, seq: u64) -> Result<Option<EventRow>, StoreError> {
    let seq = to_i64(seq)?;
    Ok(EventAtQuery {
        select: event_select(),
        seq,
    }
    .get_result::<EventRow>(conn)
    .optional()?)
}

/// `event_at`'s statement as a query fragment rather than `sql_query`, so
/// Diesel keeps it prepared per connection (it serves every inclusion
/// proof); `select` is always [`event_select`].
#[derive(QueryId)]
struct EventAtQuery {
    select: String,
    seq: i64,
}

impl QueryFragment<Pg> for EventAtQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(&self.select);
        out.push_sql(" WHERE e.seq = ");
        out.push_bind_param::<BigInt, _>(&self.seq)
    }
}

impl Query for EventAtQuery {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for EventAtQuery {}

#[derive(QueryableByName)]
struct NodeRow {
    #[diesel(sql_type = SmallInt)]
    level: i16,
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = Bytea)]
    hash: HashCol,
}

/// Fetches the listed tree nodes in one query.
pub fn fetch_nodes(
    conn: &mut PgConnection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let levels: Vec<i16> = ids.iter().map(|n| i16::from(n.level)).collect();
    let idxs = ids
        .iter()
        .map(|n| to_i64(n.index))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = NodesQuery { levels, idxs }.load::<NodeRow>(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let level = u8::try_from(r.level).ok()?;
            let index = u64::try_from(r.idx).ok()?;
            Some((NodeId::new(level, index), r.hash.0))
        })
        .collect())
}

/// `fetch_nodes`' statement, kept prepared like [`EventAtQuery`].
#[derive(QueryId)]
struct NodesQuery {
    levels: Vec<i16>,
    idxs: Vec<i64>,
}

impl QueryFragment<Pg> for NodesQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT n.level, n.idx, n.hash FROM unnest(");
        out.push_bind_param::<Array<SmallInt>, _>(&self.levels)?;
        out.push_sql("::int2[], ");
        out.push_bind_param::<Array<BigInt>, _>(&self.idxs)?;
        out.push_sql(
            "::int8[]) AS want(level, idx) \
             CROSS JOIN LATERAL (SELECT level, idx, hash FROM ledger_nodes \
               WHERE level = want.level AND idx = want.idx) AS n",
        );
        Ok(())
    }
}

impl Query for NodesQuery {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for NodesQuery {}

/// A stored checkpoint row.
#[derive(Debug, Clone, Queryable)]
pub struct CheckpointRow {
    pub size: i64,
    pub note: String,
}

/// The newest checkpoint (largest size), or the one for `size`.
pub fn checkpoint(
    conn: &mut PgConnection,
    size: Option<u64>,
) -> Result<Option<CheckpointRow>, StoreError> {
    use crate::db::schema::ledger_checkpoints::dsl as c;
    let mut q = c::ledger_checkpoints
        .select((c::size, c::note))
        .into_boxed();
    if let Some(size) = size {
        q = q.filter(c::size.eq(to_i64(size)?));
    }
    Ok(q.order(c::size.desc()).first(conn).optional()?)
}

/// Number of sequenced events (= next seq). Reads the last row only.
pub fn sequenced_size(conn: &mut PgConnection) -> Result<u64, StoreError> {
    use crate::db::schema::ledger_events::dsl as e;
    let last: Option<i64> = e::ledger_events
        .select(e::seq)
        .order(e::seq.desc())
        .first(conn)
        .optional()?;
    Ok(last.map_or(0, |s| s.unsigned_abs() + 1))
}

/// A tree size, index or seq as PostgreSQL's `int8`.
pub fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::OutOfRange(n))
}

/// Why reading the stored log failed. Knows nothing of HTTP: `error.rs`
/// answers `OutOfRange` (a caller's number) with a 422 and maps the rest.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("reading the ledger")]
    Database(#[from] diesel::result::Error),
    #[error("{0} is beyond the ledger's range")]
    OutOfRange(u64),
}
