//! What lists may contain, per actor — the policy's answer for list
//! endpoints, so list handlers filter by it instead of deciding themselves.
//! Charts come with the basis that makes them visible.

use chrono::Utc;
use diesel::prelude::*;
use shared::Role;
use uuid::Uuid;

use crate::access::{Actor, Basis};
use crate::db::schema::{consents, emergency_accesses, guardianships, patients};
use crate::error::ApiError;

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
    let now = Utc::now();
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
        .filter(guardianships::starts_at.le(now))
        .filter(
            guardianships::ends_at
                .is_null()
                .or(guardianships::ends_at.gt(now)),
        )
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
            let now = Utc::now();
            let mut out: Vec<(Uuid, Basis)> = Vec::new();
            let grants: Vec<(Uuid, Uuid)> = consents::table
                .filter(consents::grantee_id.eq(actor.id.0))
                .filter(consents::revoked_at.is_null())
                .filter(
                    consents::expires_at
                        .is_null()
                        .or(consents::expires_at.gt(now)),
                )
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
                    .filter(emergency_accesses::opened_at.le(now))
                    .filter(emergency_accesses::expires_at.gt(now))
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
