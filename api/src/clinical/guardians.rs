//! Guardian links: a patient-role account acting for a dependent patient,
//! created by an admin, optionally ending at a time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::patients::Guardianship;
use shared::{PatientId, Role, UserId};
use uuid::Uuid;

use crate::access::live;
use crate::clinical::{stored, user_names};
use crate::db::schema::{guardianships, patients, users};
use crate::error::ApiError;

pub struct NewLink {
    pub guardian_user_id: Uuid,
    pub patient_id: Uuid,
    pub relationship: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
}

type LinkRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn select() -> (
    guardianships::id,
    guardianships::guardian_user_id,
    guardianships::patient_id,
    guardianships::relationship,
    guardianships::starts_at,
    guardianships::ends_at,
) {
    (
        guardianships::id,
        guardianships::guardian_user_id,
        guardianships::patient_id,
        guardianships::relationship,
        guardianships::starts_at,
        guardianships::ends_at,
    )
}

fn view(conn: &mut PgConnection, rows: Vec<LinkRow>) -> Result<Vec<Guardianship>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
    let names = user_names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, g, p, relationship, starts_at, ends_at)| Guardianship {
                id,
                guardian_user_id: UserId(g),
                guardian_name: names.get(&g).cloned().unwrap_or_default(),
                patient_id: PatientId(p),
                relationship,
                starts_at,
                ends_at,
            },
        )
        .collect())
}

/// Links a guardian; the account must be an enabled patient-role account
/// other than the patient's own, with no live link to this patient yet.
pub fn link(conn: &mut PgConnection, new: NewLink) -> Result<Guardianship, ApiError> {
    let role: Option<(String, bool)> = users::table
        .find(new.guardian_user_id)
        .select((users::role, users::disabled))
        .first(conn)
        .optional()?;
    match role {
        Some((r, false)) if stored::<Role>("users.role", &r)? == Role::Patient => {}
        _ => {
            return Err(ApiError::validation(
                "guardian_user_id",
                "the guardian must be an active patient-role account",
            ))
        }
    }
    let own: Option<Option<Uuid>> = patients::table
        .find(new.patient_id)
        .select(patients::user_id)
        .first(conn)
        .optional()?;
    match own {
        None => return Err(ApiError::NotFound("no such patient")),
        Some(Some(u)) if u == new.guardian_user_id => {
            return Err(ApiError::validation(
                "guardian_user_id",
                "a patient cannot be their own guardian",
            ))
        }
        _ => {}
    }
    let now = live::now();
    if new.ends_at.is_some_and(|e| e <= now) {
        return Err(ApiError::validation(
            "ends_at",
            "the end must be in the future",
        ));
    }
    let live: i64 = guardianships::table
        .filter(guardianships::guardian_user_id.eq(new.guardian_user_id))
        .filter(guardianships::patient_id.eq(new.patient_id))
        .filter(live::guardianship_not_ended(now))
        .count()
        .get_result(conn)?;
    if live > 0 {
        return Err(ApiError::Conflict(
            "this guardian is already linked to this patient".into(),
        ));
    }
    let row: LinkRow = diesel::insert_into(guardianships::table)
        .values((
            guardianships::id.eq(Uuid::new_v4()),
            guardianships::guardian_user_id.eq(new.guardian_user_id),
            guardianships::patient_id.eq(new.patient_id),
            guardianships::relationship.eq(&new.relationship),
            guardianships::ends_at.eq(new.ends_at),
            guardianships::created_by.eq(new.created_by),
        ))
        .returning(select())
        .get_result(conn)?;
    Ok(view(conn, vec![row])?.remove(0))
}

/// One page of a patient's links, newest first (id breaks ties), and how
/// many there are in all.
pub fn for_patient(
    conn: &mut PgConnection,
    patient_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Guardianship>, i64), ApiError> {
    let total: i64 = guardianships::table
        .filter(guardianships::patient_id.eq(patient_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<LinkRow> = guardianships::table
        .filter(guardianships::patient_id.eq(patient_id))
        .order((guardianships::created_at.desc(), guardianships::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(select())
        .load(conn)?;
    Ok((view(conn, rows)?, total))
}
