//! Patient profiles: the caller's list, one profile, the clinicians' patient
//! directory, admin creation of profiles and guardian links. Reads and
//! changes are audited actions (`access::audited`); the list is scoped by
//! `access::scope`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::patients::{
    parse_text, CreatePatientRequest, DirectoryEntry, Guardianship, LinkGuardianRequest,
    PatientProfile,
};
use shared::{ErrorEnvelope, PatientId, Role, UserId};
use utoipa::IntoParams;

use crate::access::{scope, Action, Actor, Audit, Basis, Target};
use crate::auth::AuthUser;
use crate::clinical::{guardians, patients};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;
use crate::users::{self, NewAccount};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PatientQuery {
    /// Text in the name or medical record number.
    ///
    /// At most 100 characters after trimming surrounding whitespace, no
    /// control characters; blank is no filter.
    #[param(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Text in the name or medical record number: 2–100 characters after
    /// trimming surrounding whitespace, no control characters.
    #[param(
        required = true,
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub q: Option<String>,
}

/// Trimmed search text of at most 100 characters; `None` when blank.
pub fn search_text(q: Option<String>) -> Result<Option<String>, ApiError> {
    let text = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().any(char::is_control))
    {
        return Err(ApiError::validation(
            "q",
            "search text must not contain control characters",
        ));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(ApiError::validation(
            "q",
            "search text must be at most 100 characters",
        ));
    }
    Ok(text)
}

/// Patients the caller may see: admins all; a patient their own chart and
/// their wards'; clinicians the charts they hold a live consent or open
/// emergency access for. Ordered by name.
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(PageParams, PatientQuery), responses(
    (status = 200, description = "One page of profiles", body = Page<PatientProfile>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/patients")]
pub async fn list_patients(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<PatientQuery>,
) -> Result<web::Json<Page<PatientProfile>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let text = search_text(query.into_inner().q)?;
    let sealer = state.sealer.clone();
    let scope = scope::visible_patients;
    paging::disclosing(
        &state,
        &ctx,
        user.into(),
        scope,
        (limit, offset),
        move |conn, scope, _, disclosed| {
            let (rows, total) = patients::list(conn, scope, text.as_deref(), limit, offset)?;
            for r in &rows {
                disclosed.in_scope(scope, r.id, Basis::Role);
            }
            let items = rows
                .iter()
                .map(|r| r.profile(&sealer))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, total))
        },
    )
    .await
}

/// Find any patient by name or record number to request access (doctors and
/// nurses). Answers id, name and record number only; the search is logged
/// (without its text).
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(PageParams, DirectoryQuery), responses(
    (status = 200, description = "Matching patients, by name", body = Page<DirectoryEntry>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not a doctor or nurse", body = ErrorEnvelope),
    (status = 422, description = "Missing or bad search text or paging", body = ErrorEnvelope),
))]
#[get("/api/v1/patients/directory")]
pub async fn directory(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<DirectoryQuery>,
) -> Result<web::Json<Page<DirectoryEntry>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let text = search_text(query.into_inner().q)?;
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::SearchDirectory,
        Ledger::DirectorySearched,
    );
    let (items, total) = state
        .db
        .audited(audit, Target::System, move |conn, _| {
            let text = text.filter(|t| t.chars().count() >= 2).ok_or_else(|| {
                ApiError::validation("q", "search text of at least 2 characters is required")
            })?;
            let (rows, total) =
                patients::list(conn, &scope::ListScope::All, Some(&text), limit, offset)?;
            Ok((rows.iter().map(|r| r.directory_entry()).collect(), total))
        })
        .await?;
    Ok(paging::page((items, total), (limit, offset)))
}

/// One patient's profile (logged as a view of the chart).
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(("id" = PatientId, Path, description = "Patient id")), responses(
    (status = 200, description = "The profile", body = PatientProfile),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may see", body = ErrorEnvelope),
))]
#[get("/api/v1/patients/{id}")]
pub async fn get_patient(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<PatientId>,
) -> Result<web::Json<PatientProfile>, ApiError> {
    let id = id.into_inner().0;
    let sealer = state.sealer.clone();
    let audit = Audit::read(&ctx, user.into(), Action::ViewProfile, Ledger::RecordViewed);
    let profile = state
        .db
        .audited(audit, Target::Patient(id), move |conn, _| {
            let row = patients::find(conn, id)?.ok_or(ApiError::NotFound("not found"))?;
            row.profile(&sealer)
        })
        .await?;
    Ok(web::Json(profile))
}

