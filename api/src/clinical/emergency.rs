//! Emergency access ("break the glass"): opened by a doctor for at most 60
//! minutes; reviewed by an admin with a note. It grants access by itself
//! while open; review does not change that, it is the after-the-fact check.
//! The reason is clinical free text: sealed at rest (AAD: access, patient,
//! doctor) and opened only where [`Reason::Shown`].

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use shared::emergency::EmergencyAccess;
use shared::{PatientId, UserId};
use uuid::Uuid;

use crate::access::live;
use crate::access::scope::ListScope;
use crate::access::Actor;
use crate::clinical::{patient_names, user_names};
use crate::crypto::{Aad, Sealer};
use crate::db::schema::emergency_accesses;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emergency_accesses)]
pub struct EmergencyRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub doctor_id: Uuid,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<Uuid>,
    pub review_note: Option<String>,
    pub reason_sealed: Vec<u8>,
}

fn reason_aad(id: Uuid, patient_id: Uuid, doctor_id: Uuid) -> Aad {
    Aad::EmergencyReason {
        access_id: id,
        patient_id,
        doctor_id,
    }
}

impl EmergencyRow {
    /// The reason in clear (`None`, logged, when it does not open).
    fn reason(&self, sealer: &Sealer) -> Option<String> {
        let aad = reason_aad(self.id, self.patient_id, self.doctor_id);
        sealer
            .open_text(&self.reason_sealed, &aad)
            .inspect_err(|e| tracing::warn!(emergency_id = %self.id, error = %e, "emergency reason failed to open"))
            .ok()
    }
}

pub fn open(
    conn: &mut PgConnection,
    sealer: &Sealer,
    patient_id: Uuid,
    doctor_id: Uuid,
    reason: &str,
    minutes: i64,
) -> Result<EmergencyRow, ApiError> {
    let now = live::now();
    let id = Uuid::new_v4();
    let sealed = sealer.seal_text(&reason_aad(id, patient_id, doctor_id), reason)?;
    Ok(diesel::insert_into(emergency_accesses::table)
        .values((
            emergency_accesses::id.eq(id),
            emergency_accesses::patient_id.eq(patient_id),
            emergency_accesses::doctor_id.eq(doctor_id),
            emergency_accesses::reason_sealed.eq(sealed),
            emergency_accesses::opened_at.eq(now),
            emergency_accesses::expires_at.eq(now + Duration::minutes(minutes)),
        ))
        .returning(EmergencyRow::as_returning())
        .get_result(conn)?)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<EmergencyRow>, ApiError> {
    Ok(emergency_accesses::table
        .find(id)
        .select(EmergencyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<EmergencyRow>, ApiError> {
    Ok(emergency_accesses::table
        .find(id)
        .select(EmergencyRow::as_select())
        .for_update()
        .first(conn)
        .optional()?)
}

pub fn review(
    conn: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    note: &str,
) -> Result<EmergencyRow, ApiError> {
    Ok(diesel::update(emergency_accesses::table.find(id))
        .set((
            emergency_accesses::reviewed_at.eq(live::now()),
            emergency_accesses::reviewed_by.eq(by),
            emergency_accesses::review_note.eq(note),
        ))
        .returning(EmergencyRow::as_returning())
        .get_result(conn)?)
}

/// Whether a view carries the emergency's reason: the doctor who opened it
/// and the patient (or guardian) see it; an admin only inside the review of
/// that one access (`GET /api/v1/emergency-access/{id}` and the review's
/// answer), never in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Shown,
    Withheld,
}

impl Reason {
    /// A list's rule: withheld from the oversight list of every access.
    pub fn in_list(scope: &ListScope) -> Self {
        match scope {
            ListScope::All => Reason::Withheld,
            ListScope::Charts(_) | ListScope::AsClinician => Reason::Shown,
        }
    }
}

pub fn to_view(
    conn: &mut PgConnection,
    sealer: &Sealer,
    rows: Vec<EmergencyRow>,
    reason: Reason,
) -> Result<Vec<EmergencyAccess>, ApiError> {
    let now = live::now();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.doctor_id).collect();
    let names = user_names(conn, &ids)?;
    let pids: Vec<Uuid> = rows.iter().map(|r| r.patient_id).collect();
    let pnames = patient_names(conn, &pids)?;
    Ok(rows
        .into_iter()
        .map(|r| EmergencyAccess {
            id: r.id,
            patient_id: PatientId(r.patient_id),
            patient_name: pnames.get(&r.patient_id).cloned().unwrap_or_default(),
            doctor_id: UserId(r.doctor_id),
            doctor_name: names.get(&r.doctor_id).cloned().unwrap_or_default(),
            reason: match reason {
                Reason::Shown => r.reason(sealer),
                Reason::Withheld => None,
            },
            opened_at: r.opened_at,
            expires_at: r.expires_at,
            active: live::emergency_open(r.opened_at, r.expires_at, now),
            reviewed_at: r.reviewed_at,
            reviewed_by: r.reviewed_by.map(UserId),
            review_note: r.review_note,
        })
        .collect())
}

pub use shared::emergency::EmergencyStatusFilter as StatusFilter;

pub struct ListFilter {
    pub patient_id: Option<Uuid>,
    pub status: Option<StatusFilter>,
    pub limit: i64,
    pub offset: i64,
}

pub fn list(
    conn: &mut PgConnection,
    scope: &ListScope,
    actor: Actor,
    f: &ListFilter,
) -> Result<(Vec<EmergencyRow>, i64), ApiError> {
    let now = live::now();
    let charts = scope.chart_ids();
    let build = || {
        let mut q = emergency_accesses::table.into_boxed();
        match scope {
            ListScope::All => {}
            ListScope::Charts(_) => {
                q = q.filter(emergency_accesses::patient_id.eq_any(charts.clone()))
            }
            ListScope::AsClinician => q = q.filter(emergency_accesses::doctor_id.eq(actor.id.0)),
        }
        if let Some(p) = f.patient_id {
            q = q.filter(emergency_accesses::patient_id.eq(p));
        }
        match f.status {
            None => {}
            Some(StatusFilter::Open) => q = q.filter(live::emergency_live(now)),
            Some(StatusFilter::Unreviewed) => {
                q = q.filter(emergency_accesses::reviewed_at.is_null())
            }
            Some(StatusFilter::Reviewed) => {
                q = q.filter(emergency_accesses::reviewed_at.is_not_null())
            }
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((
            emergency_accesses::opened_at.desc(),
            emergency_accesses::id.desc(),
        ))
        .limit(f.limit)
        .offset(f.offset)
        .select(EmergencyRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
