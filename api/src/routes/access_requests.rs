//! Access requests: a doctor asks for access to a chart (purpose, scope,
//! duration); the patient or a guardian approves — possibly narrowing access,
//! scope or duration — or denies. Pending requests are listed for the
//! patient; doctors list their own.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use chrono::Duration;
use serde::Deserialize;
use shared::consents::{
    AccessLevel, AccessRequestView, ApprovalOutcome, ApproveAccessRequest, ConsentScope,
    DenyAccessRequest, NewAccessRequest, RequestStatus,
};
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::patients::parse_text;
use shared::{ErrorEnvelope, PatientId, UserId};
use utoipa::IntoParams;

use crate::access::audited::Found;
use crate::access::{live, scope, Action, Actor, Audit, Basis, Target};
use crate::auth::AuthUser;
use crate::clinical::requests::{self, RequestRow};
use crate::clinical::{consents, records};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// Only this chart's requests.
    pub patient_id: Option<PatientId>,
    /// `pending`, `approved` or `denied`.
    pub status: Option<RequestStatus>,
}

/// Access requests the caller may see, newest first.
#[utoipa::path(tag = "access-requests", security(("bearer" = [])), params(PageParams, RequestQuery), responses(
    (status = 200, description = "One page of requests", body = Page<AccessRequestView>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/access-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<RequestQuery>,
) -> Result<web::Json<Page<AccessRequestView>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let sealer = state.sealer.clone();
    let q = query.into_inner();
    let filter = requests::ListFilter {
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
            let (rows, total) = requests::list(conn, scope, actor, &filter)?;
            for r in &rows {
                disclosed.in_scope(scope, r.patient_id, Basis::Role);
            }
            Ok((requests::to_view(conn, &sealer, rows, actor)?, total))
        },
    )
    .await
}

fn check_duration(hours: i32) -> Result<i32, ApiError> {
    if (1..=8760).contains(&hours) {
        Ok(hours)
    } else {
        Err(ApiError::validation(
            "duration_hours",
            "duration must be 1 to 8760 hours",
        ))
    }
}

/// Ask a patient for access (doctors).
#[utoipa::path(tag = "access-requests", security(("bearer" = [])), params(IdempotencyKeyHeader), request_body = NewAccessRequest, responses(
    (status = 201, description = "Requested (pending)", body = AccessRequestView),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not a doctor", body = ErrorEnvelope),
    (status = 404, description = "No such patient", body = ErrorEnvelope),
    (status = 422, description = "Purpose, scope or duration invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/access-requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    body: web::Json<NewAccessRequest>,
) -> Result<Reply, ApiError> {
    let req = body.into_inner();
    let actor = Actor::from(user);
    let sealer = state.sealer.clone();
    let patient = req.patient_id.0;
    let audit = Audit::change(&ctx, actor, Action::RequestAccess, Ledger::AccessRequested);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::Patient(patient),
            move |conn, _| {
                let purpose = parse_text("purpose", &req.purpose, 3, 500, true)?;
                let hours = check_duration(req.duration_hours)?;
                let scope = consents::validate_scope(conn, patient, &req.scope)?;
                let row = requests::create(
                    conn,
                    &sealer,
                    requests::NewRequest {
                        patient_id: patient,
                        requester_id: actor.id.0,
                        purpose,
                        access: req.access,
                        scope,
                        duration_hours: hours,
                    },
                )?;
                Ok(requests::to_view(conn, &sealer, vec![row], actor)?.remove(0))
            },
        )
        .await
}

