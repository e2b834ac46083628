//! The ledger: every auditable action writes one event through [`record`],
//! inside the action's own transaction — no event, no action.
//!
//! This module owns the `ledger_entries` table and must never store clinical
//! text or secrets: only ids, enums, request metadata and SHA-256 digests.
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

use chrono::{DateTime, SubsecRound, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use shared::ledger::{Action, Outcome};
use shared::{Role, UserId};
use uuid::Uuid;

use crate::db::schema::ledger_entries;
use crate::error::ApiError;
use crate::routes::context::RequestContext;

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

#[derive(Insertable)]
#[diesel(table_name = ledger_entries)]
struct EntryRow<'a> {
    time: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_role: Option<&'a str>,
    action: &'a str,
    outcome: &'a str,
    patient_id: Option<Uuid>,
    record_id: Option<Uuid>,
    subject_user_id: Option<Uuid>,
    basis_kind: Option<&'a str>,
    basis_id: Option<Uuid>,
    request_id: Option<&'a str>,
    source_addr: Option<&'a str>,
    content_digest: Option<&'a [u8]>,
    prior_digest: Option<&'a [u8]>,
}

/// Appends `event` within the caller's transaction.
pub fn record(conn: &mut PgConnection, event: &NewEvent) -> Result<(), ApiError> {
    let row = EntryRow {
        time: Utc::now().trunc_subsecs(6),
        actor_id: event.actor_id,
        actor_role: event.actor_role.map(Role::as_str),
        action: event.action.as_str(),
        outcome: event.outcome.as_str(),
        patient_id: event.patient_id,
        record_id: event.record_id,
        subject_user_id: event.subject_user_id,
        basis_kind: event.basis_kind,
        basis_id: event.basis_id,
        request_id: event.request_id.as_deref(),
        source_addr: event.source_addr.as_deref(),
        content_digest: event.content_digest.as_ref().map(|d| d.as_slice()),
        prior_digest: event.prior_digest.as_ref().map(|d| d.as_slice()),
    };
    diesel::insert_into(ledger_entries::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}
