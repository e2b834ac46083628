//! The ledger: events (paged, filtered), proofs, checkpoints, the public key
//! and full verification. Checking proofs happens in `crate::verify`.

use shared::ledger::api::{
    ConsistencyProofResponse, InclusionProofResponse, LedgerEventItem, LedgerPublicKey,
    SignedCheckpointView, VerifyReport,
};
use shared::paging::Page;

use super::client::get;
use super::query::Query;
use super::ApiError;

/// Filters of the event list; `None` and blank mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub patient: Option<uuid::Uuid>,
    pub actor: Option<uuid::Uuid>,
    pub action: Option<String>,
    /// Events at or after this time.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Events before this time.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn events(f: &EventFilter) -> Result<Page<LedgerEventItem>, ApiError> {
    get(&Query::new("/api/v1/ledger/events")
        .opt("patient", f.patient)
        .opt("actor", f.actor)
        .opt("action", f.action.as_deref().filter(|a| !a.is_empty()))
        .opt("from", f.from.map(rfc3339))
        .opt("to", f.to.map(rfc3339))
        .page(f.limit, f.offset)
        .build())
    .await
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub async fn proof(seq: u64) -> Result<InclusionProofResponse, ApiError> {
    get(&format!("/api/v1/ledger/events/{seq}/proof")).await
}

pub async fn consistency(from: u64, to: u64) -> Result<ConsistencyProofResponse, ApiError> {
    get(&format!("/api/v1/ledger/consistency?from={from}&to={to}")).await
}

pub async fn checkpoint() -> Result<SignedCheckpointView, ApiError> {
    get("/api/v1/ledger/checkpoint").await
}

pub async fn public_key() -> Result<LedgerPublicKey, ApiError> {
    get("/api/v1/ledger/public-key").await
}

pub async fn verify() -> Result<VerifyReport, ApiError> {
    get("/api/v1/ledger/verify").await
}
