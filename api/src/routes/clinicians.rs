//! The clinician directory (anyone signed in: to choose whom to grant
//! access) and admin creation of clinician profiles.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::patients::{parse_text, ClinicianProfile, ClinicianSummary, CreateClinicianRequest};
use shared::{ErrorEnvelope, Role};
use utoipa::IntoParams;

use crate::access::{scope, Action, Audit, Target};
use crate::auth::AuthUser;
use crate::clinical::clinicians;
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::routes::patients::search_text;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClinicianQuery {
    /// Text in the name, department or specialty.
    ///
    /// At most 100 characters after trimming surrounding whitespace, no
    /// control characters; blank is no filter.
    #[param(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub q: Option<String>,
    /// `doctor` or `nurse`.
    pub role: Option<Role>,
}

/// Doctors and nurses (name, department, specialty), by name.
#[utoipa::path(tag = "clinicians", security(("bearer" = [])), params(PageParams, ClinicianQuery), responses(
    (status = 200, description = "One page of clinicians", body = Page<ClinicianSummary>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/clinicians")]
pub async fn list_clinicians(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<ClinicianQuery>,
) -> Result<web::Json<Page<ClinicianSummary>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let q = query.into_inner();
    let text = search_text(q.q)?;
    paging::scoped(
        &state,
        user.into(),
        scope::clinicians,
        (limit, offset),
        move |conn, (), _| clinicians::directory(conn, text.as_deref(), q.role, limit, offset),
    )
    .await
}

/// Create the clinician profile of a doctor or nurse account (admin).
#[utoipa::path(tag = "clinicians", security(("bearer" = [])), params(IdempotencyKeyHeader), request_body = CreateClinicianRequest, responses(
    (status = 201, description = "Created", body = ClinicianProfile),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 409, description = "Profile or licence number exists", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/clinicians")]
pub async fn create_clinician(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    body: web::Json<CreateClinicianRequest>,
) -> Result<Reply, ApiError> {
    let req = body.into_inner();
    let audit = Audit::change(&ctx, user.into(), Action::Administer, Ledger::UserChanged)
        .subject(req.user_id);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::System,
            move |conn, _| {
                let new = clinicians::NewClinician {
                    user_id: req.user_id.0,
                    department: parse_text("department", &req.department, 1, 100, false)?,
                    specialty: parse_text("specialty", &req.specialty, 1, 100, false)?,
                    licence_number: parse_text(
                        "licence_number",
                        &req.licence_number,
                        1,
                        50,
                        false,
                    )?,
                };
                clinicians::create(conn, new)
            },
        )
        .await
}
