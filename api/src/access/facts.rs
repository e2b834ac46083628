//! The facts a decision rests on, loaded fresh for every request: who owns
//! the chart, the actor's live guardian link, live consents and open
//! emergency access. "Live" is `access::live`'s rule, evaluated against its
//! one clock when the facts are loaded, so a revoke or an expiry takes
//! effect on the next request.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Nullable, Text, Untyped, Uuid as SqlUuid};
use shared::consents::{AccessLevel, ConsentScope};
use shared::Role;
use uuid::Uuid;

use crate::access::live::{self, scope_from_columns};
use crate::access::Actor;
use crate::db::schema::{guardianships, patients};
use crate::error::ApiError;

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
        let now: DateTime<Utc> = live::now();
        if matches!(actor.role, Role::Doctor | Role::Nurse) {
            return Self::load_clinician(conn, actor, patient_id, now);
        }
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
                    .filter(live::guardianship_live(now))
                    .order((guardianships::created_at, guardianships::id))
                    .select(guardianships::id)
                    .first(conn)
                    .optional()?;
            }
            Role::Doctor | Role::Nurse => {}
            Role::Admin => {}
        }
        Ok(facts)
    }

    /// A clinician's facts in one round trip: the chart's owner, the
    /// actor's live consents on it (oldest first) and, for doctors, the
    /// open emergency access — the same rows the separate lookups read.
    fn load_clinician(
        conn: &mut PgConnection,
        actor: Actor,
        patient_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let rows = ClinicianFactsQuery {
            patient_id,
            actor_id: actor.id.0,
            now,
            doctor: actor.role == Role::Doctor,
        }
        .load::<ClinicianRow>(conn)?;
        let Some(first) = rows.first() else {
            return Ok(Facts::default());
        };
        let mut facts = Facts {
            patient_exists: true,
            patient_user: first.patient_user,
            emergency: first.emergency,
            ..Facts::default()
        };
        for row in rows {
            let (Some(id), Some(access), Some(scope), Some(kinds), Some(record_ids)) = (
                row.grant_id,
                row.access,
                row.scope,
                row.kinds,
                row.record_ids,
            ) else {
                continue;
            };
            let access = AccessLevel::parse(&access)
                .ok_or_else(|| ApiError::internal("consents.access", "unknown value"))?;
            let scope = scope_from_columns(&scope, &kinds, &record_ids)?;
            facts.grants.push(Grant { id, access, scope });
        }
        Ok(facts)
    }
}

/// One row per live consent the actor holds on the chart, or one row
/// without a consent; the chart's owner and (doctors only) the open
/// emergency access on every row. Spelled as a query fragment rather than
/// `sql_query` so Diesel keeps it prepared per connection: it runs on every
/// clinician request, and re-planning it each time cost more than running it.
#[derive(QueryId)]
struct ClinicianFactsQuery {
    patient_id: Uuid,
    actor_id: Uuid,
    now: DateTime<Utc>,
    doctor: bool,
}

impl QueryFragment<Pg> for ClinicianFactsQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "SELECT p.user_id AS patient_user, \
               (SELECT e.id FROM emergency_accesses e WHERE ",
        );
        out.push_bind_param::<Bool, _>(&self.doctor)?;
        out.push_sql(" AND e.doctor_id = ");
        out.push_bind_param::<SqlUuid, _>(&self.actor_id)?;
        out.push_sql(" AND e.patient_id = p.id AND ");
        live::push_emergency_live(&mut out, "e", &self.now)?;
        out.push_sql(
            " ORDER BY e.expires_at DESC LIMIT 1) AS emergency, \
               c.id AS grant_id, c.access, c.scope, c.kinds, c.record_ids \
             FROM patients p LEFT JOIN LATERAL (\
               SELECT k.id, k.access, k.scope, k.kinds, k.record_ids, k.created_at \
                 FROM consents k WHERE k.grantee_id = ",
        );
        out.push_bind_param::<SqlUuid, _>(&self.actor_id)?;
        out.push_sql(" AND k.patient_id = p.id AND ");
        live::push_consent_live(&mut out, "k", &self.now)?;
        out.push_sql(") c ON TRUE WHERE p.id = ");
        out.push_bind_param::<SqlUuid, _>(&self.patient_id)?;
        out.push_sql(" ORDER BY c.created_at, c.id");
        Ok(())
    }
}

impl Query for ClinicianFactsQuery {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for ClinicianFactsQuery {}

#[derive(QueryableByName)]
struct ClinicianRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    patient_user: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    emergency: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    grant_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    access: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    scope: Option<String>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    kinds: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<SqlUuid>>)]
    record_ids: Option<Vec<Uuid>>,
}
