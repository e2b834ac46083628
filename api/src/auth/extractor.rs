//! `AuthUser`: the signed-in caller, taken by every protected handler.
//! Beyond the token's signature and times, the session must still be live and
//! the account enabled — so logout, a password change or disabling an account
//! stops every earlier token on its next use.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::prelude::*;
use shared::{Role, UserId};
use uuid::Uuid;

use crate::db::schema::{auth_sessions, users};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    pub role: Role,
    pub session_id: Uuid,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal("app state", "AppState not registered"))?;
            let token = token.ok_or(ApiError::Unauthorized("missing or invalid access token"))?;
            let claims = state.jwt.verify(&token)?;
            let (user_id, session_id, role) = (claims.sub, claims.sid, claims.role);
            let live = state
                .db
                .run(move |conn| session_is_live(conn, user_id, session_id, role))
                .await?;
            if !live {
                return Err(ApiError::Unauthorized("missing or invalid access token"));
            }
            Ok(AuthUser {
                id: UserId(user_id),
                role,
                session_id,
            })
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return None;
    }
    Some(token.trim().to_owned())
}

fn session_is_live(
    conn: &mut PgConnection,
    user_id: Uuid,
    session_id: Uuid,
    role: Role,
) -> Result<bool, ApiError> {
    let found = auth_sessions::table
        .inner_join(users::table)
        .filter(auth_sessions::id.eq(session_id))
        .filter(auth_sessions::user_id.eq(user_id))
        .filter(auth_sessions::revoked_at.is_null())
        .filter(auth_sessions::expires_at.gt(Utc::now()))
        .filter(users::disabled.eq(false))
        .filter(users::role.eq(role.as_str()))
        .select(auth_sessions::id)
        .first::<Uuid>(conn)
        .optional()?;
    Ok(found.is_some())
}

impl AuthUser {
    pub fn require_role(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role may not do this"))
        }
    }
}