/// Create a patient profile (admin): for an existing patient-role account
/// (`user_id`), together with a new account (`account`), or without one.
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(IdempotencyKeyHeader), request_body = CreatePatientRequest, responses(
    (status = 201, description = "Created", body = PatientProfile),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 409, description = "The account already has a profile, or the username is taken", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    (status = 429, description = "Too many password hashes asked for by this caller (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/patients")]
pub async fn create_patient(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    body: web::Json<CreatePatientRequest>,
) -> Result<Reply, ApiError> {
    let body = body.into_inner();
    let actor = Actor::from(user);
    let full_name = parse_text("full_name", &body.full_name, 1, 100, false)?;
    let contact = body
        .contact
        .as_deref()
        .map(|c| parse_text("contact", c, 1, 500, true))
        .transpose()?;
    if body.user_id.is_some() && body.account.is_some() {
        return Err(ApiError::validation(
            "account",
            "give user_id or account, not both",
        ));
    }
    let account = body
        .account
        .as_ref()
        .map(|a| NewAccount::parse(&a.username, &a.password, Role::Patient, &full_name))
        .transpose()?;
    // argon2 before the transaction; bounded per caller like other costly work.
    let account = match account {
        Some(a) => {
            state
                .limiter
                .check(Scope::ExpensiveByUser, &actor.id.to_string())?;
            Some(a.hashed().await?)
        }
        None => None,
    };
    let sealer = state.sealer.clone();
    let audit = Audit::change(&ctx, actor, Action::Administer, Ledger::PatientRegistered);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::System,
            move |conn, permit| {
                let user_id = match (body.user_id, account) {
                    (Some(UserId(u)), _) => {
                        let row = users::find_by_id(conn, u)?
                            .ok_or_else(|| ApiError::validation("user_id", "no such account"))?;
                        if row.role()? != Role::Patient {
                            return Err(ApiError::validation(
                                "user_id",
                                "the account is not a patient",
                            ));
                        }
                        Some(u)
                    }
                    (None, Some(account)) => {
                        permit.also(Ledger::UserCreated);
                        Some(users::insert(conn, account)?.id)
                    }
                    (None, None) => None,
                };
                let row = patients::create(
                    conn,
                    &sealer,
                    patients::NewPatient {
                        user_id,
                        full_name,
                        date_of_birth: body.date_of_birth,
                        sex: body.sex.unwrap_or_default(),
                        contact,
                        created_by: Some(actor.id.0),
                    },
                )?;
                permit.patient(row.id);
                if let Some(u) = user_id {
                    permit.subject_user(UserId(u));
                }
                row.profile(&sealer)
            },
        )
        .await
}

/// A chart's guardian links, newest first, ended ones included (the patient,
/// a guardian, admins).
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(("id" = PatientId, Path, description = "Patient id"), PageParams), responses(
    (status = 200, description = "One page of links, newest first", body = Page<Guardianship>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but not its guardians", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may see", body = ErrorEnvelope),
    (status = 422, description = "Bad paging", body = ErrorEnvelope),
))]
#[get("/api/v1/patients/{id}/guardians")]
pub async fn list_guardians(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<PatientId>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<Guardianship>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let id = id.into_inner().0;
    let audit = Audit::read(
        &ctx,
        user.into(),
        Action::ViewGuardians,
        Ledger::GuardiansViewed,
    );
    let (items, total) = state
        .db
        .audited(audit, Target::Patient(id), move |conn, _| {
            guardians::for_patient(conn, id, limit, offset)
        })
        .await?;
    Ok(paging::page((items, total), (limit, offset)))
}

/// Link a patient-role account as guardian of this patient (admin).
#[utoipa::path(tag = "patients", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = PatientId, Path, description = "Patient id")), request_body = LinkGuardianRequest, responses(
    (status = 201, description = "Linked", body = Guardianship),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such patient", body = ErrorEnvelope),
    (status = 409, description = "Already linked", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/patients/{id}/guardians")]
pub async fn link_guardian(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<PatientId>,
    body: web::Json<LinkGuardianRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner().0;
    let body = body.into_inner();
    let actor = Actor::from(user);
    let relationship = parse_text("relationship", &body.relationship, 1, 100, false)?;
    let audit = Audit::change(&ctx, actor, Action::Administer, Ledger::GuardianLinked)
        .subject(body.guardian_user_id);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::Patient(id),
            move |conn, _| {
                guardians::link(
                    conn,
                    guardians::NewLink {
                        guardian_user_id: body.guardian_user_id.0,
                        patient_id: id,
                        relationship,
                        ends_at: body.ends_at,
                        created_by: Some(actor.id.0),
                    },
                )
            },
        )
        .await
}
