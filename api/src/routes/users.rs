//! Account administration (admin only): list, create, read, change.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web};
use serde::Deserialize;
use shared::auth::{DisplayName, NewPassword};
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::users::{CreateUserRequest, UpdateUserRequest, UserSummary};
use shared::{ErrorEnvelope, Role, UserId};
use utoipa::IntoParams;

use crate::access::{Action, Audit, Target};
use crate::auth::{password, AuthUser};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::routes::patients::search_text;
use crate::state::AppState;
use crate::users::{self, AccountChange, ListFilter, NewAccount};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts with this role.
    pub role: Option<Role>,
    /// Text found in the username or display name: at most 100 characters
    /// after trimming surrounding whitespace, no control characters; blank
    /// is no filter (the same rule as every other search).
    #[param(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub q: Option<String>,
}

/// List accounts (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(PageParams, UserListQuery), responses(
    (status = 200, description = "One page of accounts, by username", body = Page<UserSummary>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<UserListQuery>,
) -> Result<web::Json<Page<UserSummary>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let query = query.into_inner();
    let text = search_text(query.q)?;
    let filter = ListFilter {
        role: query.role,
        query: text,
        limit,
        offset,
    };
    let audit = Audit::read(&ctx, user.into(), Action::Administer, Ledger::UserViewed);
    let (rows, total) = state
        .db
        .audited(audit, Target::System, move |conn, _| {
            users::list(conn, &filter)
        })
        .await?;
    let items = rows.iter().map(|r| r.summary()).collect::<Result<_, _>>()?;
    Ok(paging::page((items, total), (limit, offset)))
}

/// Create an account of any role (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(IdempotencyKeyHeader), request_body = CreateUserRequest, responses(
    (status = 201, description = "Created", body = UserSummary),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 409, description = "Username taken", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    (status = 429, description = "Too many password hashes asked for by this caller (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[post("/api/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    body: web::Json<CreateUserRequest>,
) -> Result<Reply, ApiError> {
    let body = body.into_inner();
    // argon2 runs before the transaction; an invalid body's 422 is still
    // answered only after the authorization decision (inside the action).
    let account = match NewAccount::parse(
        &body.username,
        &body.password,
        body.role,
        &body.display_name,
    ) {
        Ok(account) => {
            state
                .limiter
                .check(Scope::ExpensiveByUser, &user.id.to_string())?;
            Ok(account.hashed().await?)
        }
        Err(e) => Err(e),
    };
    let audit = Audit::change(&ctx, user.into(), Action::Administer, Ledger::UserCreated);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::System,
            move |conn, permit| {
                let row = users::insert(conn, account?)?;
                permit.subject_user(UserId(row.id));
                row.summary()
            },
        )
        .await
}

/// One account (admin).
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = UserId, Path, description = "Account id")), responses(
    (status = 200, description = "The account", body = UserSummary),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such account", body = ErrorEnvelope),
))]
#[get("/api/v1/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<UserId>,
) -> Result<web::Json<UserSummary>, ApiError> {
    let id = id.into_inner();
    let audit = Audit::read(&ctx, user.into(), Action::Administer, Ledger::UserViewed).subject(id);
    let row = state
        .db
        .audited(audit, Target::System, move |conn, _| {
            users::find_by_id(conn, id.0)
        })
        .await?
        .ok_or(ApiError::NotFound("no such user"))?;
    Ok(web::Json(row.summary()?))
}

/// Change an account (admin): display name, disable/enable, unlock, reset password.
///
/// Disabling an account or setting its password signs it out everywhere at once.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = UserId, Path, description = "Account id")), request_body = UpdateUserRequest, responses(
    (status = 200, description = "The changed account", body = UserSummary),
    (status = 400, description = "Malformed body", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 404, description = "No such account", body = ErrorEnvelope),
    (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    (status = 429, description = "Too many password hashes asked for by this caller (`rate_limited`); see Retry-After", body = ErrorEnvelope),
))]
#[patch("/api/v1/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
    id: web::Path<UserId>,
    body: web::Json<UpdateUserRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    // A new password is hashed before the transaction; an invalid body's
    // 422 is still answered after the authorization decision.
    let change = match account_change(body, id == user.id) {
        Ok(parsed) => Ok(hash_password(&state, user, parsed).await?),
        Err(e) => Err(e),
    };
    let audit =
        Audit::change(&ctx, user.into(), Action::Administer, Ledger::UserChanged).subject(id);
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::OK),
            Target::System,
            move |conn, _| users::change(conn, id.0, change?)?.summary(),
        )
        .await
}

/// The change with its new password (if any) hashed, off the executor.
async fn hash_password(
    state: &AppState,
    user: AuthUser,
    parsed: ParsedChange,
) -> Result<AccountChange, ApiError> {
    let password = match parsed.password {
        Some(pw) => {
            state
                .limiter
                .check(Scope::ExpensiveByUser, &user.id.to_string())?;
            Some(password::hash_async(pw.expose().to_owned()).await?)
        }
        None => None,
    };
    Ok(AccountChange {
        display_name: parsed.display_name,
        disabled: parsed.disabled,
        unlock: parsed.unlock,
        password,
    })
}

/// An admin's change as parsed, its password not yet hashed.
struct ParsedChange {
    display_name: Option<DisplayName>,
    disabled: Option<bool>,
    unlock: bool,
    password: Option<NewPassword>,
}

/// The parsed change; an admin may not disable their own account.
fn account_change(body: UpdateUserRequest, own: bool) -> Result<ParsedChange, ApiError> {
    if body.disabled == Some(true) && own {
        return Err(ApiError::validation(
            "disabled",
            "you cannot disable your own account",
        ));
    }
    Ok(ParsedChange {
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        disabled: body.disabled,
        unlock: body.unlock.unwrap_or(false),
        password: body
            .password
            .as_deref()
            .map(NewPassword::parse)
            .transpose()?,
    })
}
