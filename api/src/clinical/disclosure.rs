//! Disclosing record bodies to a reader the policy allowed: opening each
//! sealed version and putting each disclosure on the [`Permit`] — one event
//! per item, with the basis that allowed it and the SHA-256 of the
//! plaintext, written by `access::audited` in one INSERT. A body that fails
//! to open is never returned: the item is marked unreadable with a `null`
//! body and its event is a denial.
//!
//! A page of records costs one query for their current versions and one for
//! their authors' names, however long the page.

use std::collections::HashMap;

use diesel::prelude::*;
use shared::records::RecordView;
use uuid::Uuid;

use crate::access::event::digest;
use crate::access::{Action, Permit, Target};
use crate::clinical::records::{self, RecordRow, VersionRow};
use crate::crypto::Sealer;
use crate::db::schema::{record_versions, records as record_rows};
use crate::error::ApiError;

/// Opens `version` of `record` (body, title and reason): the view, and the
/// digest of what it disclosed (`None` when any of them did not open).
pub fn open(
    sealer: &Sealer,
    record: &RecordRow,
    version: &VersionRow,
    author: String,
) -> Result<(RecordView, Option<[u8; 32]>), ApiError> {
    let opened = version
        .open(sealer, record.patient_id)
        .and_then(|plain| Ok((plain, version.texts(sealer, record.patient_id)?)));
    match opened {
        Ok((plain, texts)) => Ok((
            records::view(record, version, Some(&texts), author, Some(&plain))?,
            Some(digest(&plain)),
        )),
        Err(e) => {
            tracing::warn!(record_id = %record.id, version = version.version, error = %e, "record version failed to open");
            Ok((records::view(record, version, None, author, None)?, None))
        }
    }
}

/// The current versions of `rows`, in one query.
fn current_versions(
    conn: &mut PgConnection,
    rows: &[RecordRow],
) -> Result<HashMap<Uuid, VersionRow>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let versions: Vec<VersionRow> = record_versions::table
        .inner_join(
            record_rows::table.on(record_rows::id
                .eq(record_versions::record_id)
                .and(record_rows::current_version.eq(record_versions::version))),
        )
        .filter(record_rows::id.eq_any(&ids))
        .select(VersionRow::as_select())
        .load(conn)?;
    Ok(versions.into_iter().map(|v| (v.record_id, v)).collect())
}

/// Each of `rows` the permit's reader may read (decided one by one with the
/// chart's facts), with its current contents; one disclosure per item.
pub fn current(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    rows: &[RecordRow],
) -> Result<Vec<RecordView>, ApiError> {
    let mut allowed = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(basis) = permit.allows(Action::ReadRecord, &Target::Record(row.as_ref()?)) {
            allowed.push((row, basis));
        }
    }
    let allowed_rows: Vec<RecordRow> = allowed.iter().map(|(r, _)| (*r).clone()).collect();
    let mut versions = current_versions(conn, &allowed_rows)?;
    let names = records::author_names(conn, &versions.values().collect::<Vec<_>>())?;
    let mut items = Vec::with_capacity(allowed.len());
    for (row, basis) in allowed {
        let version = versions
            .remove(&row.id)
            .ok_or_else(|| ApiError::internal("record_versions", "current version missing"))?;
        let author = names.get(&version.author_id).cloned().unwrap_or_default();
        let (view, digest) = open(sealer, row, &version, author)?;
        permit.disclose(row.id, basis, digest);
        items.push(view);
    }
    Ok(items)
}

/// Versions of one record the permit allowed reading, each disclosed.
pub fn versions(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    row: &RecordRow,
    versions: &[VersionRow],
) -> Result<Vec<RecordView>, ApiError> {
    let names = records::author_names(conn, &versions.iter().collect::<Vec<_>>())?;
    let basis = permit.basis();
    let mut items = Vec::with_capacity(versions.len());
    for v in versions {
        let author = names.get(&v.author_id).cloned().unwrap_or_default();
        let (view, digest) = open(sealer, row, v, author)?;
        permit.disclose(row.id, basis, digest);
        items.push(view);
    }
    Ok(items)
}
