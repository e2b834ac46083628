//! Patient profiles: the `patients` table. The free-text contact field is
//! sealed (AAD = the patient id); name, date of birth and sex stay queryable
//! for search and demographics.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use shared::admin::{AgeBandCount, Demographics, SexCount};
use shared::patients::{DirectoryEntry, PatientProfile, Sex};
use shared::{PatientId, UserId};
use uuid::Uuid;

use crate::access::scope::ListScope;
use crate::clinical::stored;
use crate::crypto::{Aad, Sealer};
use crate::db::schema::patients;
use crate::error::ApiError;
use crate::ledger::NewEvent;
use crate::request::RequestContext;
use crate::users::{self, escape_like, HashedAccount, UserRow};
use shared::ledger::Action as Ledger;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub mrn: String,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: String,
    pub contact_key_id: Option<i32>,
    pub contact_nonce: Option<Vec<u8>>,
    pub contact_sealed: Option<Vec<u8>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl PatientRow {
    /// The profile, with the contact opened; a contact that fails to open is
    /// withheld (and logged without content).
    pub fn profile(&self, sealer: &Sealer) -> Result<PatientProfile, ApiError> {
        let contact = match (
            &self.contact_key_id,
            &self.contact_nonce,
            &self.contact_sealed,
        ) {
            (Some(k), Some(n), Some(c)) => {
                let aad = Aad::PatientContact {
                    patient_id: self.id,
                };
                match sealer.open(*k, n, c, &aad) {
                    Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| ApiError::SealBroken)?),
                    Err(e) => {
                        tracing::warn!(patient_id = %self.id, error = %e, "patient contact failed to open");
                        None
                    }
                }
            }
            _ => None,
        };
        Ok(PatientProfile {
            id: PatientId(self.id),
            user_id: self.user_id.map(UserId),
            mrn: self.mrn.clone(),
            full_name: self.full_name.clone(),
            date_of_birth: self.date_of_birth,
            sex: stored("patients.sex", &self.sex)?,
            contact,
            created_at: self.created_at,
        })
    }

    pub fn directory_entry(&self) -> DirectoryEntry {
        DirectoryEntry {
            id: PatientId(self.id),
            full_name: self.full_name.clone(),
            mrn: self.mrn.clone(),
        }
    }
}

/// A validated new profile.
#[derive(Debug, Clone)]
pub struct NewPatient {
    pub user_id: Option<Uuid>,
    pub full_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub sex: Sex,
    pub contact: Option<String>,
    pub created_by: Option<Uuid>,
}

pub fn create(
    conn: &mut PgConnection,
    sealer: &Sealer,
    new: NewPatient,
) -> Result<PatientRow, ApiError> {
    if let Some(u) = new.user_id {
        if find_by_user(conn, u)?.is_some() {
            return Err(ApiError::Conflict(
                "that account already has a patient profile".into(),
            ));
        }
    }
    let id = Uuid::new_v4();
    let n: i64 = diesel::select(diesel::dsl::sql::<BigInt>("nextval('patient_mrn_seq')"))
        .get_result(conn)?;
    let sealed = new
        .contact
        .as_deref()
        .map(|c| sealer.seal(&Aad::PatientContact { patient_id: id }, c.as_bytes()))
        .transpose()?;
    let row = diesel::insert_into(patients::table)
        .values((
            patients::id.eq(id),
            patients::user_id.eq(new.user_id),
            patients::mrn.eq(format!("MRN-{n}")),
            patients::full_name.eq(&new.full_name),
            patients::date_of_birth.eq(new.date_of_birth),
            patients::sex.eq(new.sex.as_str()),
            patients::contact_key_id.eq(sealed.as_ref().map(|s| s.key_id)),
            patients::contact_nonce.eq(sealed.as_ref().map(|s| s.nonce.to_vec())),
            patients::contact_sealed.eq(sealed.map(|s| s.ciphertext)),
            patients::created_by.eq(new.created_by),
        ))
        .returning(PatientRow::as_returning())
        .get_result(conn)?;
    Ok(row)
}

