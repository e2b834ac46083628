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

/// Appends `event` within the caller's transaction. Every column is bound
/// (absent values as NULL, never `DEFAULT`), so the statement text never
/// varies and Diesel keeps it prepared: it runs on every request.
pub fn record(conn: &mut PgConnection, event: &NewEvent) -> Result<(), ApiError> {
    use ledger_entries as e;
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
            e::source_addr.eq(event.source_addr.as_deref()),
            e::content_digest.eq(event.content_digest.as_ref().map(|d| d.as_slice())),
            e::prior_digest.eq(event.prior_digest.as_ref().map(|d| d.as_slice())),
        ))
        .execute(conn)?;
    Ok(())
}
