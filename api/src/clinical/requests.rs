//! Access requests: a doctor asks (purpose, scope, duration); the patient or
//! a guardian approves — possibly narrower — or denies. An approval creates
//! the consent in the same transaction. The purpose is clinical free text:
//! sealed at rest (AAD: request, patient, requester) and opened only for the
//! patient side and the requester.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::consents::{AccessLevel, AccessRequestView, RequestStatus};
use shared::{ConsentId, PatientId, Role, UserId};
use uuid::Uuid;

use crate::access::scope::ListScope;
use crate::access::Actor;
use crate::clinical::consents::{scope_columns, scope_from_columns};
use crate::clinical::{patient_names, user_names};
use crate::crypto::{Aad, Sealer};
use crate::db::schema::access_requests;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = access_requests)]
pub struct RequestRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub requester_id: Uuid,
    pub access: String,
    pub scope: String,
    pub kinds: Vec<String>,
    pub record_ids: Vec<Uuid>,
    pub duration_hours: i32,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub consent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub purpose_sealed: Vec<u8>,
}

fn purpose_aad(id: Uuid, patient_id: Uuid, requester_id: Uuid) -> Aad {
    Aad::RequestPurpose {
        request_id: id,
        patient_id,
        requester_id,
    }
}

impl RequestRow {
    /// The purpose in clear (`None`, logged, when it does not open).
    fn purpose(&self, sealer: &Sealer) -> Option<String> {
        let aad = purpose_aad(self.id, self.patient_id, self.requester_id);
        sealer
            .open_text(&self.purpose_sealed, &aad)
            .inspect_err(|e| tracing::warn!(request_id = %self.id, error = %e, "access request purpose failed to open"))
            .ok()
    }

    pub fn status(&self) -> Result<RequestStatus, ApiError> {
        RequestStatus::parse(&self.status)
            .ok_or_else(|| ApiError::internal("access_requests.status", "unknown value"))
    }

    pub fn access(&self) -> Result<AccessLevel, ApiError> {
        AccessLevel::parse(&self.access)
            .ok_or_else(|| ApiError::internal("access_requests.access", "unknown value"))
    }

    pub fn scope(&self) -> Result<shared::consents::ConsentScope, ApiError> {
        scope_from_columns(&self.scope, &self.kinds, &self.record_ids)
    }
}

pub struct NewRequest {
    pub patient_id: Uuid,
    pub requester_id: Uuid,
    pub purpose: String,
    pub access: AccessLevel,
    pub scope: shared::consents::ConsentScope,
    pub duration_hours: i32,
}

pub fn create(
    conn: &mut PgConnection,
    sealer: &Sealer,
    new: NewRequest,
) -> Result<RequestRow, ApiError> {
    let (scope, kinds, ids) = scope_columns(&new.scope);
    let id = Uuid::new_v4();
    let purpose = sealer.seal_text(
        &purpose_aad(id, new.patient_id, new.requester_id),
        &new.purpose,
    )?;
    Ok(diesel::insert_into(access_requests::table)
        .values((
            access_requests::id.eq(id),
            access_requests::patient_id.eq(new.patient_id),
            access_requests::requester_id.eq(new.requester_id),
            access_requests::purpose_sealed.eq(purpose),
            access_requests::access.eq(new.access.as_str()),
            access_requests::scope.eq(scope),
            access_requests::kinds.eq(kinds),
            access_requests::record_ids.eq(ids),
            access_requests::duration_hours.eq(new.duration_hours),
        ))
        .returning(RequestRow::as_returning())
        .get_result(conn)?)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<RequestRow>, ApiError> {
    Ok(access_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .for_update()
        .first(conn)
        .optional()?)
}

/// Marks a pending request decided.
pub fn decide(
    conn: &mut PgConnection,
    id: Uuid,
    status: RequestStatus,
    by: Uuid,
    note: Option<String>,
    consent_id: Option<Uuid>,
) -> Result<RequestRow, ApiError> {
    Ok(diesel::update(access_requests::table.find(id))
        .set((
            access_requests::status.eq(status.as_str()),
            access_requests::decided_by.eq(by),
            access_requests::decided_at.eq(Utc::now()),
            access_requests::decision_note.eq(note),
            access_requests::consent_id.eq(consent_id),
        ))
        .returning(RequestRow::as_returning())
        .get_result(conn)?)
}

/// The requests as `reader` sees them. A purpose is for the patient (or
/// guardian) and the requester only — the only others who can list a
/// request are admins, and they get none (`purpose: null`).
pub fn to_view(
    conn: &mut PgConnection,
    sealer: &Sealer,
    rows: Vec<RequestRow>,
    reader: Actor,
) -> Result<Vec<AccessRequestView>, ApiError> {
    let shows_purpose = reader.role != Role::Admin;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.requester_id).collect();
    let names = user_names(conn, &ids)?;
    let pids: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    let pnames = patient_names(conn, &pids)?;
    rows.into_iter()
        .map(|r| {
            Ok(AccessRequestView {
                id: r.id,
                patient_id: PatientId(r.patient_id),
                patient_name: pnames.get(&r.patient_id).cloned().unwrap_or_default(),
                requester_id: UserId(r.requester_id),
                requester_name: names.get(&r.requester_id).cloned().unwrap_or_default(),
                access: r.access()?,
                scope: r.scope()?,
                status: r.status()?,
                purpose: if shows_purpose {
                    r.purpose(sealer)
                } else {
                    None
                },
                duration_hours: r.duration_hours,
                created_at: r.created_at,
                decided_at: r.decided_at,
                decided_by: r.decided_by.map(UserId),
                decision_note: r.decision_note.filter(|_| shows_purpose),
                consent_id: r.consent_id.map(ConsentId),
            })
        })
        .collect()
}

pub struct ListFilter {
    pub patient_id: Option<Uuid>,
    pub status: Option<RequestStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// Requests in `scope`, newest first (clinicians: the ones they made).
pub fn list(
    conn: &mut PgConnection,
    scope: &ListScope,
    actor: Actor,
    f: &ListFilter,
) -> Result<(Vec<RequestRow>, i64), ApiError> {
    let charts = scope.chart_ids();
    let build = || {
        let mut q = access_requests::table.into_boxed();
        match scope {
            ListScope::All => {}
            ListScope::Charts(_) => {
                q = q.filter(access_requests::patient_id.eq_any(charts.clone()))
            }
            ListScope::AsClinician => q = q.filter(access_requests::requester_id.eq(actor.id.0)),
        }
        if let Some(p) = f.patient_id {
            q = q.filter(access_requests::patient_id.eq(p));
        }
        if let Some(s) = f.status {
            q = q.filter(access_requests::status.eq(s.as_str()));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((
            access_requests::created_at.desc(),
            access_requests::id.desc(),
        ))
        .limit(f.limit)
        .offset(f.offset)
        .select(RequestRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
