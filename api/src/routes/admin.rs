//! Admin oversight: the access overview, demographics and a record as
//! stored (sealed). None of these discloses clinical text.

use actix_web::{get, web};
use base64::Engine;
use serde::Deserialize;
use shared::admin::{AccessOverviewEntry, BasisKind, Demographics};
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::records::{SealedRecordView, SealedVersionView};
use shared::{ErrorEnvelope, PatientId, RecordId};
use utoipa::IntoParams;

use crate::access::{Action, Audit, Target};
use crate::auth::AuthUser;
use crate::clinical::{overview, patients, records};
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// Only this chart.
    pub patient_id: Option<PatientId>,
    /// Only this basis: `own_chart`, `guardian`, `consent`, `emergency`.
    pub basis: Option<BasisKind>,
}

/// Who can access which chart, by which basis, until when (admins).
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(PageParams, OverviewQuery), responses(
    (status = 200, description = "One page, by patient name", body = Page<AccessOverviewEntry>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/admin/access-overview")]
pub async fn access_overview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<OverviewQuery>,
) -> Result<web::Json<Page<AccessOverviewEntry>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let q = query.into_inner();
    let filter = overview::Filter {
        patient_id: q.patient_id.map(|p| p.0),
        basis: q.basis,
    };
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::Administer,
        Ledger::OversightViewed,
    );
    let all = state
        .db
        .audited(audit, Target::System, move |conn, _| {
            overview::entries(conn, &filter)
        })
        .await?;
    let total = all.len() as i64;
    let items = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok(paging::page((items, total), (limit, offset)))
}

/// Patients by age band and sex (admins).
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses(
    (status = 200, description = "Counts", body = Demographics),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
))]
#[get("/api/v1/admin/stats/demographics")]
pub async fn demographics(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
) -> Result<web::Json<Demographics>, ApiError> {
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::Administer,
        Ledger::OversightViewed,
    );
    let stats = state
        .db
        .audited(audit, Target::System, |conn, _| {
            patients::demographics(conn)
        })
        .await?;
    Ok(web::Json(stats))
}

/// A record as stored: every version's key id, nonce and ciphertext (admins;
/// the "encrypted view"). Logged as `sealed_record_viewed`.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = RecordId, Path, description = "Record id")), responses(
    (status = 200, description = "The sealed record", body = SealedRecordView),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such record", body = ErrorEnvelope),
))]
#[get("/api/v1/admin/records/{id}/sealed")]
pub async fn sealed_record(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<RecordId>,
) -> Result<web::Json<SealedRecordView>, ApiError> {
    let id = id.into_inner().0;
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::Administer,
        Ledger::SealedRecordViewed,
    )
    .naming_record(id);
    let view = state
        .db
        .audited_find(
            audit,
            move |conn| records::target(conn, id, false),
            move |conn, _, row| {
                let (versions, _) = records::versions(conn, id, i64::from(i32::MAX), 0)?;
                let b64 = base64::engine::general_purpose::STANDARD;
                Ok(SealedRecordView {
                    id: RecordId(row.id),
                    patient_id: PatientId(row.patient_id),
                    kind: row.kind()?,
                    versions: versions
                        .iter()
                        .map(|v| SealedVersionView {
                            version: v.version,
                            key_id: v.key_id,
                            nonce_hex: hex::encode(&v.nonce),
                            ciphertext_base64: b64.encode(&v.ciphertext),
                            created_at: v.created_at,
                        })
                        .collect(),
                })
            },
        )
        .await?;
    Ok(web::Json(view))
}
