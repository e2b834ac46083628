//! Records and their versions. A record row holds the queryable metadata
//! (kind, current title, dates, author); every version — the first and each
//! amendment — is a new `record_versions` row with its own sealed body and
//! is never changed afterwards (key rotation only re-seals the same bytes).
//! The body's AAD binds it to (record id, version, patient id).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::records::{RecordKind, RecordView};
use shared::{PatientId, RecordId, Role, UserId};
use uuid::Uuid;

use crate::access::audited::Found;
use crate::access::{Actor, Readable, RecordRef, Target};
use crate::clinical::{stored, user_names};
use crate::crypto::{Aad, OpenError, Sealer};
use crate::db::schema::{record_versions, records};
use crate::error::ApiError;
use crate::users::escape_like;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub current_version: i32,
    pub title: String,
    pub updated_at: DateTime<Utc>,
}

impl RecordRow {
    pub fn kind(&self) -> Result<RecordKind, ApiError> {
        stored("records.kind", &self.kind)
    }

    pub fn as_ref(&self) -> Result<RecordRef, ApiError> {
        Ok(RecordRef {
            id: self.id,
            patient_id: self.patient_id,
            kind: self.kind()?,
            created_by: self.created_by,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = record_versions)]
pub struct VersionRow {
    pub record_id: Uuid,
    pub version: i32,
    pub title: String,
    pub author_id: Uuid,
    pub author_role: String,
    pub reason: Option<String>,
    pub supersedes: Option<i32>,
    pub key_id: i32,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

impl VersionRow {
    fn aad(&self, patient_id: Uuid) -> Aad {
        Aad::RecordBody {
            record_id: self.record_id,
            version: self.version,
            patient_id,
        }
    }

    /// The plaintext body bytes (canonical JSON).
    pub fn open(&self, sealer: &Sealer, patient_id: Uuid) -> Result<Vec<u8>, OpenError> {
        sealer.open(
            self.key_id,
            &self.nonce,
            &self.ciphertext,
            &self.aad(patient_id),
        )
    }
}

/// The reader's view of one version; `body` is `None` when it did not open.
pub fn view(
    record: &RecordRow,
    version: &VersionRow,
    author_name: String,
    body: Option<&[u8]>,
) -> Result<RecordView, ApiError> {
    let parsed = body
        .map(serde_json::from_slice::<serde_json::Value>)
        .transpose()
        .map_err(|_| ApiError::SealBroken)?;
    Ok(RecordView {
        id: RecordId(record.id),
        patient_id: PatientId(record.patient_id),
        kind: record.kind()?,
        title: version.title.clone(),
        version: version.version,
        supersedes: version.supersedes,
        reason: version.reason.clone(),
        author_id: UserId(version.author_id),
        author_name,
        author_role: stored::<Role>("record_versions.author_role", &version.author_role)?,
        created_at: record.created_at,
        version_created_at: version.created_at,
        unreadable: parsed.is_none(),
        body: parsed,
    })
}

/// A record as the target of an audited action (`None`: no such record),
/// found by [`find`] or [`find_for_update`].
pub fn target(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Found<RecordRow>, ApiError> {
    let row = if lock {
        find_for_update(conn, id)?
    } else {
        find(conn, id)?
    };
    row.map(|r| Ok((Target::Record(r.as_ref()?), r)))
        .transpose()
}

/// A body as stored and digested: its canonical JSON bytes.
pub fn encode_body(body: &serde_json::Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body).map_err(|e| ApiError::internal("encoding body", e))
}

/// The writer's view of a version just written, with its author's name.
pub fn written_view(
    conn: &mut PgConnection,
    record: &RecordRow,
    version: &VersionRow,
    plain: &[u8],
) -> Result<RecordView, ApiError> {
    let author = author_names(conn, &[version])?
        .remove(&version.author_id)
        .unwrap_or_default();
    view(record, version, author, Some(plain))
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<RecordRow>, ApiError> {
    Ok(records::table
        .find(id)
        .select(RecordRow::as_select())
        .first(conn)
        .optional()?)
}

/// A record, its current version (if stored) and that version's author name.
pub type CurrentRecord = (RecordRow, Option<VersionRow>, Option<String>);

/// A record with its current version and that version's author name, in
/// one query (the audited read's hot path). The version is `None` only if
/// the stored record is inconsistent; the author name is empty when unknown.
pub fn find_current(conn: &mut PgConnection, id: Uuid) -> Result<Option<CurrentRecord>, ApiError> {
    use crate::db::schema::users;
    Ok(records::table
        .left_join(
            record_versions::table.on(record_versions::record_id
                .eq(records::id)
                .and(record_versions::version.eq(records::current_version))),
        )
        .left_join(users::table.on(users::id.eq(record_versions::author_id)))
        .filter(records::id.eq(id))
        .select((
            RecordRow::as_select(),
            Option::<VersionRow>::as_select(),
            users::display_name.nullable(),
        ))
        .first(conn)
        .optional()?)
}

/// Locks the record row so concurrent amendments are numbered one at a time.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> Result<Option<RecordRow>, ApiError> {
    Ok(records::table
        .find(id)
        .select(RecordRow::as_select())
        .for_update()
        .first(conn)
        .optional()?)
}

pub fn version(conn: &mut PgConnection, id: Uuid, version: i32) -> Result<VersionRow, ApiError> {
    Ok(record_versions::table
        .find((id, version))
        .select(VersionRow::as_select())
        .first(conn)?)
}

#[allow(clippy::too_many_arguments)]
fn insert_version(
    conn: &mut PgConnection,
    sealer: &Sealer,
    record: &RecordRow,
    version: i32,
    title: &str,
    body: &[u8],
    author: Actor,
    reason: Option<&str>,
) -> Result<VersionRow, ApiError> {
    let aad = Aad::RecordBody {
        record_id: record.id,
        version,
        patient_id: record.patient_id,
    };
    let sealed = sealer.seal(&aad, body)?;
    Ok(diesel::insert_into(record_versions::table)
        .values((
            record_versions::record_id.eq(record.id),
            record_versions::version.eq(version),
            record_versions::title.eq(title),
            record_versions::author_id.eq(author.id.0),
            record_versions::author_role.eq(author.role.as_str()),
            record_versions::reason.eq(reason),
            record_versions::supersedes.eq((version > 1).then_some(version - 1)),
            record_versions::key_id.eq(sealed.key_id),
            record_versions::nonce.eq(sealed.nonce.to_vec()),
            record_versions::ciphertext.eq(sealed.ciphertext),
        ))
        .returning(VersionRow::as_returning())
        .get_result(conn)?)
}

/// Creates a record with its first version.
pub fn create(
    conn: &mut PgConnection,
    sealer: &Sealer,
    patient_id: Uuid,
    kind: RecordKind,
    title: &str,
    body: &[u8],
    author: Actor,
) -> Result<(RecordRow, VersionRow), ApiError> {
    let record = diesel::insert_into(records::table)
        .values((
            records::id.eq(Uuid::new_v4()),
            records::patient_id.eq(patient_id),
            records::kind.eq(kind.as_str()),
            records::created_by.eq(author.id.0),
            records::title.eq(title),
        ))
        .returning(RecordRow::as_returning())
        .get_result(conn)?;
    let v = insert_version(conn, sealer, &record, 1, title, body, author, None)?;
    Ok((record, v))
}

/// Adds a version superseding the current one; `record` must be locked.
pub fn amend(
    conn: &mut PgConnection,
    sealer: &Sealer,
    record: &RecordRow,
    title: &str,
    body: &[u8],
    reason: &str,
    author: Actor,
) -> Result<(RecordRow, VersionRow), ApiError> {
    let next = record.current_version + 1;
    let v = insert_version(
        conn,
        sealer,
        record,
        next,
        title,
        body,
        author,
        Some(reason),
    )?;
    let updated = diesel::update(records::table.find(record.id))
        .set((
            records::current_version.eq(next),
            records::title.eq(title),
            records::updated_at.eq(v.created_at),
        ))
        .returning(RecordRow::as_returning())
        .get_result(conn)?;
    Ok((updated, v))
}

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
pub fn list(
    conn: &mut PgConnection,
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
        if let Some(text) = &filter.query {
            q = q.filter(records::title.ilike(format!("%{}%", escape_like(text))));
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
