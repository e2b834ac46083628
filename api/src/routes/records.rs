//! Clinical records: a chart's list, adding, reading one, amending (a new
//! version), and the version history. Every record disclosed — one by one or
//! in a list — writes its own `record_viewed` event with the basis that
//! allowed it and the SHA-256 of the plaintext, in the same transaction.
//!
//! A body that fails to open (e.g. a ciphertext moved between rows) is never
//! returned: a single read answers 409 `sealed_content_unreadable`, a list
//! marks the item `unreadable` with a `null` body. Both are logged as denied.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::ledger::Action as Ledger;
use shared::paging::Page;
use shared::records::{
    parse_body, parse_title, AmendRecordRequest, NewRecordRequest, RecordKind, RecordView,
};
use shared::{ErrorEnvelope, PatientId, RecordId, UserId};
use utoipa::IntoParams;

use crate::access::event::digest;
use crate::access::{self, policy, Action, Actor, EventExt, Facts, Target};
use crate::auth::AuthUser;
use crate::clinical::records::{self, RecordRow, VersionRow};
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
use crate::routes::paging::PageParams;
use crate::routes::patients::search_text;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// Only records of this kind.
    pub kind: Option<RecordKind>,
    /// Text in the title.
    ///
    /// At most 100 characters after trimming surrounding whitespace, no
    /// control characters; blank is no filter.
    #[param(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*(?:[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?)?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub q: Option<String>,
    /// Only records created by this account.
    pub author_id: Option<UserId>,
    /// Created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Created before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Opens a version and records its disclosure: the event carries the basis
/// and the plaintext digest, or is a denial when the body did not open.
fn disclose(
    conn: &mut diesel::PgConnection,
    sealer: &Sealer,
    record: &RecordRow,
    version: &VersionRow,
    author: String,
    event: NewEvent,
) -> Result<RecordView, ApiError> {
    match version.open(sealer, record.patient_id) {
        Ok(plain) => {
            ledger::record(conn, &event.digests(None, Some(digest(&plain))))?;
            records::view(record, version, author, Some(&plain))
        }
        Err(e) => {
            tracing::warn!(record_id = %record.id, version = version.version, error = %e, "record body failed to open");
            ledger::record(conn, &event.denied())?;
            records::view(record, version, author, None)
        }
    }
}

