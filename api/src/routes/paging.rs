//! Paging parameters shared by every list endpoint: `limit` 1–100 (default
//! 50) and `offset` ≥ 0; out-of-range values are a 422, not silently clamped.

use actix_web::web;
use diesel::PgConnection;
use serde::Deserialize;
use shared::paging::Page;
use utoipa::IntoParams;

use crate::access::disclosed::Disclosures;
use crate::access::scope::Resolve;
use crate::access::Actor;
use crate::error::ApiError;
use crate::request::RequestContext;
use crate::state::AppState;

pub const MAX_LIMIT: i64 = 100;
pub const DEFAULT_LIMIT: i64 = 50;

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Items to skip, 0–2147483647 (default 0).
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<i64>,
}

impl PageParams {
    /// `(limit, offset)` after range checks.
    pub fn resolve(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                "limit must be between 1 and 100",
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if !(0..=i64::from(i32::MAX)).contains(&offset) {
            return Err(ApiError::validation(
                "offset",
                "offset must be between 0 and 2147483647",
            ));
        }
        Ok((limit, offset))
    }
}

/// The answer for one page: a listing's `(items, total)` with its bounds.
pub fn page<T>((items, total): (Vec<T>, i64), (limit, offset): (i64, i64)) -> web::Json<Page<T>> {
    web::Json(Page {
        items,
        total,
        limit,
        offset,
    })
}

/// One page of a list scoped by `access::scope` (`scope` is one of its
/// resolvers): the scope is decided there and `list` — rows, their views
/// and the total — runs with it on one connection.
pub async fn scoped<S, T, F>(
    state: &AppState,
    actor: Actor,
    scope: Resolve<S>,
    bounds: (i64, i64),
    list: F,
) -> Result<web::Json<Page<T>>, ApiError>
where
    S: 'static,
    F: FnOnce(&mut PgConnection, &S, Actor) -> Result<(Vec<T>, i64), ApiError> + Send + 'static,
    T: Send + 'static,
{
    Ok(page(state.db.listing(actor, scope, list).await?, bounds))
}

/// As [`scoped`], for a list that discloses profile fields or patient
/// names: `list` reports each chart on the page, and one event per chart is
/// recorded before the page is answered (`access::disclosed`).
pub async fn disclosing<S, T, F>(
    state: &AppState,
    ctx: &RequestContext,
    actor: Actor,
    scope: Resolve<S>,
    bounds: (i64, i64),
    list: F,
) -> Result<web::Json<Page<T>>, ApiError>
where
    S: 'static,
    F: FnOnce(&mut PgConnection, &S, Actor, &mut Disclosures) -> Result<(Vec<T>, i64), ApiError>
        + Send
        + 'static,
    T: Send + 'static,
{
    Ok(page(
        state.db.disclosing(ctx, actor, scope, list).await?,
        bounds,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_are_rejected() {
        for bad in [0, -1, 101, i64::MAX] {
            let p = PageParams {
                limit: Some(bad),
                offset: None,
            };
            assert!(p.resolve().is_err(), "{bad}");
        }
        let p = PageParams {
            limit: None,
            offset: Some(-5),
        };
        assert!(p.resolve().is_err());
        let p = PageParams {
            limit: None,
            offset: None,
        };
        assert_eq!(p.resolve().ok(), Some((50, 0)));
    }
}