/// Self-registration: a patient account with its profile, recorded as one
/// `patient_registered` event (no decision: anyone may register).
pub fn register(
    conn: &mut PgConnection,
    sealer: &Sealer,
    account: HashedAccount,
    date_of_birth: Option<NaiveDate>,
    sex: Sex,
    ctx: &RequestContext,
) -> Result<UserRow, ApiError> {
    let full_name = account.display_name.clone().into_inner();
    let event = NewEvent::new(Ledger::PatientRegistered, ctx);
    let row = users::create(conn, account, event)?;
    create_for_registration(conn, sealer, row.id, full_name, date_of_birth, sex)?;
    Ok(row)
}

/// The profile created with a self-registered account. (Its ledger event is
/// the account's `patient_registered` event.)
pub fn create_for_registration(
    conn: &mut PgConnection,
    sealer: &Sealer,
    user_id: Uuid,
    full_name: String,
    date_of_birth: Option<NaiveDate>,
    sex: Sex,
) -> Result<PatientRow, ApiError> {
    create(
        conn,
        sealer,
        NewPatient {
            user_id: Some(user_id),
            full_name,
            date_of_birth,
            sex,
            contact: None,
            created_by: Some(user_id),
        },
    )
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<PatientRow>, ApiError> {
    Ok(patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_user(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<PatientRow>, ApiError> {
    Ok(patients::table
        .filter(patients::user_id.eq(user_id))
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?)
}

/// Profiles in `scope` matching `query` (name or record number), by name.
pub fn list(
    conn: &mut PgConnection,
    scope: &ListScope,
    query: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PatientRow>, i64), ApiError> {
    let ids = scope.chart_ids();
    let build = || {
        let mut q = patients::table.into_boxed();
        match scope {
            ListScope::All => {}
            ListScope::Charts(_) => q = q.filter(patients::id.eq_any(ids.clone())),
            ListScope::AsClinician => q = q.filter(patients::id.is_null()),
        }
        if let Some(text) = query {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                patients::full_name
                    .ilike(pattern.clone())
                    .or(patients::mrn.ilike(pattern)),
            );
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((patients::full_name.asc(), patients::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(PatientRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Age bands used by the demographics chart.
pub const AGE_BANDS: [(&str, u32, u32); 6] = [
    ("0-17", 0, 17),
    ("18-34", 18, 34),
    ("35-49", 35, 49),
    ("50-64", 50, 64),
    ("65-79", 65, 79),
    ("80+", 80, u32::MAX),
];

fn age_on(dob: NaiveDate, today: NaiveDate) -> u32 {
    let mut age = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

pub fn demographics(conn: &mut PgConnection) -> Result<Demographics, ApiError> {
    let rows: Vec<(Option<NaiveDate>, String)> = patients::table
        .select((patients::date_of_birth, patients::sex))
        .load(conn)?;
    let today = Utc::now().date_naive();
    let mut bands: Vec<AgeBandCount> = AGE_BANDS
        .iter()
        .map(|(b, _, _)| AgeBandCount {
            band: (*b).to_owned(),
            count: 0,
        })
        .collect();
    bands.push(AgeBandCount {
        band: "unknown".into(),
        count: 0,
    });
    let mut sexes: Vec<SexCount> = Sex::ALL
        .iter()
        .map(|s| SexCount { sex: *s, count: 0 })
        .collect();
    for (dob, sex) in &rows {
        let idx = match dob {
            Some(d) => {
                let age = age_on(*d, today);
                AGE_BANDS
                    .iter()
                    .position(|(_, lo, hi)| (*lo..=*hi).contains(&age))
                    .unwrap_or(AGE_BANDS.len())
            }
            None => AGE_BANDS.len(),
        };
        if let Some(b) = bands.get_mut(idx) {
            b.count += 1;
        }
        let sex: Sex = stored("patients.sex", sex)?;
        if let Some(s) = sexes.iter_mut().find(|s| s.sex == sex) {
            s.count += 1;
        }
    }
    Ok(Demographics {
        total: rows.len() as i64,
        age_bands: bands,
        sex: sexes,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 14)), 25);
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 15)), 26);
    }
}
