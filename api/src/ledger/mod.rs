//! The ledger: every auditable action writes its event through [`record`]
//! (or several through [`record_all`], one INSERT) inside the action's own
//! transaction — no event, no action. Actions on patient or account data
//! reach it only through `access::audited`, which records the denied or the
//! single allowed event; events that are no policy decision are written by
//! their domain function (`auth::login`, `auth::account`, the consent-expiry
//! sweep, key rotation, the seed).
//!
//! This module owns the `ledger_entries` table and must never store clinical
//! text or secrets: only ids, enums, request metadata and SHA-256 digests.
//! A request's source address is not put in the entry (its leaf is
//! immutable and visible to everyone the event concerns) but in
//! `ledger_sources`, keyed by the entry, in the same statement; admins see
//! it in the event list ([`log`]).
//!
//! Submodules: [`sequencer`] integrates entries into the chain and tree and
//! signs checkpoints; [`signer`] signs them; [`store`] reads stored rows;
//! [`proofs`] serves inclusion/consistency proofs; [`log`] lists events
//! (its SQL in [`log_query`]);
//! [`verify`] re-checks the whole ledger (reading it through
//! [`verify_stream`]).

pub mod log;
pub mod log_query;
pub mod proofs;
pub mod sequencer;
pub mod signer;
pub mod store;
pub mod verify;
pub mod verify_cli;
pub mod verify_stream;

use chrono::{SubsecRound, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use shared::ledger::{Action, Outcome};
use shared::{Role, UserId};
use uuid::Uuid;

use crate::db::schema::ledger_entries;
use crate::error::ApiError;
use crate::request::RequestContext;

/// An event as an action describes it; sequence number, time and hash links
/// are added by the ledger.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: Action,
    pub outcome: Outcome,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<Role>,
    pub patient_id: Option<Uuid>,
    pub record_id: Option<Uuid>,
    pub subject_user_id: Option<Uuid>,
    pub basis_kind: Option<&'static str>,
    pub basis_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub source_addr: Option<String>,
    pub content_digest: Option<[u8; 32]>,
    pub prior_digest: Option<[u8; 32]>,
}

impl NewEvent {
    pub fn new(action: Action, ctx: &RequestContext) -> Self {
        Self {
            action,
            outcome: Outcome::Allowed,
            actor_id: None,
            actor_role: None,
            patient_id: None,
            record_id: None,
            subject_user_id: None,
            basis_kind: None,
            basis_id: None,
            request_id: Some(ctx.request_id.clone()),
            source_addr: ctx.source_addr.clone(),
            content_digest: None,
            prior_digest: None,
        }
    }

    pub fn actor(mut self, id: UserId, role: Role) -> Self {
        self.actor_id = Some(id.0);
        self.actor_role = Some(role);
        self
    }

    pub fn denied(mut self) -> Self {
        self.outcome = Outcome::Denied;
        self
    }

    pub fn subject_user(mut self, id: UserId) -> Self {
        self.subject_user_id = Some(id.0);
        self
    }
}