/// A chart's records the caller may read, newest first, with their current
/// contents. Filters: kind, title text, author, creation time.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = PatientId, Path, description = "Patient id"), PageParams, RecordQuery), responses(
    (status = 200, description = "One page of records", body = Page<RecordView>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but not its records (admins)", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may see", body = ErrorEnvelope),
    (status = 422, description = "Bad paging or filter", body = ErrorEnvelope),
))]
#[get("/api/v1/patients/{id}/records")]
pub async fn list_records(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<PatientId>,
    page: web::Query<PageParams>,
    query: web::Query<RecordQuery>,
) -> Result<web::Json<Page<RecordView>>, ApiError> {
    let patient = id.into_inner().0;
    let (limit, offset) = page.resolve()?;
    let query = query.into_inner();
    let filter = records::ListFilter {
        kind: query.kind,
        query: search_text(query.q)?,
        author_id: query.author_id.map(|a| a.0),
        since: query.since,
        until: query.until,
        limit,
        offset,
    };
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let (items, total) = state
        .db
        .run(move |conn| {
            let target = Target::Patient(patient);
            let facts = Facts::load(conn, actor, patient)?;
            let decision = policy::decide(actor, Action::ListRecords, &target, Some(&facts));
            let gate = NewEvent::new(Ledger::RecordViewed, &ctx);
            let permit = access::enforce(conn, decision, actor, &target, gate)?;
            let readable = policy::readable(actor, &facts);
            let (rows, total) = records::list(conn, patient, &readable, &filter)?;
            let mut items = Vec::with_capacity(rows.len());
            let mut versions = Vec::with_capacity(rows.len());
            for row in &rows {
                versions.push(records::version(conn, row.id, row.current_version)?);
            }
            let names = records::author_names(conn, &versions.iter().collect::<Vec<_>>())?;
            for (row, version) in rows.iter().zip(&versions) {
                let target = Target::Record(row.as_ref()?);
                let Some(basis) =
                    policy::decide(actor, Action::ReadRecord, &target, Some(&facts)).basis()
                else {
                    continue;
                };
                let event = permit.template().record_uuid(row.id).with_basis(&basis);
                let author = names.get(&version.author_id).cloned().unwrap_or_default();
                items.push(disclose(conn, &sealer, row, version, author, event)?);
            }
            Ok((items, total))
        })
        .await?;
    Ok(web::Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// Add a record to a chart. Doctors may add any kind; nurses
/// `treatment_update` and `vitals`; patients (and guardians) `document` and
/// `allergy`. Clinicians need a read-write consent covering the kind (or,
/// for doctors, open emergency access). The author is the caller.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = PatientId, Path, description = "Patient id")), request_body = NewRecordRequest, responses(
    (status = 201, description = "Created (version 1)", body = RecordView),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but may not add this kind", body = ErrorEnvelope),
    (status = 404, description = "No such patient, or not one the caller may see", body = ErrorEnvelope),
    (status = 422, description = "Title or body invalid for the kind", body = ErrorEnvelope),
))]
#[post("/api/v1/patients/{id}/records")]
pub async fn create_record(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<PatientId>,
    body: web::Json<NewRecordRequest>,
) -> Result<HttpResponse, ApiError> {
    let patient = id.into_inner().0;
    let req = body.into_inner();
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let view = state
        .db
        .run(move |conn| {
            let permit = access::authorize(
                conn,
                actor,
                Action::CreateRecord(req.kind),
                &Target::Patient(patient),
                NewEvent::new(Ledger::RecordCreated, &ctx),
            )?;
            let title = parse_title(&req.title)?;
            let body = parse_body(req.kind, &req.body)?;
            let plain =
                serde_json::to_vec(&body).map_err(|e| ApiError::internal("encoding body", e))?;
            let (row, version) =
                records::create(conn, &sealer, patient, req.kind, &title, &plain, actor)?;
            ledger::record(
                conn,
                &permit
                    .event
                    .record_uuid(row.id)
                    .digests(None, Some(digest(&plain))),
            )?;
            let author = records::author_names(conn, &[&version])?
                .remove(&version.author_id)
                .unwrap_or_default();
            records::view(&row, &version, author, Some(&plain))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

fn missing(
    conn: &mut diesel::PgConnection,
    actor: Actor,
    id: uuid::Uuid,
    event: NewEvent,
) -> ApiError {
    access::deny_missing(conn, actor, event.record_uuid(id))
}

/// Read one record (its current version). Logged with the basis.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = RecordId, Path, description = "Record id")), responses(
    (status = 200, description = "The record", body = RecordView),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but not this record", body = ErrorEnvelope),
    (status = 404, description = "No such record, or not one the caller may see", body = ErrorEnvelope),
    (status = 409, description = "The sealed body failed its integrity check; nothing disclosed (`sealed_content_unreadable`)", body = ErrorEnvelope),
))]
#[get("/api/v1/records/{id}")]
pub async fn get_record(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<RecordId>,
) -> Result<web::Json<RecordView>, ApiError> {
    let id = id.into_inner().0;
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    // Autocommit: reads, then exactly one ledger INSERT (allowed, denied or
    // unreadable), which is durable before anything is returned. Keep it to
    // one write, or go back to `run`.
    let view = state
        .db
        .autocommit(move |conn| {
            let event = NewEvent::new(Ledger::RecordViewed, &ctx);
            // Record, current version and author name in one round trip;
            // nothing of the version leaves this closure unless authorized.
            let Some((row, version, author)) = records::find_current(conn, id)? else {
                return Err(missing(conn, actor, id, event));
            };
            let permit = access::authorize(
                conn,
                actor,
                Action::ReadRecord,
                &Target::Record(row.as_ref()?),
                event,
            )?;
            let version = match version {
                Some(v) => v,
                None => records::version(conn, row.id, row.current_version)?,
            };
            let author = author.unwrap_or_default();
            let view = disclose(conn, &sealer, &row, &version, author, permit.event)?;
            if view.unreadable {
                return Err(ApiError::SealBroken.after_commit());
            }
            Ok(view)
        })
        .await?;
    Ok(web::Json(view))
}

