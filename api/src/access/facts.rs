//! The facts a decision rests on, loaded fresh for every request: who owns
//! the chart, the actor's live guardian link, live consents and open
//! emergency access. "Live" is evaluated against the database clock's `now`
//! at load time, so a revoke or an expiry takes effect on the next request.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::consents::{AccessLevel, ConsentScope};
use shared::Role;
use uuid::Uuid;

use crate::access::Actor;
use crate::clinical::consents::scope_from_columns;
use crate::db::schema::{consents, emergency_accesses, guardianships, patients};
use crate::error::ApiError;

type GrantColumns = (Uuid, String, String, Vec<String>, Vec<Uuid>);

/// A live consent held by the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: Uuid,
    pub access: AccessLevel,
    pub scope: ConsentScope,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub patient_exists: bool,
    /// The patient's own account.
    pub patient_user: Option<Uuid>,
    /// The actor's live guardian link to this patient.
    pub guardianship: Option<Uuid>,
    /// The actor's live consents on this chart, oldest first.
    pub grants: Vec<Grant>,
    /// The actor's open emergency access to this chart.
    pub emergency: Option<Uuid>,
}

impl Facts {
    pub fn load(conn: &mut PgConnection, actor: Actor, patient_id: Uuid) -> Result<Self, ApiError> {
        let now: DateTime<Utc> = Utc::now();
        let owner = patients::table
            .find(patient_id)
            .select(patients::user_id)
            .first::<Option<Uuid>>(conn)
            .optional()?;
        let Some(patient_user) = owner else {
            return Ok(Facts::default());
        };
        let mut facts = Facts {
            patient_exists: true,
            patient_user,
            ..Facts::default()
        };
        match actor.role {
            Role::Patient => {
                facts.guardianship = guardianships::table
                    .filter(guardianships::guardian_user_id.eq(actor.id.0))
                    .filter(guardianships::patient_id.eq(patient_id))
                    .filter(guardianships::starts_at.le(now))
                    .filter(
                        guardianships::ends_at
                            .is_null()
                            .or(guardianships::ends_at.gt(now)),
                    )
                    .order((guardianships::created_at, guardianships::id))
                    .select(guardianships::id)
                    .first(conn)
                    .optional()?;
            }
            Role::Doctor | Role::Nurse => {
                let rows: Vec<GrantColumns> = consents::table
                    .filter(consents::grantee_id.eq(actor.id.0))
                    .filter(consents::patient_id.eq(patient_id))
                    .filter(consents::revoked_at.is_null())
                    .filter(
                        consents::expires_at
                            .is_null()
                            .or(consents::expires_at.gt(now)),
                    )
                    .order((consents::created_at, consents::id))
                    .select((
                        consents::id,
                        consents::access,
                        consents::scope,
                        consents::kinds,
                        consents::record_ids,
                    ))
                    .load(conn)?;
                for (id, access, scope, kinds, record_ids) in rows {
                    let access = AccessLevel::parse(&access)
                        .ok_or_else(|| ApiError::internal("consents.access", "unknown value"))?;
                    let scope = scope_from_columns(&scope, &kinds, &record_ids)?;
                    facts.grants.push(Grant { id, access, scope });
                }
                if actor.role == Role::Doctor {
                    facts.emergency = emergency_accesses::table
                        .filter(emergency_accesses::doctor_id.eq(actor.id.0))
                        .filter(emergency_accesses::patient_id.eq(patient_id))
                        .filter(emergency_accesses::opened_at.le(now))
                        .filter(emergency_accesses::expires_at.gt(now))
                        .order(emergency_accesses::expires_at.desc())
                        .select(emergency_accesses::id)
                        .first(conn)
                        .optional()?;
                }
            }
            Role::Admin => {}
        }
        Ok(facts)
    }
}