/// Appends `event` within the caller's transaction (or on its own, in
/// autocommit). Every column is bound
/// (absent values as NULL, never `DEFAULT`), so the statement text never
/// varies and Diesel keeps it prepared: it runs on every request.
pub fn record(conn: &mut PgConnection, event: &NewEvent) -> Result<(), ApiError> {
    use ledger_entries as e;
    if event.source_addr.is_some() {
        RecordMany::new(std::slice::from_ref(event)).execute(conn)?;
        return Ok(());
    }
    diesel::insert_into(e::table)
        .values((
            e::time.eq(Utc::now().trunc_subsecs(6)),
            e::actor_id.eq(event.actor_id),
            e::actor_role.eq(event.actor_role.map(Role::as_str)),
            e::action.eq(event.action.as_str()),
            e::outcome.eq(event.outcome.as_str()),
            e::patient_id.eq(event.patient_id),
            e::record_id.eq(event.record_id),
            e::subject_user_id.eq(event.subject_user_id),
            e::basis_kind.eq(event.basis_kind),
            e::basis_id.eq(event.basis_id),
            e::request_id.eq(event.request_id.as_deref()),
            e::source_addr.eq(None::<&str>),
            e::content_digest.eq(event.content_digest.as_ref().map(|d| d.as_slice())),
            e::prior_digest.eq(event.prior_digest.as_ref().map(|d| d.as_slice())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Appends `events` in one statement, in slice order (their ids, hence their
/// order in the log, follow it). One event is [`record`]; more are one
/// INSERT whose every column is bound as one array and unnested, so its text
/// is the same for any number of events and it stays prepared. All events of
/// one call share one time. Sequencing is unchanged: the sequencer orders
/// entries by `(txid, id)`, and one statement's rows share its transaction.
pub fn record_all(conn: &mut PgConnection, events: &[NewEvent]) -> Result<(), ApiError> {
    match events {
        [] => Ok(()),
        [one] if one.source_addr.is_none() => record(conn, one),
        many => {
            RecordMany::new(many).execute(conn)?;
            Ok(())
        }
    }
}

/// The multi-row INSERT behind [`record_all`]: one array per column. Ids
/// are drawn in slice order first, so each source address lands in
/// `ledger_sources` under its own entry; the entry's `source_addr` is NULL.
#[derive(diesel::query_builder::QueryId)]
struct RecordMany {
    time: chrono::DateTime<Utc>,
    actor_id: Vec<Option<Uuid>>,
    actor_role: Vec<Option<&'static str>>,
    action: Vec<&'static str>,
    outcome: Vec<&'static str>,
    patient_id: Vec<Option<Uuid>>,
    record_id: Vec<Option<Uuid>>,
    subject_user_id: Vec<Option<Uuid>>,
    basis_kind: Vec<Option<&'static str>>,
    basis_id: Vec<Option<Uuid>>,
    request_id: Vec<Option<String>>,
    source_addr: Vec<Option<String>>,
    content_digest: Vec<Option<Vec<u8>>>,
    prior_digest: Vec<Option<Vec<u8>>>,
}

impl RecordMany {
    fn new(events: &[NewEvent]) -> Self {
        let col = |f: &dyn Fn(&NewEvent) -> Option<Uuid>| events.iter().map(f).collect();
        let digest = |d: &Option<[u8; 32]>| d.map(|d| d.to_vec());
        Self {
            time: Utc::now().trunc_subsecs(6),
            actor_id: col(&|e| e.actor_id),
            actor_role: events
                .iter()
                .map(|e| e.actor_role.map(Role::as_str))
                .collect(),
            action: events.iter().map(|e| e.action.as_str()).collect(),
            outcome: events.iter().map(|e| e.outcome.as_str()).collect(),
            patient_id: col(&|e| e.patient_id),
            record_id: col(&|e| e.record_id),
            subject_user_id: col(&|e| e.subject_user_id),
            basis_kind: events.iter().map(|e| e.basis_kind).collect(),
            basis_id: col(&|e| e.basis_id),
            request_id: events.iter().map(|e| e.request_id.clone()).collect(),
            source_addr: events.iter().map(|e| e.source_addr.clone()).collect(),
            content_digest: events.iter().map(|e| digest(&e.content_digest)).collect(),
            prior_digest: events.iter().map(|e| digest(&e.prior_digest)).collect(),
        }
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for RecordMany {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
        out.push_sql("WITH u AS (SELECT nextval('ledger_entries_id_seq') AS id, o.* FROM (SELECT * FROM unnest(");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.actor_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.actor_role)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.action)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.outcome)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.patient_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.record_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.subject_user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.basis_kind)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<SqlUuid>>, _>(&self.basis_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.request_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.source_addr)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Bytea>>, _>(&self.content_digest)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Bytea>>, _>(&self.prior_digest)?;
        out.push_sql(
            ") WITH ORDINALITY AS x(actor_id, actor_role, action, outcome, patient_id, \
             record_id, subject_user_id, basis_kind, basis_id, request_id, source_addr, \
             content_digest, prior_digest, n) ORDER BY x.n) o), \
             e AS (INSERT INTO ledger_entries (id, time, actor_id, actor_role, action, outcome, \
             patient_id, record_id, subject_user_id, basis_kind, basis_id, request_id, \
             source_addr, content_digest, prior_digest) SELECT u.id, ",
        );
        out.push_bind_param::<Timestamptz, _>(&self.time)?;
        out.push_sql(
            ", u.actor_id, u.actor_role, u.action, u.outcome, u.patient_id, u.record_id, \
             u.subject_user_id, u.basis_kind, u.basis_id, u.request_id, NULL, \
             u.content_digest, u.prior_digest FROM u ORDER BY u.n) \
             INSERT INTO ledger_sources (entry_id, source_addr) \
             SELECT u.id, u.source_addr FROM u WHERE u.source_addr IS NOT NULL",
        );
        Ok(())
    }
}

impl diesel::RunQueryDsl<PgConnection> for RecordMany {}
