//! The ledger: events (paged, filtered), proofs and full verification.
//! Checking proofs happens in `crate::verify`, against keys pinned in the
//! app (never the api's `public-key` route).

use shared::ledger::api::{
    ConsistencyProofResponse, InclusionProofResponse, LedgerEventItem, VerifyReport,
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

/// The inclusion proof of event `seq` in the tree of `tree_size` events.
pub async fn proof_at(seq: u64, tree_size: u64) -> Result<InclusionProofResponse, ApiError> {
    get(&format!(
        "/api/v1/ledger/events/{seq}/proof?tree_size={tree_size}"
    ))
    .await
}

pub async fn consistency(from: u64, to: u64) -> Result<ConsistencyProofResponse, ApiError> {
    get(&format!("/api/v1/ledger/consistency?from={from}&to={to}")).await
}

pub async fn verify() -> Result<VerifyReport, ApiError> {
    get("/api/v1/ledger/verify").await
}
