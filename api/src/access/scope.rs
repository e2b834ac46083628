//! What lists may contain, per actor — the policy's answer for list
//! endpoints, so list handlers filter by it instead of deciding themselves.
//! Charts come with the basis that makes them visible. Every list scope is
//! decided here: patients, oversight lists (consents, requests, emergency
//! accesses), the ledger log and the clinician directory.
//!
//! Handlers reach a scope only through [`Database::listing`], which resolves
//! it and runs the listing on one connection in autocommit (lists only
//! read), or through [`Database::disclosing`](super::disclosed) for lists
//! that show profiles or patients' names, which also records one event per
//! chart on the page.

use diesel::prelude::*;
use shared::Role;
use uuid::Uuid;

use crate::access::{live, policy, refusal, Action, Actor, Basis, Decision, Target};
use crate::db::schema::{consents, emergency_accesses, guardianships, patients};
use crate::db::Database;
use crate::error::ApiError;
use crate::ledger::log::LogScope;

/// Which rows of a chart-linked list (patients, consents, requests,
/// emergency accesses) the actor may list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Everything (admins).
    All,
    /// Rows of these charts, with the basis for each.
    Charts(Vec<(Uuid, Basis)>),
    /// Rows where the actor is the clinician (grantee, requester, doctor).
    AsClinician,
}

impl ListScope {
    pub fn chart_ids(&self) -> Vec<Uuid> {
        match self {
            ListScope::Charts(c) => c.iter().map(|(id, _)| *id).collect(),
            _ => Vec::new(),
        }
    }

    pub fn basis_for(&self, patient: Uuid) -> Option<Basis> {
        match self {
            ListScope::All => Some(Basis::Role),
            ListScope::Charts(c) => c.iter().find(|(id, _)| *id == patient).map(|(_, b)| *b),
            ListScope::AsClinician => None,
        }
    }
}

/// The charts a patient-role account acts for: their own and live wards.
pub fn charts_acted_for(
    conn: &mut PgConnection,
    actor: Actor,
) -> Result<Vec<(Uuid, Basis)>, ApiError> {
    if actor.role != Role::Patient {
        return Ok(Vec::new());
    }
    let now = live::now();
    let mut out = Vec::new();
    let own: Option<Uuid> = patients::table
        .filter(patients::user_id.eq(actor.id.0))
        .select(patients::id)
        .first(conn)
        .optional()?;
    if let Some(p) = own {
        out.push((p, Basis::OwnChart));
    }
    let wards: Vec<(Uuid, Uuid)> = guardianships::table
        .filter(guardianships::guardian_user_id.eq(actor.id.0))
        .filter(live::guardianship_live(now))
        .order((guardianships::created_at, guardianships::id))
        .select((guardianships::patient_id, guardianships::id))
        .load(conn)?;
    for (p, link) in wards {
        if !out.iter().any(|(id, _)| *id == p) {
            out.push((p, Basis::Guardian(link)));
        }
    }
    Ok(out)
}

/// Patients whose profiles the actor may list (as `ViewProfile` allows).
pub fn visible_patients(conn: &mut PgConnection, actor: Actor) -> Result<ListScope, ApiError> {
    match actor.role {
        Role::Admin => Ok(ListScope::All),
        Role::Patient => Ok(ListScope::Charts(charts_acted_for(conn, actor)?)),
        Role::Doctor | Role::Nurse => {
            let now = live::now();
            let mut out: Vec<(Uuid, Basis)> = Vec::new();
            let grants: Vec<(Uuid, Uuid)> = consents::table
                .filter(consents::grantee_id.eq(actor.id.0))
                .filter(live::consent_live(now))
                .order((consents::created_at, consents::id))
                .select((consents::patient_id, consents::id))
                .load(conn)?;
            for (p, c) in grants {
                if !out.iter().any(|(id, _)| *id == p) {
                    out.push((p, Basis::Consent(c)));
                }
            }
            if actor.role == Role::Doctor {
                let open: Vec<(Uuid, Uuid)> = emergency_accesses::table
                    .filter(emergency_accesses::doctor_id.eq(actor.id.0))
                    .filter(live::emergency_live(now))
                    .select((emergency_accesses::patient_id, emergency_accesses::id))
                    .load(conn)?;
                for (p, e) in open {
                    if !out.iter().any(|(id, _)| *id == p) {
                        out.push((p, Basis::Emergency(e)));
                    }
                }
            }
            Ok(ListScope::Charts(out))
        }
    }
}

/// Consents, access requests and emergency accesses: admins see all,
/// patients and guardians those of the charts they act for, clinicians
/// their own.
pub fn oversight(conn: &mut PgConnection, actor: Actor) -> Result<ListScope, ApiError> {
    match actor.role {
        Role::Admin => Ok(ListScope::All),
        Role::Patient => Ok(ListScope::Charts(charts_acted_for(conn, actor)?)),
        Role::Doctor | Role::Nurse => Ok(ListScope::AsClinician),
    }
}

/// The ledger events the actor may see (and prove): admins all; everyone
/// else the events they performed and, for patients and guardians, every
/// event about the charts they act for.
pub fn log(conn: &mut PgConnection, actor: Actor) -> Result<LogScope, ApiError> {
    Ok(match actor.role {
        Role::Admin => LogScope::All,
        _ => LogScope::Limited {
            actor_id: actor.id.0,
            patient_ids: charts_acted_for(conn, actor)?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        },
    })
}

/// The clinician directory: open to every signed-in account, as the policy
/// says (`ListClinicians`); nothing to filter.
pub fn clinicians(_conn: &mut PgConnection, actor: Actor) -> Result<(), ApiError> {
    match policy::decide(actor, Action::ListClinicians, &Target::System, None) {
        Decision::Allow { .. } => Ok(()),
        Decision::Deny { visible } => Err(refusal(visible)),
    }
}

/// A scope resolver: one of [`visible_patients`], [`oversight`], [`log`],
/// [`clinicians`].
pub type Resolve<S> = fn(&mut PgConnection, Actor) -> Result<S, ApiError>;

impl Database {
    /// Resolves `scope` for `actor` and runs `list` with it, on one
    /// connection in autocommit (reads only).
    pub async fn listing<S, T, F>(
        &self,
        actor: Actor,
        scope: Resolve<S>,
        list: F,
    ) -> Result<T, ApiError>
    where
        S: 'static,
        F: FnOnce(&mut PgConnection, &S, Actor) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.with_connection(move |conn| {
            let scope = scope(conn, actor)?;
            list(conn, &scope, actor)
        })
        .await
    }
}
