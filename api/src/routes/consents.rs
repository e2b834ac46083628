//! Consents: list (patients and guardians: their charts'; clinicians: grants
//! to them; admins: all), grant, revoke. Granting and revoking are for the
//! patient or a guardian only; a revoke takes effect on the next request.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;
use shared::consents::{Consent, ConsentStatus, GrantConsentRequest};
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::{ConsentId, ErrorEnvelope, PatientId, UserId};
use utoipa::IntoParams;

use crate::access::{live, scope, Action, Actor, Audit, Basis, Target};
use crate::auth::AuthUser;
use crate::clinical::consents;
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsentQuery {
    /// Only this chart's consents.
    pub patient_id: Option<PatientId>,
    /// Only grants to this clinician.
    pub grantee_id: Option<UserId>,
    /// `active`, `revoked` or `expired`.
    pub status: Option<ConsentStatus>,
}

/// Consents the caller may see, newest first.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(PageParams, ConsentQuery), responses(
    (status = 200, description = "One page of consents", body = Page<Consent>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<ConsentQuery>,
) -> Result<web::Json<Page<Consent>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let q = query.into_inner();
    let filter = consents::ListFilter {
        patient_id: q.patient_id.map(|p| p.0),
        grantee_id: q.grantee_id.map(|g| g.0),
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
            let (rows, total) = consents::list(conn, scope, actor, &filter)?;
            for r in &rows {
                disclosed.in_scope(scope, r.patient_id, Basis::Consent(r.id));
            }
            Ok((consents::to_view(conn, rows)?, total))
        },
    )
    .await
}

/// Grant a doctor or nurse read or read-write access to the whole chart,
/// some record kinds or named records, optionally until a time (the patient
/// or a guardian).
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(IdempotencyKeyHeader), request_body = GrantConsentRequest, responses(
    (status = 201, description = "Granted", body = Consent),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but does not act for the patient", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may see", body = ErrorEnvelope),
    (status = 422, description = "Grantee, scope or expiry invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/consents")]
pub async fn grant_consent(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    body: web::Json<GrantConsentRequest>,
) -> Result<Reply, ApiError> {
    let req = body.into_inner();
    let actor = Actor::from(user);
    let patient = req.patient_id.0;
    let audit = Audit::change(&ctx, actor, Action::ActForPatient, Ledger::ConsentGranted)
        .subject(req.grantee_id);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::Patient(patient),
            move |conn, _| {
                consents::check_grantee(conn, req.grantee_id.0)?;
                let scope = consents::validate_scope(conn, patient, &req.scope)?;
                if req.expires_at.is_some_and(|e| e <= live::now()) {
                    return Err(ApiError::validation(
                        "expires_at",
                        "the expiry must be in the future",
                    ));
                }
                let row = consents::create(
                    conn,
                    consents::NewConsent {
                        patient_id: patient,
                        grantee_id: req.grantee_id.0,
                        access: req.access,
                        scope,
                        granted_by: actor.id.0,
                        expires_at: req.expires_at,
                        access_request_id: None,
                    },
                )?;
                Ok(consents::to_view(conn, vec![row])?.remove(0))
            },
        )
        .await
}

/// Revoke a consent (the patient or a guardian); it stops working at once.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = ConsentId, Path, description = "Consent id")), responses(
    (status = 200, description = "Revoked", body = Consent),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but does not act for the patient", body = ErrorEnvelope),
    (status = 404, description = "No such consent, or not one the caller may see", body = ErrorEnvelope),
    (status = 409, description = "Already revoked or expired", body = ErrorEnvelope),
))]
#[post("/api/v1/consents/{id}/revoke")]
pub async fn revoke_consent(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<ConsentId>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner().0;
    let actor = Actor::from(user);
    let audit = Audit::change(&ctx, actor, Action::ActForPatient, Ledger::ConsentRevoked);
    state
        .db
        .audited_find_reply(
            audit,
            idem.answer(StatusCode::OK),
            move |conn| {
                let row = consents::find_for_update(conn, id)?;
                Ok(row.map(|r| (Target::Patient(r.patient_id), r)))
            },
            move |conn, permit, row| {
                if row.status(live::now()) != ConsentStatus::Active {
                    return Err(ApiError::Conflict("this consent has already ended".into()));
                }
                let row = consents::revoke(conn, id, actor.id.0)?;
                permit.subject_user(UserId(row.grantee_id));
                Ok(consents::to_view(conn, vec![row])?.remove(0))
            },
        )
        .await
}
