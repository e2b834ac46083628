//! Consents (grants) and access requests.

use shared::consents::{
    AccessRequestView, ApprovalOutcome, ApproveAccessRequest, Consent, ConsentStatus,
    DenyAccessRequest, GrantConsentRequest, NewAccessRequest, RequestStatus,
};
use shared::paging::Page;
use shared::{ConsentId, PatientId};

use super::client::{get, post, post_unit};
use super::query::Query;
use super::ApiError;

fn status_str(s: ConsentStatus) -> &'static str {
    match s {
        ConsentStatus::Active => "active",
        ConsentStatus::Revoked => "revoked",
        ConsentStatus::Expired => "expired",
    }
}

pub async fn list(
    patient: Option<PatientId>,
    status: Option<ConsentStatus>,
) -> Result<Page<Consent>, ApiError> {
    get(&Query::new("/api/v1/consents")
        .opt("patient_id", patient)
        .opt("status", status.map(status_str))
        .page(100, 0)
        .build())
    .await
}

pub async fn grant(body: &GrantConsentRequest) -> Result<Consent, ApiError> {
    post("/api/v1/consents", body).await
}

pub async fn revoke(id: ConsentId) -> Result<(), ApiError> {
    post_unit::<()>(&format!("/api/v1/consents/{id}/revoke"), None).await
}

pub async fn requests(
    patient: Option<PatientId>,
    status: Option<RequestStatus>,
) -> Result<Page<AccessRequestView>, ApiError> {
    get(&Query::new("/api/v1/access-requests")
        .opt("patient_id", patient)
        .opt("status", status.map(RequestStatus::as_str))
        .page(100, 0)
        .build())
    .await
}

pub async fn request_access(body: &NewAccessRequest) -> Result<AccessRequestView, ApiError> {
    post("/api/v1/access-requests", body).await
}

pub async fn approve(
    id: uuid::Uuid,
    body: &ApproveAccessRequest,
) -> Result<ApprovalOutcome, ApiError> {
    post(&format!("/api/v1/access-requests/{id}/approve"), body).await
}

pub async fn deny(id: uuid::Uuid, body: &DenyAccessRequest) -> Result<(), ApiError> {
    post_unit(&format!("/api/v1/access-requests/{id}/deny"), Some(body)).await
}
