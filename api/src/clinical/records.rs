//! Records and their versions. A record row holds the queryable metadata
//! (kind, dates, author, current version); every version — the first and
//! each amendment — is a new `record_versions` row with its own sealed body,
//! title and amendment reason, and is never changed afterwards (key rotation
//! only re-seals the same bytes). Each sealed value's AAD binds it to
//! (record id, version, patient id) and to its kind (body, title, reason).
//!
//! Titles are clinical text ("Penicillin allergy"), so they are sealed too:
//! a list opens the titles of its page in the blocking closure, and a title
//! search opens the titles of the chart's matching records (filtered by
//! everything else in SQL first) and pages in memory.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use shared::records::{RecordKind, RecordView};
use shared::{PatientId, RecordId, Role, UserId};
use uuid::Uuid;

use crate::access::audited::Found;
use crate::access::{Actor, RecordRef, Target};
pub use crate::clinical::record_list::{author_names, list, versions, versions_of, ListFilter};
use crate::clinical::stored;
use crate::crypto::{Aad, OpenError, Sealer};
use crate::db::schema::{record_versions, records};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct RecordRow {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub current_version: i32,
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
    pub author_id: Uuid,
    pub author_role: String,
    pub supersedes: Option<i32>,
    pub key_id: i32,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub title_sealed: Vec<u8>,
    pub reason_sealed: Option<Vec<u8>>,
}

/// A version's texts once opened: title and amendment reason.
#[derive(Debug, Clone)]
pub struct Texts {
    pub title: String,
    pub reason: Option<String>,
}

pub(crate) fn title_aad(record_id: Uuid, version: i32, patient_id: Uuid) -> Aad {
    Aad::RecordTitle {
        record_id,
        version,
        patient_id,
    }
}

fn reason_aad(record_id: Uuid, version: i32, patient_id: Uuid) -> Aad {
    Aad::AmendReason {
        record_id,
        version,
        patient_id,
    }
}

impl VersionRow {
    fn aad(&self, patient_id: Uuid) -> Aad {
        Aad::RecordBody {
            record_id: self.record_id,
            version: self.version,
            patient_id,
        }
    }

    /// The title alone (lists and title search).
    pub fn title(&self, sealer: &Sealer, patient_id: Uuid) -> Result<String, OpenError> {
        sealer.open_text(
            &self.title_sealed,
            &title_aad(self.record_id, self.version, patient_id),
        )
    }

    /// Title and amendment reason.
    pub fn texts(&self, sealer: &Sealer, patient_id: Uuid) -> Result<Texts, OpenError> {
        let reason = match &self.reason_sealed {
            Some(r) => {
                Some(sealer.open_text(r, &reason_aad(self.record_id, self.version, patient_id))?)
            }
            None => None,
        };
        Ok(Texts {
            title: self.title(sealer, patient_id)?,
            reason,
        })
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

/// The reader's view of one version; `body` is `None` when it (or its
/// texts) did not open, and then the title is empty.
pub fn view(
    record: &RecordRow,
    version: &VersionRow,
    texts: Option<&Texts>,
    author_name: String,
    body: Option<&[u8]>,
) -> Result<RecordView, ApiError> {
    let body = body.filter(|_| texts.is_some());
    let parsed = body
        .map(serde_json::from_slice::<serde_json::Value>)
        .transpose()
        .map_err(|_| ApiError::SealBroken)?;
    Ok(RecordView {
        id: RecordId(record.id),
        patient_id: PatientId(record.patient_id),
        kind: record.kind()?,
        title: texts.map(|t| t.title.clone()).unwrap_or_default(),
        version: version.version,
        supersedes: version.supersedes,
        reason: texts.and_then(|t| t.reason.clone()),
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
    texts: &Texts,
    plain: &[u8],
) -> Result<RecordView, ApiError> {
    let author = author_names(conn, &[version])?
        .remove(&version.author_id)
        .unwrap_or_default();
    view(record, version, Some(texts), author, Some(plain))
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
    texts: &Texts,
    body: &[u8],
    author: Actor,
) -> Result<VersionRow, ApiError> {
    let aad = Aad::RecordBody {
        record_id: record.id,
        version,
        patient_id: record.patient_id,
    };
    let sealed = sealer.seal(&aad, body)?;
    let title = sealer.seal_text(
        &title_aad(record.id, version, record.patient_id),
        &texts.title,
    )?;
    let reason = match &texts.reason {
        Some(r) => Some(sealer.seal_text(&reason_aad(record.id, version, record.patient_id), r)?),
        None => None,
    };
    Ok(diesel::insert_into(record_versions::table)
        .values((
            record_versions::record_id.eq(record.id),
            record_versions::version.eq(version),
            record_versions::title_sealed.eq(title),
            record_versions::author_id.eq(author.id.0),
            record_versions::author_role.eq(author.role.as_str()),
            record_versions::reason_sealed.eq(reason),
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
        ))
        .returning(RecordRow::as_returning())
        .get_result(conn)?;
    let texts = Texts {
        title: title.to_owned(),
        reason: None,
    };
    let v = insert_version(conn, sealer, &record, 1, &texts, body, author)?;
    Ok((record, v))
}

/// Adds a version superseding the current one; `record` must be locked.
pub fn amend(
    conn: &mut PgConnection,
    sealer: &Sealer,
    record: &RecordRow,
    texts: &Texts,
    body: &[u8],
    author: Actor,
) -> Result<(RecordRow, VersionRow), ApiError> {
    let next = record.current_version + 1;
    let v = insert_version(conn, sealer, record, next, texts, body, author)?;
    let updated = diesel::update(records::table.find(record.id))
        .set((
            records::current_version.eq(next),
            records::updated_at.eq(v.created_at),
        ))
        .returning(RecordRow::as_returning())
        .get_result(conn)?;
    Ok((updated, v))
}
