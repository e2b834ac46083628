//! Clinician profiles (department, specialty, licence number) for doctor and
//! nurse accounts, and the clinician directory.

use diesel::prelude::*;
use shared::patients::{ClinicianProfile, ClinicianSummary};
use shared::{Role, UserId};
use uuid::Uuid;

use crate::clinical::stored;
use crate::db::schema::{clinicians, users};
use crate::error::ApiError;
use crate::users::escape_like;

type DirectoryRow = (Uuid, String, String, Option<String>, Option<String>);
type Row = (Uuid, String, String, String, String, String);

fn profile(row: Row) -> Result<ClinicianProfile, ApiError> {
    let (id, name, role, department, specialty, licence) = row;
    Ok(ClinicianProfile {
        user_id: UserId(id),
        display_name: name,
        role: stored("users.role", &role)?,
        department,
        specialty,
        licence_number: licence,
    })
}

pub struct NewClinician {
    pub user_id: Uuid,
    pub department: String,
    pub specialty: String,
    pub licence_number: String,
}

/// Creates the profile; the account must be an enabled doctor or nurse.
pub fn create(conn: &mut PgConnection, new: NewClinician) -> Result<ClinicianProfile, ApiError> {
    let role: Option<String> = users::table
        .find(new.user_id)
        .select(users::role)
        .first(conn)
        .optional()?;
    let role: Role = match role {
        Some(r) => stored("users.role", &r)?,
        None => return Err(ApiError::validation("user_id", "no such account")),
    };
    if !role.is_clinician() {
        return Err(ApiError::validation(
            "user_id",
            "the account is not a doctor or nurse",
        ));
    }
    diesel::insert_into(clinicians::table)
        .values((
            clinicians::user_id.eq(new.user_id),
            clinicians::department.eq(&new.department),
            clinicians::specialty.eq(&new.specialty),
            clinicians::licence_number.eq(&new.licence_number),
        ))
        .execute(conn)?;
    find(conn, new.user_id)?.ok_or(ApiError::NotFound("no such clinician"))
}

pub fn find(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<ClinicianProfile>, ApiError> {
    let row: Option<Row> = clinicians::table
        .inner_join(users::table)
        .filter(clinicians::user_id.eq(user_id))
        .select((
            users::id,
            users::display_name,
            users::role,
            clinicians::department,
            clinicians::specialty,
            clinicians::licence_number,
        ))
        .first(conn)
        .optional()?;
    row.map(profile).transpose()
}

/// Enabled doctors and nurses matching `query` (name, department or
/// specialty); accounts without a profile show empty department/specialty.
pub fn directory(
    conn: &mut PgConnection,
    query: Option<&str>,
    role: Option<Role>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ClinicianSummary>, i64), ApiError> {
    let roles: Vec<&str> = match role {
        Some(r) if r.is_clinician() => vec![r.as_str()],
        Some(_) => Vec::new(),
        None => vec![Role::Doctor.as_str(), Role::Nurse.as_str()],
    };
    let build = || {
        let mut q = users::table
            .left_join(clinicians::table)
            .filter(users::disabled.eq(false))
            .filter(users::role.eq_any(roles.clone()))
            .into_boxed();
        if let Some(text) = query {
            let p = format!("%{}%", escape_like(text));
            q = q.filter(
                users::display_name
                    .ilike(p.clone())
                    .or(clinicians::department.ilike(p.clone()).assume_not_null())
                    .or(clinicians::specialty.ilike(p).assume_not_null()),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows: Vec<DirectoryRow> = build()
        .order((users::display_name.asc(), users::id.asc()))
        .limit(limit)
        .offset(offset)
        .select((
            users::id,
            users::display_name,
            users::role,
            clinicians::department.nullable(),
            clinicians::specialty.nullable(),
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, name, role, department, specialty)| {
            Ok(ClinicianSummary {
                user_id: UserId(id),
                display_name: name,
                role: stored("users.role", &role)?,
                department: department.unwrap_or_default(),
                specialty: specialty.unwrap_or_default(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((items, total))
}
