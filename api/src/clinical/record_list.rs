//! A chart's record list (with the title search, which opens the sealed
//! titles of the candidates) and a record's version history. Split from
//! [`super::records`], which owns writing and reading single versions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::records::RecordKind;
use uuid::Uuid;

use crate::access::Readable;
use crate::clinical::records::{title_aad, RecordRow, VersionRow};
use crate::clinical::user_names;
use crate::crypto::Sealer;
use crate::db::schema::{record_versions, records};
use crate::error::ApiError;

/// The SPA's filters for a chart's record list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<RecordKind>,
    pub query: Option<String>,
    pub author_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

/// Records of a chart, newest first, limited to `readable` and `filter`.
/// A title search opens the titles of every record the other filters leave
/// (one query with their current versions) and pages in memory.
pub fn list(
    conn: &mut PgConnection,
    sealer: &Sealer,
    patient_id: Uuid,
    readable: &Readable,
    filter: &ListFilter,
) -> Result<(Vec<RecordRow>, i64), ApiError> {
    let kinds: Vec<&str> = readable.kinds.iter().map(|k| k.as_str()).collect();
    let build = || {
        let mut q = records::table
            .filter(records::patient_id.eq(patient_id))
            .into_boxed();
        if !readable.all {
            q = q.filter(
                records::kind
                    .eq_any(kinds.clone())
                    .or(records::id.eq_any(readable.ids.clone())),
            );
        }
        if let Some(k) = filter.kind {
            q = q.filter(records::kind.eq(k.as_str()));
        }
        if let Some(a) = filter.author_id {
            q = q.filter(records::created_by.eq(a));
        }
        if let Some(t) = filter.since {
            q = q.filter(records::created_at.ge(t));
        }
        if let Some(t) = filter.until {
            q = q.filter(records::created_at.lt(t));
        }
        q
    };
    if let Some(text) = &filter.query {
        let all: Vec<(RecordRow, Vec<u8>)> = build()
            .inner_join(
                record_versions::table.on(record_versions::record_id
                    .eq(records::id)
                    .and(record_versions::version.eq(records::current_version))),
            )
            .order((records::created_at.desc(), records::id.desc()))
            .select((RecordRow::as_select(), record_versions::title_sealed))
            .load(conn)?;
        let needle = text.to_lowercase();
        let mut hits = Vec::new();
        for (row, title) in all {
            let aad = title_aad(row.id, row.current_version, patient_id);
            // A title that does not open matches nothing (the item would
            // be unreadable anyway); it is logged when listed unfiltered.
            if let Ok(t) = sealer.open_text(&title, &aad) {
                if t.to_lowercase().contains(&needle) {
                    hits.push(row);
                }
            }
        }
        let total = hits.len() as i64;
        let rows = hits
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(filter.limit).unwrap_or(0))
            .collect();
        return Ok((rows, total));
    }
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((records::created_at.desc(), records::id.desc()))
        .limit(filter.limit)
        .offset(filter.offset)
        .select(RecordRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Versions of a record, newest first.
pub fn versions(
    conn: &mut PgConnection,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<VersionRow>, i64), ApiError> {
    let total = record_versions::table
        .filter(record_versions::record_id.eq(id))
        .count()
        .get_result(conn)?;
    let rows = record_versions::table
        .filter(record_versions::record_id.eq(id))
        .order(record_versions::version.desc())
        .limit(limit)
        .offset(offset)
        .select(VersionRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Every version of these records, oldest first per record, in one query.
pub fn versions_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<VersionRow>>, ApiError> {
    let rows: Vec<VersionRow> = record_versions::table
        .filter(record_versions::record_id.eq_any(ids))
        .order((record_versions::record_id, record_versions::version))
        .select(VersionRow::as_select())
        .load(conn)?;
    let mut out: std::collections::HashMap<Uuid, Vec<VersionRow>> = Default::default();
    for v in rows {
        out.entry(v.record_id).or_default().push(v);
    }
    Ok(out)
}

/// Author names for a set of versions.
pub fn author_names(
    conn: &mut PgConnection,
    versions: &[&VersionRow],
) -> Result<std::collections::HashMap<Uuid, String>, ApiError> {
    let ids: Vec<Uuid> = versions.iter().map(|v| v.author_id).collect();
    user_names(conn, &ids)
}
