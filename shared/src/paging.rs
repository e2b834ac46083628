//! The paging envelope every list endpoint answers with (the api owns the
//! `limit`/`offset` rules; this is only the shape both sides read).

use serde::{Deserialize, Serialize};

/// One page of a list, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}
