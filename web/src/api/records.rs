//! Clinical records: list by chart, add, amend, version history, and the
//! admin's sealed view.

use shared::paging::Page;
use shared::records::{
    AmendRecordRequest, NewRecordRequest, RecordKind, RecordView, SealedRecordView,
};
use shared::{PatientId, RecordId};

use super::client::{get, post};
use super::query::Query;
use super::ApiError;

pub async fn list(
    patient: PatientId,
    kind: Option<RecordKind>,
) -> Result<Page<RecordView>, ApiError> {
    get(&Query::new(format!("/api/v1/patients/{patient}/records"))
        .opt("kind", kind)
        .page(100, 0)
        .build())
    .await
}

pub async fn create(patient: PatientId, body: &NewRecordRequest) -> Result<RecordView, ApiError> {
    post(&format!("/api/v1/patients/{patient}/records"), body).await
}

pub async fn amend(id: RecordId, body: &AmendRecordRequest) -> Result<RecordView, ApiError> {
    post(&format!("/api/v1/records/{id}/amendments"), body).await
}

pub async fn versions(id: RecordId) -> Result<Page<RecordView>, ApiError> {
    get(&Query::new(format!("/api/v1/records/{id}/versions"))
        .page(100, 0)
        .build())
    .await
}

pub async fn sealed(id: RecordId) -> Result<SealedRecordView, ApiError> {
    get(&format!("/api/v1/admin/records/{id}/sealed")).await
}

/// The chart as a FHIR R4 Bundle, pretty-printed for saving to a file.
pub async fn fhir_export(patient: PatientId) -> Result<String, ApiError> {
    let bundle: serde_json::Value = get(&format!("/api/v1/patients/{patient}/fhir")).await?;
    serde_json::to_string_pretty(&bundle).map_err(|e| ApiError::Decode(e.to_string()))
}
