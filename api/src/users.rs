//! Accounts: the `users` table, its row model and the account operations
//! shared by self-registration, admin administration and the demo seed.
//! Admin changes are audited actions (their event is recorded by
//! `access::audited`); [`create`] records its own event for the callers that
//! decide nothing (self-registration, the demo seed).
//!
//! Passwords arrive here already hashed ([`HashedAccount`],
//! [`AccountChange::password`]): argon2 runs before the transaction opens
//! ([`NewAccount::hashed`]), never inside it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::auth::{DisplayName, NewPassword, UserInfo, Username};
use shared::users::UserSummary;
use shared::{Role, UserId};
use uuid::Uuid;

use crate::auth::password::{self, HashedPassword};
use crate::auth::sessions::{self, RevokeReason};
use crate::db::schema::users;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub role: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    pub fn role(&self) -> Result<Role, ApiError> {
        self.role
            .parse()
            .map_err(|_| ApiError::internal("users.role", "unknown role in database"))
    }

    pub fn info(&self) -> Result<UserInfo, ApiError> {
        Ok(UserInfo {
            id: UserId(self.id),
            username: self.username.clone(),
            role: self.role()?,
            display_name: self.display_name.clone(),
        })
    }

    pub fn summary(&self) -> Result<UserSummary, ApiError> {
        Ok(UserSummary {
            id: UserId(self.id),
            username: self.username.clone(),
            role: self.role()?,
            display_name: self.display_name.clone(),
            disabled: self.disabled,
            locked_until: self.locked_until.filter(|t| *t > Utc::now()),
            created_at: self.created_at,
        })
    }
}

/// A validated new account.
pub struct NewAccount {
    pub username: Username,
    pub password: NewPassword,
    pub role: Role,
    pub display_name: DisplayName,
    pub is_demo: bool,
}

/// A new account whose password is hashed: what [`insert`] stores.
pub struct HashedAccount {
    pub username: Username,
    pub password_hash: HashedPassword,
    pub role: Role,
    pub display_name: DisplayName,
    pub is_demo: bool,
}

impl NewAccount {
    /// Hashes the password off the executor and outside any transaction
    /// (request handlers; see `auth::password`).
    pub async fn hashed(self) -> Result<HashedAccount, ApiError> {
        let hash = password::hash_async(self.password.expose().to_owned()).await?;
        Ok(self.with_hash(hash))
    }

    /// Hashes on the calling thread (seed, CLI, tests).
    pub fn hash_now(self) -> Result<HashedAccount, ApiError> {
        let hash = password::hash_now(self.password.expose())?;
        Ok(self.with_hash(hash))
    }

    fn with_hash(self, password_hash: HashedPassword) -> HashedAccount {
        HashedAccount {
            username: self.username,
            password_hash,
            role: self.role,
            display_name: self.display_name,
            is_demo: self.is_demo,
        }
    }

    pub fn parse(
        username: &str,
        password: &str,
        role: Role,
        display_name: &str,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            username: Username::parse(username)?,
            password: NewPassword::parse(password)?,
            role,
            display_name: DisplayName::parse(display_name)?,
            is_demo: false,
        })
    }
}

pub fn find_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(
    conn: &mut PgConnection,
    username: &str,
) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Creates the account and records `event` (who did it, and why, is in
/// `event`): self-registration and the demo seed, which decide nothing.
/// An admin's creation goes through `access::audited` and [`insert`].
pub fn create(
    conn: &mut PgConnection,
    account: HashedAccount,
    event: NewEvent,
) -> Result<UserRow, ApiError> {
    let row = insert(conn, account)?;
    ledger::record(conn, &event.subject_user(UserId(row.id)))?;
    Ok(row)
}

/// Creates the account; the caller records the event.
pub fn insert(conn: &mut PgConnection, account: HashedAccount) -> Result<UserRow, ApiError> {
    let taken = users::table
        .filter(users::username.eq(account.username.as_str()))
        .select(users::id)
        .first::<Uuid>(conn)
        .optional()?;
    if taken.is_some() {
        return Err(ApiError::Conflict("that username is taken".into()));
    }
    let id = Uuid::new_v4();
    let row = diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::username.eq(account.username.as_str()),
            users::role.eq(account.role.as_str()),
            users::display_name.eq(account.display_name.into_inner()),
            users::password_hash.eq(account.password_hash.as_str()),
            users::is_demo.eq(account.is_demo),
        ))
        .returning(UserRow::as_returning())
        .get_result(conn)?;
    Ok(row)
}

pub struct ListFilter {
    pub role: Option<Role>,
    pub query: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub fn list(conn: &mut PgConnection, filter: &ListFilter) -> Result<(Vec<UserRow>, i64), ApiError> {
    let build = || {
        let mut q = users::table.into_boxed();
        if let Some(role) = filter.role {
            q = q.filter(users::role.eq(role.as_str()));
        }
        if let Some(text) = &filter.query {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                users::username
                    .ilike(pattern.clone())
                    .or(users::display_name.ilike(pattern)),
            );
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows = build()
        .order((users::username.asc(), users::id.asc()))
        .limit(filter.limit)
        .offset(filter.offset)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Escapes `%`, `_` and `\` so user text matches literally inside LIKE.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An admin's validated change to an account.
#[derive(Default)]
pub struct AccountChange {
    pub display_name: Option<DisplayName>,
    pub disabled: Option<bool>,
    pub unlock: bool,
    /// A new password, hashed before the change's transaction.
    pub password: Option<HashedPassword>,
}

/// Applies an admin's change (the caller, an audited action, records it).
pub fn change(
    conn: &mut PgConnection,
    id: Uuid,
    change: AccountChange,
) -> Result<UserRow, ApiError> {
    let current = users::table
        .find(id)
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("no such user"))?;
    let now = Utc::now();
    if let Some(name) = change.display_name {
        diesel::update(users::table.find(id))
            .set(users::display_name.eq(name.into_inner()))
            .execute(conn)?;
    }
    if let Some(disabled) = change.disabled {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(disabled))
            .execute(conn)?;
        if disabled && !current.disabled {
            sessions::revoke_all_for_user(conn, id, RevokeReason::Disabled)?;
        }
    }
    if change.unlock {
        crate::auth::guard::forget_account(conn, &current.username)?;
    }
    if let Some(pw) = change.password {
        set_password(conn, id, &pw)?;
    }
    let row = diesel::update(users::table.find(id))
        .set(users::updated_at.eq(now))
        .returning(UserRow::as_returning())
        .get_result(conn)?;
    Ok(row)
}

/// Stores a new hash and signs the account out everywhere.
pub fn set_password(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &HashedPassword,
) -> Result<(), ApiError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash.as_str()),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    sessions::revoke_all_for_user(conn, id, RevokeReason::PasswordChanged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
