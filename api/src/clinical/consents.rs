//! Consent grants: the `consents` table. A grant is live while it is not
//! revoked and not past `expires_at` (`access::live`, the one definition);
//! nothing has to run for an expiry to take effect, because every decision
//! compares with the current time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::consents::{AccessLevel, Consent, ConsentScope, ConsentStatus};
use shared::{ConsentId, PatientId, RecordId, UserId};
use uuid::Uuid;

use crate::access::live;
use crate::access::scope::ListScope;
use crate::access::Actor;
use crate::clinical::{patient_names, stored, user_names};
use crate::db::schema::{consents, records, users};
use crate::error::ApiError;

pub use crate::access::live::{scope_columns, scope_from_columns};

/// Checks a scope against the chart: at least one kind or record, no more
/// than 100, no duplicates, and named records must belong to the patient.
pub fn validate_scope(
    conn: &mut PgConnection,
    patient_id: Uuid,
    scope: &ConsentScope,
) -> Result<ConsentScope, ApiError> {
    match scope {
        ConsentScope::Chart => Ok(ConsentScope::Chart),
        ConsentScope::Kinds { kinds } => {
            let mut k = kinds.clone();
            k.sort();
            k.dedup();
            if k.is_empty() {
                return Err(ApiError::validation(
                    "scope",
                    "name at least one record kind",
                ));
            }
            Ok(ConsentScope::Kinds { kinds: k })
        }
        ConsentScope::Records { record_ids } => {
            let mut ids: Vec<Uuid> = record_ids.iter().map(|r| r.0).collect();
            ids.sort();
            ids.dedup();
            if ids.is_empty() || ids.len() > 100 {
                return Err(ApiError::validation("scope", "name 1 to 100 records"));
            }
            let found: i64 = records::table
                .filter(records::patient_id.eq(patient_id))
                .filter(records::id.eq_any(&ids))
                .count()
                .get_result(conn)?;
            if found != ids.len() as i64 {
                return Err(ApiError::validation(
                    "scope",
                    "every record must belong to this chart",
                ));
            }
            Ok(ConsentScope::Records {
                record_ids: ids.into_iter().map(RecordId).collect(),
            })
        }
    }
}

/// The grantee must be an enabled doctor or nurse.
pub fn check_grantee(conn: &mut PgConnection, grantee: Uuid) -> Result<(), ApiError> {
    let row: Option<(String, bool)> = users::table
        .find(grantee)
        .select((users::role, users::disabled))
        .first(conn)
        .optional()?;
    match row {
        Some((role, false)) if stored::<shared::Role>("users.role", &role)?.is_clinician() => {
            Ok(())
        }
        _ => Err(ApiError::validation(
            "grantee_id",
            "the grantee must be an active doctor or nurse",
        )),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub grantee_id: Uuid,
    pub access: String,
    pub scope: String,
    pub kinds: Vec<String>,
    pub record_ids: Vec<Uuid>,
    pub granted_by: Uuid,
    pub access_request_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<Uuid>,
}

impl ConsentRow {
    pub fn status(&self, now: DateTime<Utc>) -> ConsentStatus {
        live::consent_status(self.revoked_at, self.expires_at, now)
    }
}

pub struct NewConsent {
    pub patient_id: Uuid,
    pub grantee_id: Uuid,
    pub access: AccessLevel,
    pub scope: ConsentScope,
    pub granted_by: Uuid,
    pub expires_at: Option<DateTime<Utc>>,
    pub access_request_id: Option<Uuid>,
}

pub fn create(conn: &mut PgConnection, new: NewConsent) -> Result<ConsentRow, ApiError> {
    let (scope, kinds, ids) = scope_columns(&new.scope);
    Ok(diesel::insert_into(consents::table)
        .values((
            consents::id.eq(Uuid::new_v4()),
            consents::patient_id.eq(new.patient_id),
            consents::grantee_id.eq(new.grantee_id),
            consents::access.eq(new.access.as_str()),
            consents::scope.eq(scope),
            consents::kinds.eq(kinds),
            consents::record_ids.eq(ids),
            consents::granted_by.eq(new.granted_by),
            consents::expires_at.eq(new.expires_at),
            consents::access_request_id.eq(new.access_request_id),
        ))
        .returning(ConsentRow::as_returning())
        .get_result(conn)?)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<ConsentRow>, ApiError> {
    Ok(consents::table
        .find(id)
        .select(ConsentRow::as_select())
        .for_update()
        .first(conn)
        .optional()?)
}

pub fn revoke(conn: &mut PgConnection, id: Uuid, by: Uuid) -> Result<ConsentRow, ApiError> {
    Ok(diesel::update(consents::table.find(id))
        .set((
            consents::revoked_at.eq(live::now()),
            consents::revoked_by.eq(by),
        ))
        .returning(ConsentRow::as_returning())
        .get_result(conn)?)
}

pub fn to_view(conn: &mut PgConnection, rows: Vec<ConsentRow>) -> Result<Vec<Consent>, ApiError> {
    let now = live::now();
    let users: Vec<Uuid> = rows.iter().map(|r| r.grantee_id).collect();
    let names = user_names(conn, &users)?;
    let pids: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    let pnames = patient_names(conn, &pids)?;
    rows.into_iter()
        .map(|r| {
            Ok(Consent {
                id: ConsentId(r.id),
                patient_id: PatientId(r.patient_id),
                patient_name: pnames.get(&r.patient_id).cloned().unwrap_or_default(),
                grantee_id: UserId(r.grantee_id),
                grantee_name: names.get(&r.grantee_id).cloned().unwrap_or_default(),
                access: AccessLevel::parse(&r.access)
                    .ok_or_else(|| ApiError::internal("consents.access", "unknown value"))?,
                scope: scope_from_columns(&r.scope, &r.kinds, &r.record_ids)?,
                status: r.status(now),
                granted_by: UserId(r.granted_by),
                created_at: r.created_at,
                expires_at: r.expires_at,
                revoked_at: r.revoked_at,
                access_request_id: r.access_request_id,
            })
        })
        .collect()
}

pub struct ListFilter {
    pub patient_id: Option<Uuid>,
    pub grantee_id: Option<Uuid>,
    pub status: Option<ConsentStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// Consents in `scope`, newest first.
pub fn list(
    conn: &mut PgConnection,
    scope: &ListScope,
    actor: Actor,
    f: &ListFilter,
) -> Result<(Vec<ConsentRow>, i64), ApiError> {
    let now = live::now();
    let charts = scope.chart_ids();
    let build = || {
        let mut q = consents::table.into_boxed();
        match scope {
            ListScope::All => {}
            ListScope::Charts(_) => q = q.filter(consents::patient_id.eq_any(charts.clone())),
            ListScope::AsClinician => q = q.filter(consents::grantee_id.eq(actor.id.0)),
        }
        if let Some(p) = f.patient_id {
            q = q.filter(consents::patient_id.eq(p));
        }
        if let Some(g) = f.grantee_id {
            q = q.filter(consents::grantee_id.eq(g));
        }
        match f.status {
            None => {}
            Some(ConsentStatus::Active) => q = q.filter(live::consent_live(now)),
            Some(ConsentStatus::Revoked) => q = q.filter(consents::revoked_at.is_not_null()),
            Some(ConsentStatus::Expired) => q = q.filter(live::consent_expired(now)),
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((consents::created_at.desc(), consents::id.desc()))
        .limit(f.limit)
        .offset(f.offset)
        .select(ConsentRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
