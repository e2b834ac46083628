//! Admin oversight: who can access which chart, and demographics.

use shared::admin::{AccessOverviewEntry, Demographics};
use shared::paging::Page;

use super::client::get;
use super::query::Query;
use super::ApiError;

pub async fn access_overview(
    limit: i64,
    offset: i64,
) -> Result<Page<AccessOverviewEntry>, ApiError> {
    get(&Query::new("/api/v1/admin/access-overview")
        .page(limit, offset)
        .build())
    .await
}

pub async fn demographics() -> Result<Demographics, ApiError> {
    get("/api/v1/admin/stats/demographics").await
}
