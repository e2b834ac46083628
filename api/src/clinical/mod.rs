//! Clinical data repositories: patients and clinicians, records and their
//! sealed versions, consents, access requests, guardian links and emergency
//! access, and [`disclosure`] of record bodies to an allowed reader.
//! Functions take `&mut PgConnection` so an audited action
//! (`access::audited`) composes them with the decision and the ledger event
//! in one transaction. This module imports `access` (never the reverse).
//!
//! Nothing here decides who may do what (that is `access`), and nothing here
//! logs clinical text: bodies and contact details are sealed before they
//! reach the database and opened only for a caller the policy allowed.

pub mod clinicians;
pub mod consent_expiry;
pub mod consents;
pub mod disclosure;
pub mod emergency;
pub mod guardians;
pub mod overview;
pub mod patients;
pub mod record_list;
pub mod records;
pub mod requests;

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{patients as patient_rows, users};
use crate::error::ApiError;

/// Display names for a set of accounts.
pub fn user_names(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let rows: Vec<(Uuid, String)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Patients' names by id, for list views.
pub fn patient_names(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let rows: Vec<(Uuid, String)> = patient_rows::table
        .filter(patient_rows::id.eq_any(&ids))
        .select((patient_rows::id, patient_rows::full_name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Parses a stored enum column, failing as an internal error.
pub fn stored<T: std::str::FromStr>(column: &'static str, value: &str) -> Result<T, ApiError> {
    value
        .parse()
        .map_err(|_| ApiError::internal(column, "unknown value in database"))
}
