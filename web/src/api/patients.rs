//! Patients, the patient directory, clinicians and guardian links.

use shared::paging::Page;
use shared::patients::{
    ClinicianSummary, DirectoryEntry, Guardianship, LinkGuardianRequest, PatientProfile,
};
use shared::PatientId;

use super::client::{get, post};
use super::query::Query;
use super::ApiError;

/// Charts the caller may see (own and dependents' for patients; consented or
/// emergency charts for clinicians; all for admins).
pub async fn list(q: &str, limit: i64, offset: i64) -> Result<Page<PatientProfile>, ApiError> {
    get(&Query::new("/api/v1/patients")
        .text("q", q)
        .page(limit, offset)
        .build())
    .await
}

pub async fn get_one(id: PatientId) -> Result<PatientProfile, ApiError> {
    get(&format!("/api/v1/patients/{id}")).await
}

/// Any patient by name or record number (clinicians; the search is logged).
pub async fn directory(q: &str) -> Result<Page<DirectoryEntry>, ApiError> {
    get(&Query::new("/api/v1/patients/directory")
        .text("q", q)
        .page(20, 0)
        .build())
    .await
}

/// Doctors and nurses, to grant access to (and to name actors in the log).
pub async fn clinicians(q: &str) -> Result<Page<ClinicianSummary>, ApiError> {
    get(&Query::new("/api/v1/clinicians")
        .text("q", q)
        .page(100, 0)
        .build())
    .await
}

pub async fn link_guardian(
    patient: PatientId,
    body: &LinkGuardianRequest,
) -> Result<Guardianship, ApiError> {
    post(&format!("/api/v1/patients/{patient}/guardians"), body).await
}
