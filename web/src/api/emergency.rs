//! Emergency ("break the glass") access and its review.

use shared::emergency::{EmergencyAccess, OpenEmergencyRequest, ReviewEmergencyRequest};
use shared::paging::Page;
use shared::PatientId;

use super::client::{get, post};
use super::query::Query;
use super::ApiError;

/// `open`, `unreviewed`, `reviewed` or all.
pub async fn list(
    patient: Option<PatientId>,
    status: Option<&str>,
) -> Result<Page<EmergencyAccess>, ApiError> {
    get(&Query::new("/api/v1/emergency-access")
        .opt("patient_id", patient)
        .opt("status", status)
        .page(100, 0)
        .build())
    .await
}

pub async fn open(
    patient: PatientId,
    body: &OpenEmergencyRequest,
) -> Result<EmergencyAccess, ApiError> {
    post(
        &format!("/api/v1/patients/{patient}/emergency-access"),
        body,
    )
    .await
}

/// One access with its reason, for its review (admins; logged).
pub async fn for_review(id: uuid::Uuid) -> Result<EmergencyAccess, ApiError> {
    get(&format!("/api/v1/emergency-access/{id}")).await
}

pub async fn review(id: uuid::Uuid, note: &str) -> Result<EmergencyAccess, ApiError> {
    let body = ReviewEmergencyRequest {
        note: note.to_owned(),
    };
    post(&format!("/api/v1/emergency-access/{id}/review"), &body).await
}