/// Whether `narrower` grants no more than `asked` on this chart.
fn within(
    conn: &mut diesel::PgConnection,
    narrower: &ConsentScope,
    asked: &ConsentScope,
) -> Result<bool, ApiError> {
    if !narrower.within(asked) {
        return Ok(false);
    }
    if let (ConsentScope::Records { record_ids }, ConsentScope::Kinds { kinds }) = (narrower, asked)
    {
        for r in record_ids {
            let kind = records::find(conn, r.0)?
                .map(|row| row.kind())
                .transpose()?;
            if !kind.is_some_and(|k| kinds.contains(&k)) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Finds (and locks) the request to decide, on its chart.
fn locate(
    id: uuid::Uuid,
) -> impl FnOnce(&mut diesel::PgConnection) -> Result<Found<RequestRow>, ApiError> + Send + 'static
{
    move |conn| {
        let row = requests::find_for_update(conn, id)?;
        Ok(row.map(|r| (Target::Patient(r.patient_id), r)))
    }
}

/// Deciding a request twice is a 409 (once the caller may act for its chart).
fn still_pending(row: &RequestRow) -> Result<(), ApiError> {
    if row.status()? != RequestStatus::Pending {
        return Err(ApiError::Conflict(
            "this request has already been decided".into(),
        ));
    }
    Ok(())
}

/// Approve a pending request (the patient or a guardian), optionally with
/// less access, a narrower scope or a shorter duration. Creates the consent.
#[utoipa::path(tag = "access-requests", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = uuid::Uuid, Path, description = "Request id")), request_body = ApproveAccessRequest, responses(
    (status = 200, description = "Approved; the consent it created", body = ApprovalOutcome),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but does not act for the patient", body = ErrorEnvelope),
    (status = 404, description = "No such request, or not one the caller may see", body = ErrorEnvelope),
    (status = 409, description = "Already decided", body = ErrorEnvelope),
    (status = 422, description = "Wider than asked, or invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/access-requests/{id}/approve")]
pub async fn approve_request(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<uuid::Uuid>,
    body: web::Json<ApproveAccessRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner();
    let sealer = state.sealer.clone();
    let change = body.into_inner();
    let actor = Actor::from(user);
    let audit = Audit::change(&ctx, actor, Action::ActForPatient, Ledger::AccessApproved);
    state
        .db
        .audited_find_reply(
            audit,
            idem.answer(StatusCode::OK),
            locate(id),
            move |conn, permit, row| {
                still_pending(&row)?;
                let asked_access = row.access()?;
                let asked_scope = row.scope()?;
                let access = change.access.unwrap_or(asked_access);
                if asked_access == AccessLevel::Read && access == AccessLevel::ReadWrite {
                    return Err(ApiError::validation(
                        "access",
                        "cannot grant more than was asked",
                    ));
                }
                let scope = match &change.scope {
                    Some(s) => {
                        let s = consents::validate_scope(conn, row.patient_id, s)?;
                        if !within(conn, &s, &asked_scope)? {
                            return Err(ApiError::validation(
                                "scope",
                                "cannot grant more than was asked",
                            ));
                        }
                        s
                    }
                    None => asked_scope,
                };
                let hours = check_duration(change.duration_hours.unwrap_or(row.duration_hours))?;
                if hours > row.duration_hours {
                    return Err(ApiError::validation(
                        "duration_hours",
                        "cannot grant longer than was asked",
                    ));
                }
                let consent = consents::create(
                    conn,
                    consents::NewConsent {
                        patient_id: row.patient_id,
                        grantee_id: row.requester_id,
                        access,
                        scope,
                        granted_by: actor.id.0,
                        expires_at: Some(live::now() + Duration::hours(i64::from(hours))),
                        access_request_id: Some(row.id),
                    },
                )?;
                let decided = requests::decide(
                    conn,
                    id,
                    RequestStatus::Approved,
                    actor.id.0,
                    None,
                    Some(consent.id),
                )?;
                permit
                    .subject_user(UserId(row.requester_id))
                    .also(Ledger::ConsentGranted);
                Ok(ApprovalOutcome {
                    request: requests::to_view(conn, &sealer, vec![decided], actor)?.remove(0),
                    consent: consents::to_view(conn, vec![consent])?.remove(0),
                })
            },
        )
        .await
}

/// Deny a pending request (the patient or a guardian).
#[utoipa::path(tag = "access-requests", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = uuid::Uuid, Path, description = "Request id")), request_body = DenyAccessRequest, responses(
    (status = 200, description = "Denied", body = AccessRequestView),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but does not act for the patient", body = ErrorEnvelope),
    (status = 404, description = "No such request, or not one the caller may see", body = ErrorEnvelope),
    (status = 409, description = "Already decided", body = ErrorEnvelope),
    (status = 422, description = "Note too long", body = ErrorEnvelope),
))]
#[post("/api/v1/access-requests/{id}/deny")]
pub async fn deny_request(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<uuid::Uuid>,
    body: web::Json<DenyAccessRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner();
    let sealer = state.sealer.clone();
    let note = body
        .into_inner()
        .note
        .map(|n| parse_text("note", &n, 1, 500, true))
        .transpose()?;
    let actor = Actor::from(user);
    let audit = Audit::change(&ctx, actor, Action::ActForPatient, Ledger::AccessDenied);
    state
        .db
        .audited_find_reply(
            audit,
            idem.answer(StatusCode::OK),
            locate(id),
            move |conn, permit, row| {
                still_pending(&row)?;
                let decided =
                    requests::decide(conn, id, RequestStatus::Denied, actor.id.0, note, None)?;
                permit.subject_user(UserId(row.requester_id));
                Ok(requests::to_view(conn, &sealer, vec![decided], actor)?.remove(0))
            },
        )
        .await
}
