//! Clinical records: a chart's list, adding, reading one, amending (a new
//! version), and the version history. Every handler is an audited action
//! (`access::audited`): every record disclosed — one by one or in a list —
//! gets its own `record_viewed` event with the basis that allowed it and the
//! SHA-256 of the plaintext (a list's events in one INSERT).
//!
//! A body that fails to open (e.g. a ciphertext moved between rows) is never
//! returned: a single read answers 409 `sealed_content_unreadable`, a list
//! marks the item `unreadable` with a `null` body. Both are logged as denied.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
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
use crate::access::{Action, Actor, Audit, Target};
use crate::auth::AuthUser;
use crate::clinical::{disclosure, records};
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
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
    let audit =
        Audit::read(&ctx, user.into(), Action::ListRecords, Ledger::RecordViewed).per_item();
    let (items, total) = state
        .db
        .audited(audit, Target::Patient(patient), move |conn, permit| {
            let (rows, total) = records::list(conn, &sealer, patient, &permit.readable(), &filter)?;
            Ok((disclosure::current(conn, &sealer, permit, &rows)?, total))
        })
        .await?;
    Ok(paging::page((items, total), (limit, offset)))
}

/// Add a record to a chart. Doctors may add any kind; nurses
/// `treatment_update` and `vitals`; patients (and guardians) `document` and
/// `allergy`. Clinicians need a read-write consent covering the kind (or,
/// for doctors, open emergency access). The author is the caller.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = PatientId, Path, description = "Patient id")), request_body = NewRecordRequest, responses(
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
    idem: Idempotency,
    id: web::Path<PatientId>,
    body: web::Json<NewRecordRequest>,
) -> Result<Reply, ApiError> {
    let patient = id.into_inner().0;
    let req = body.into_inner();
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let audit = Audit::change(
        &ctx,
        actor,
        Action::CreateRecord(req.kind),
        Ledger::RecordCreated,
    );
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            Target::Patient(patient),
            move |conn, permit| {
                let title = parse_title(&req.title)?;
                let body = parse_body(req.kind, &req.body)?;
                let plain = records::encode_body(&body)?;
                let (row, version) =
                    records::create(conn, &sealer, patient, req.kind, &title, &plain, actor)?;
                permit.record(row.id).digests(None, Some(digest(&plain)));
                let texts = records::Texts {
                    title,
                    reason: None,
                };
                records::written_view(conn, &row, &version, &texts, &plain)
            },
        )
        .await
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
    // A read: the record, its current version and author name in one query,
    // the facts, then the one ledger INSERT (allowed, denied or unreadable),
    // durable before anything is returned.
    let audit =
        Audit::read(&ctx, user.into(), Action::ReadRecord, Ledger::RecordViewed).naming_record(id);
    let view = state
        .db
        .audited_find(
            audit,
            move |conn| {
                // Nothing of the version leaves this closure unless authorized.
                let Some(found) = records::find_current(conn, id)? else {
                    return Ok(None);
                };
                Ok(Some((Target::Record(found.0.as_ref()?), found)))
            },
            move |conn, permit, (row, version, author)| {
                let version = match version {
                    Some(v) => v,
                    None => records::version(conn, row.id, row.current_version)?,
                };
                let (view, digest) =
                    disclosure::open(&sealer, &row, &version, author.unwrap_or_default())?;
                permit.digests(None, digest);
                if digest.is_none() {
                    return Err(permit.refuse(ApiError::SealBroken));
                }
                Ok(view)
            },
        )
        .await?;
    Ok(web::Json(view))
}

/// Amend a record: a new version superseding the current one, with the
/// caller as author and a reason. Nothing is overwritten.
#[utoipa::path(tag = "records", security(("bearer" = [])), params(IdempotencyKeyHeader, ("id" = RecordId, Path, description = "Record id")), request_body = AmendRecordRequest, responses(
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
    idem: Idempotency,
    id: web::Path<RecordId>,
    body: web::Json<AmendRecordRequest>,
) -> Result<Reply, ApiError> {
    let id = id.into_inner().0;
    let req = body.into_inner();
    let sealer = state.sealer.clone();
    let actor = Actor::from(user);
    let audit =
        Audit::change(&ctx, actor, Action::AmendRecord, Ledger::RecordAmended).naming_record(id);
    state
        .db
        .audited_find_reply(
            audit,
            idem.answer(StatusCode::CREATED),
            move |conn| records::target(conn, id, true),
            move |conn, permit, row| {
                let reason = shared::patients::parse_text("reason", &req.reason, 3, 500, true)?;
                let new_title = req.title.as_deref().map(parse_title).transpose()?;
                let body = parse_body(row.kind()?, &req.body)?;
                let plain = records::encode_body(&body)?;
                let current = records::version(conn, row.id, row.current_version)?;
                let (Ok(prior), Ok(old_title)) = (
                    current.open(&sealer, row.patient_id),
                    current.title(&sealer, row.patient_id),
                ) else {
                    return Err(permit.refuse(ApiError::SealBroken));
                };
                let texts = records::Texts {
                    title: new_title.unwrap_or(old_title),
                    reason: Some(reason),
                };
                let (row, version) = records::amend(conn, &sealer, &row, &texts, &plain, actor)?;
                permit.digests(Some(digest(&prior)), Some(digest(&plain)));
                records::written_view(conn, &row, &version, &texts, &plain)
            },
        )
        .await
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
    let audit = Audit::read(&ctx, user.into(), Action::ReadRecord, Ledger::RecordViewed)
        .naming_record(id)
        .per_item();
    let (items, total) = state
        .db
        .audited_find(
            audit,
            move |conn| records::target(conn, id, false),
            move |conn, permit, row| {
                let (versions, total) = records::versions(conn, id, limit, offset)?;
                Ok((
                    disclosure::versions(conn, &sealer, permit, &row, &versions)?,
                    total,
                ))
            },
        )
        .await?;
    Ok(paging::page((items, total), (limit, offset)))
}