/// Amend a record: a new version superseding the current one, with the
/// caller as author and a reason. Nothing is overwritten.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = RecordId, Path, description = "Record id")), request_body = AmendRecordRequest, responses(
    (status = 201, description = "The new version", body = RecordView),
    (status = 400, description = "Malformed body or unknown field", body = ErrorEnvelope),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but may not amend this record", body = ErrorEnvelope),
    (status = 404, description = "No such record, or not one the caller may see", body = ErrorEnvelope),
    (status = 409, description = "The current version failed its integrity check (`sealed_content_unreadable`)", body = ErrorEnvelope),
    (status = 422, description = "Title, body or reason invalid", body = ErrorEnvelope),
))]
#[post("/api/v1/records/{id}/amendments")]
pub async fn amend_record(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<RecordId>,
    body: web::Json<AmendRecordRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().0;
    let req = body.into_inner();
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let view = state
        .db
        .run(move |conn| {
            let event = NewEvent::new(Ledger::RecordAmended, &ctx);
            let Some(row) = records::find_for_update(conn, id)? else {
                return Err(missing(conn, actor, id, event));
            };
            let record = row.as_ref()?;
            let permit = access::authorize(
                conn,
                actor,
                Action::AmendRecord,
                &Target::Record(record),
                event,
            )?;
            let reason = shared::patients::parse_text("reason", &req.reason, 3, 500, true)?;
            let title = match &req.title {
                Some(t) => parse_title(t)?,
                None => row.title.clone(),
            };
            let body = parse_body(record.kind, &req.body)?;
            let plain =
                serde_json::to_vec(&body).map_err(|e| ApiError::internal("encoding body", e))?;
            let current = records::version(conn, row.id, row.current_version)?;
            let Ok(prior) = current.open(&sealer, row.patient_id) else {
                ledger::record(conn, &permit.event.denied())?;
                return Err(ApiError::SealBroken.after_commit());
            };
            let (row, version) =
                records::amend(conn, &sealer, &row, &title, &plain, &reason, actor)?;
            ledger::record(
                conn,
                &permit
                    .event
                    .digests(Some(digest(&prior)), Some(digest(&plain))),
            )?;
            let author = records::author_names(conn, &[&version])?
                .remove(&version.author_id)
                .unwrap_or_default();
            records::view(&row, &version, author, Some(&plain))
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A record's versions, newest first, each with its body (each disclosure
/// logged).
#[utoipa::path(tag = "records", security(("bearer" = [])), params(("id" = RecordId, Path, description = "Record id"), PageParams), responses(
    (status = 200, description = "One page of versions", body = Page<RecordView>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but not this record", body = ErrorEnvelope),
    (status = 404, description = "No such record, or not one the caller may see", body = ErrorEnvelope),
    (status = 422, description = "Bad paging", body = ErrorEnvelope),
))]
#[get("/api/v1/records/{id}/versions")]
pub async fn record_versions(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    id: web::Path<RecordId>,
    page: web::Query<PageParams>,
) -> Result<web::Json<Page<RecordView>>, ApiError> {
    let id = id.into_inner().0;
    let (limit, offset) = page.resolve()?;
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let (items, total) = state
        .db
        .run(move |conn| {
            let event = NewEvent::new(Ledger::RecordViewed, &ctx);
            let Some(row) = records::find(conn, id)? else {
                return Err(missing(conn, actor, id, event));
            };
            let permit = access::authorize(
                conn,
                actor,
                Action::ReadRecord,
                &Target::Record(row.as_ref()?),
                event,
            )?;
            let (versions, total) = records::versions(conn, id, limit, offset)?;
            let names = records::author_names(conn, &versions.iter().collect::<Vec<_>>())?;
            let mut items = Vec::with_capacity(versions.len());
            for v in &versions {
                let author = names.get(&v.author_id).cloned().unwrap_or_default();
                items.push(disclose(conn, &sealer, &row, v, author, permit.template())?);
            }
            Ok((items, total))
        })
        .await?;
    Ok(web::Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}
