//! FHIR R4 export of a chart.

use actix_web::{get, web, HttpResponse};
use shared::ledger::Action as Ledger;
use shared::{ErrorEnvelope, PatientId};

use crate::access::{Action, Audit, Target};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::fhir;
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::state::AppState;

/// A chart as a FHIR R4 `Bundle` (type `collection`).
///
/// Holds the Patient, each record the caller may read as its FHIR resource
/// (diagnosis → Condition, prescription → MedicationRequest, lab result and
/// vitals → Observation, allergy → AllergyIntolerance, notes and documents →
/// DocumentReference), a Provenance per record version naming the ledger
/// event that proves it, and the active consents the caller may see. The
/// export is logged with the SHA-256 of the bytes returned.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = PatientId, Path, description = "Patient id")), responses(
    (status = 200, description = "The chart as a FHIR R4 Bundle", content_type = "application/fhir+json", body = Object),
    (status = 403, description = "The caller sees the chart but not its records (admins)", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may read", body = ErrorEnvelope),
    (status = 429, description = "Too many exports; see Retry-After", body = ErrorEnvelope),
))]
#[get("/api/v1/patients/{id}/fhir")]
pub async fn export_fhir(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<PatientId>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check(Scope::ExpensiveByUser, &user.id.to_string())?;
    let patient = id.into_inner().0;
    let sealer = state.sealer.clone();
    // Decided exactly as the chart's record list; one `export` event.
    let audit = Audit::read(&ctx, user.into(), Action::ListRecords, Ledger::Export);
    let bytes = state
        .db
        .audited(audit, Target::Patient(patient), move |conn, permit| {
            fhir::export(conn, &sealer, permit, patient)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/fhir+json")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"chart-{patient}.fhir.json\""),
        ))
        .body(bytes))
}
