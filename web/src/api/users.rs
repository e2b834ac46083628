//! Account administration (admin only).

use shared::paging::Page;
use shared::users::{CreateUserRequest, UpdateUserRequest, UserSummary};
use shared::{Role, UserId};

use super::client::{get, patch, post};
use super::{enc, ApiError};

/// The filters of the users list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserQuery {
    pub q: String,
    pub role: Option<Role>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(query: &UserQuery) -> Result<Page<UserSummary>, ApiError> {
    let mut path = format!(
        "/api/v1/users?limit={}&offset={}",
        query.limit.max(1),
        query.offset.max(0)
    );
    if let Some(role) = query.role {
        path.push_str(&format!("&role={role}"));
    }
    if !query.q.trim().is_empty() {
        path.push_str(&format!("&q={}", enc(query.q.trim())));
    }
    get(&path).await
}

pub async fn create(body: &CreateUserRequest) -> Result<UserSummary, ApiError> {
    post("/api/v1/users", body).await
}

pub async fn update(id: UserId, body: &UpdateUserRequest) -> Result<UserSummary, ApiError> {
    patch(&format!("/api/v1/users/{id}"), body).await
}
