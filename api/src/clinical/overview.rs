//! The admin access overview: every live way someone can reach a chart —
//! the patient's own account, guardian links, consents and open emergency
//! accesses — with its basis and end time. Computed from the same tables
//! the policy reads, with the same `access::live` rules and clock; it
//! discloses no clinical text.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::admin::{AccessOverviewEntry, BasisKind};
use shared::consents::AccessLevel;
use shared::{PatientId, Role, UserId};
use uuid::Uuid;

use crate::access::live;
use crate::clinical::{patient_names, stored};
use crate::db::schema::{consents, emergency_accesses, guardianships, patients, users};
use crate::error::ApiError;

pub struct Filter {
    pub patient_id: Option<Uuid>,
    pub basis: Option<BasisKind>,
}

type GrantRow = (Uuid, Uuid, Uuid, String, Option<DateTime<Utc>>);
type Entry = (
    Uuid,
    Uuid,
    BasisKind,
    Option<Uuid>,
    AccessLevel,
    Option<DateTime<Utc>>,
);

/// All live entries, ordered by patient name, basis, account name.
pub fn entries(conn: &mut PgConnection, f: &Filter) -> Result<Vec<AccessOverviewEntry>, ApiError> {
    let now = live::now();
    let mut raw: Vec<Entry> = Vec::new();
    let own: Vec<(Uuid, Option<Uuid>)> = patients::table
        .filter(patients::user_id.is_not_null())
        .select((patients::id, patients::user_id))
        .load(conn)?;
    for (p, u) in own {
        if let Some(u) = u {
            raw.push((
                p,
                u,
                BasisKind::OwnChart,
                None,
                AccessLevel::ReadWrite,
                None,
            ));
        }
    }
    let links: Vec<(Uuid, Uuid, Uuid, Option<DateTime<Utc>>)> = guardianships::table
        .filter(live::guardianship_live(now))
        .select((
            guardianships::patient_id,
            guardianships::guardian_user_id,
            guardianships::id,
            guardianships::ends_at,
        ))
        .load(conn)?;
    for (p, u, id, until) in links {
        raw.push((
            p,
            u,
            BasisKind::Guardian,
            Some(id),
            AccessLevel::ReadWrite,
            until,
        ));
    }
    let grants: Vec<GrantRow> = consents::table
        .filter(live::consent_live(now))
        .select((
            consents::patient_id,
            consents::grantee_id,
            consents::id,
            consents::access,
            consents::expires_at,
        ))
        .load(conn)?;
    for (p, u, id, access, until) in grants {
        let access = AccessLevel::parse(&access)
            .ok_or_else(|| ApiError::internal("consents.access", "unknown value"))?;
        raw.push((p, u, BasisKind::Consent, Some(id), access, until));
    }
    let open: Vec<(Uuid, Uuid, Uuid, DateTime<Utc>)> = emergency_accesses::table
        .filter(live::emergency_live(now))
        .select((
            emergency_accesses::patient_id,
            emergency_accesses::doctor_id,
            emergency_accesses::id,
            emergency_accesses::expires_at,
        ))
        .load(conn)?;
    for (p, u, id, until) in open {
        raw.push((
            p,
            u,
            BasisKind::Emergency,
            Some(id),
            AccessLevel::ReadWrite,
            Some(until),
        ));
    }
    raw.retain(|e| f.patient_id.is_none_or(|p| p == e.0) && f.basis.is_none_or(|b| b == e.2));
    let pids: Vec<Uuid> = raw.iter().map(|e| e.0).collect();
    let uids: Vec<Uuid> = raw.iter().map(|e| e.1).collect();
    let pnames = patient_names(conn, &pids)?;
    let accounts: std::collections::HashMap<Uuid, (String, String)> = users::table
        .filter(users::id.eq_any(&uids))
        .select((users::id, users::display_name, users::role))
        .load::<(Uuid, String, String)>(conn)?
        .into_iter()
        .map(|(id, n, r)| (id, (n, r)))
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    for (p, u, basis, basis_id, access, until) in raw {
        let (name, role) = accounts.get(&u).cloned().unwrap_or_default();
        out.push(AccessOverviewEntry {
            patient_id: PatientId(p),
            patient_name: pnames.get(&p).cloned().unwrap_or_default(),
            user_id: UserId(u),
            user_name: name,
            role: stored::<Role>("users.role", &role)?,
            basis,
            basis_id,
            access,
            until,
        });
    }
    out.sort_by(|a, b| {
        (
            a.patient_name.to_lowercase(),
            a.patient_id,
            a.basis.as_str(),
            a.user_name.to_lowercase(),
            a.user_id,
            a.basis_id,
        )
            .cmp(&(
                b.patient_name.to_lowercase(),
                b.patient_id,
                b.basis.as_str(),
                b.user_name.to_lowercase(),
                b.user_id,
                b.basis_id,
            ))
    });
    Ok(out)
}
