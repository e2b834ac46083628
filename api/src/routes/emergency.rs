//! Emergency access ("break the glass"): a doctor opens it on a chart with a
//! reason (≥ 10 characters) for at most 60 minutes; the patient sees it in
//! their list; admins list the open and unreviewed ones and review each.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;
use shared::emergency::{
    EmergencyAccess, OpenEmergencyRequest, ReviewEmergencyRequest, MAX_MINUTES, MIN_REASON_CHARS,
};
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::patients::parse_text;
use shared::{ErrorEnvelope, PatientId, UserId};
use utoipa::IntoParams;

use crate::access::{scope, Action, Actor, Audit, Basis, Target};
use crate::auth::AuthUser;
use crate::clinical::emergency::{self, Reason, StatusFilter};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmergencyQuery {
    /// Only this chart's.
    pub patient_id: Option<PatientId>,
    /// `open` (not yet expired), `unreviewed` or `reviewed`.
    pub status: Option<StatusFilter>,
}

/// Open emergency access to a chart (doctors). Lasts `duration_minutes`
/// (1–60, default 60); the patient and admins see it at once.
#[utoipa::path(tag = "emergency", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = PatientId, Path, description = "Patient id")), request_body = OpenEmergencyRequest, responses(
    (status = 201, description = "Opened", body = EmergencyAccess),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not a doctor", body = ErrorEnvelope),
    (status = 404, description = "No such patient", body = ErrorEnvelope),
    (status = 422, description = "Reason shorter than 10 characters, or duration outside 1–60", body = ErrorEnvelope),
))]
#[post("/api/v1/patients/{id}/emergency-access")]
pub async fn open_emergency(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<PatientId>,
    body: web::Json<OpenEmergencyRequest>,
) -> Result<Reply, ApiError> {
    let patient = id.into_inner().0;
    let req = body.into_inner();
    let actor = Actor::from(user);
    let sealer = state.sealer.clone();
    let audit = Audit::change(&ctx, actor, Action::OpenEmergency, Ledger::EmergencyOpened);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::Patient(patient),
            move |conn, _| {
                let reason = parse_text("reason", &req.reason, MIN_REASON_CHARS, 1000, true)?;
                let minutes = req.duration_minutes.unwrap_or(MAX_MINUTES);
                if !(1..=MAX_MINUTES).contains(&minutes) {
                    return Err(ApiError::validation(
                        "duration_minutes",
                        "emergency access lasts 1 to 60 minutes",
                    ));
                }
                let row = emergency::open(conn, &sealer, patient, actor.id.0, &reason, minutes)?;
                Ok(emergency::to_view(conn, &sealer, vec![row], Reason::Shown)?.remove(0))
            },
        )
        .await
}

/// Emergency accesses the caller may see, newest first: admins all, doctors
/// their own, patients and guardians those on their charts.
#[utoipa::path(tag = "emergency", security(("bearer" = [])), params(PageParams, EmergencyQuery), responses(
    (status = 200, description = "One page", body = Page<EmergencyAccess>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/emergency-access")]
pub async fn list_emergency(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<EmergencyQuery>,
) -> Result<web::Json<Page<EmergencyAccess>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let sealer = state.sealer.clone();
    let q = query.into_inner();
    let filter = emergency::ListFilter {
        patient_id: q.patient_id.map(|p| p.0),
        status: q.status,
        limit,
        offset,
    };
    paging::disclosing(
        &state,
        &ctx,
        user.into(),
        scope::oversight,
        (limit, offset),
        move |conn, scope, actor, disclosed| {
            let (rows, total) = emergency::list(conn, scope, actor, &filter)?;
            for r in &rows {
                disclosed.in_scope(scope, r.patient_id, Basis::Emergency(r.id));
            }
            Ok((
                emergency::to_view(conn, &sealer, rows, Reason::in_list(scope))?,
                total,
            ))
        },
    )
    .await
}

/// One emergency access as its reviewer sees it (admins), reason included:
/// the only place an admin reads the reason. Logged for the chart, naming
/// the doctor.
#[utoipa::path(tag = "emergency", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Emergency access id")), responses(
    (status = 200, description = "The access with its reason", body = EmergencyAccess),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such emergency access", body = ErrorEnvelope),
))]
#[get("/api/v1/emergency-access/{id}")]
pub async fn get_emergency_for_review(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<EmergencyAccess>, ApiError> {
    let id = id.into_inner();
    let sealer = state.sealer.clone();
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::Administer,
        Ledger::OversightViewed,
    );
    let view = state
        .db
        .audited_find(
            audit,
            move |conn| {
                let row = emergency::find(conn, id)?;
                Ok(row.map(|r| (Target::Patient(r.patient_id), r)))
            },
            move |conn, permit, row| {
                permit.subject_user(UserId(row.doctor_id));
                Ok(emergency::to_view(conn, &sealer, vec![row], Reason::Shown)?.remove(0))
            },
        )
        .await?;
    Ok(web::Json(view))
}

/// Review an emergency access with a note (admins). Each is reviewed once.
#[utoipa::path(tag = "emergency", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = uuid::Uuid, Path, description = "Emergency access id")), request_body = ReviewEmergencyRequest, responses(
    (status = 200, description = "Reviewed", body = EmergencyAccess),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such emergency access", body = ErrorEnvelope),
    (status = 409, description = "Already reviewed", body = ErrorEnvelope),
    (status = 422, description = "Note missing or too long", body = ErrorEnvelope),
))]
#[post("/api/v1/emergency-access/{id}/review")]
pub async fn review_emergency(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<uuid::Uuid>,
    body: web::Json<ReviewEmergencyRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner();
    let sealer = state.sealer.clone();
    let req = body.into_inner();
    let actor = Actor::from(user);
    let audit = Audit::change(&ctx, actor, Action::Administer, Ledger::EmergencyReviewed);
    state
        .db
        .audited_find_reply(
            audit,
            idem.answer(StatusCode::OK),
            move |conn| {
                let row = emergency::find_for_update(conn, id)?;
                Ok(row.map(|r| (Target::Patient(r.patient_id), r)))
            },
            move |conn, permit, row| {
                let note = parse_text("note", &req.note, 1, 1000, true)?;
                if row.reviewed_at.is_some() {
                    return Err(ApiError::Conflict(
                        "this emergency access has already been reviewed".into(),
                    ));
                }
                let row = emergency::review(conn, id, actor.id.0, &note)?;
                permit.subject_user(UserId(row.doctor_id));
                Ok(emergency::to_view(conn, &sealer, vec![row], Reason::Shown)?.remove(0))
            },
        )
        .await
}
