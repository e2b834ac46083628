//! `AuthUser`: the signed-in caller, taken by every protected handler.
//! Beyond the token's signature and times, the session must still be live and
//! the account enabled — so logout, a password change or disabling an account
//! stops every earlier token on its next use.
//!
//! When the server requires two-factor sign-in for admins, an admin session
//! that has not passed a second factor is only good for enrolling one
//! (handlers taking [`AuthUserPendingMfa`]); `AuthUser` refuses it.
//!
//! [`authenticate_request`] (middleware) does the checking; the extractors
//! only read its verdict.

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::header, web, FromRequest, HttpMessage, HttpRequest};
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

/// A signed-in caller who may still owe the second factor: only for the
/// sign-out, who-am-I and two-factor enrolment endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUserPendingMfa(pub AuthUser);

/// What the authentication middleware found, stored in the request's
/// extensions before any extractor runs. Doing the (asynchronous) session
/// check up front makes the extractors synchronous, so a bad token is
/// answered 401 before the body is even parsed — whatever order a handler
/// lists its extractors in.
#[derive(Debug, Clone, Copy)]
enum Authentication {
    Valid { user: AuthUser, owes_mfa: bool },
    Invalid,
}

/// Middleware: authenticates any request that carries a bearer token.
pub async fn authenticate_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(token) = bearer_token(req.request()) {
        let outcome = match req.app_data::<web::Data<AppState>>().cloned() {
            Some(state) => resolve(&state, &token).await?,
            None => Authentication::Invalid,
        };
        req.extensions_mut().insert(outcome);
    }
    next.call(req).await
}

async fn resolve(state: &AppState, token: &str) -> Result<Authentication, ApiError> {
    let Ok(claims) = state.jwt.verify(token) else {
        return Ok(Authentication::Invalid);
    };
    let (user_id, session_id, role) = (claims.sub, claims.sid, claims.role);
    let live = state
        .db
        .autocommit(move |conn| session_is_live(conn, user_id, session_id, role))
        .await?;
    if !live {
        return Ok(Authentication::Invalid);
    }
    Ok(Authentication::Valid {
        user: AuthUser {
            id: UserId(user_id),
            role,
            session_id,
        },
        owes_mfa: role == Role::Admin && state.settings.require_admin_totp && !claims.mfa,
    })
}

fn authenticated(req: &HttpRequest, allow_pending_mfa: bool) -> Result<AuthUser, ApiError> {
    match req.extensions().get::<Authentication>() {
        Some(Authentication::Valid { user, owes_mfa }) => {
            if *owes_mfa && !allow_pending_mfa {
                return Err(ApiError::Forbidden(
                    "set up two-factor sign-in first, then sign in again with a code",
                ));
            }
            Ok(*user)
        }
        Some(Authentication::Invalid) | None => {
            Err(ApiError::Unauthorized("missing or invalid access token"))
        }
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticated(req, false))
    }
}

impl FromRequest for AuthUserPendingMfa {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticated(req, true).map(AuthUserPendingMfa))
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
