//! The ledger over HTTP: the event log, inclusion and consistency proofs,
//! signed checkpoints, the verifying key and full verification. Access to
//! events (and their proofs) follows `ledger::log::LogScope`; hashes, roots
//! and checkpoints reveal no event contents, so any signed-in user may
//! fetch them.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::ledger::api::{
    ConsistencyProofResponse, InclusionProofResponse, LedgerEventItem, LedgerPublicKey,
    SignedCheckpointView, VerifyReport,
};
use shared::ledger::Action;
use shared::paging::Page;
use shared::ErrorEnvelope;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::access::Action::Administer;
use crate::access::{scope, Audit, Target};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::idempotency::{Idempotency, IdempotencyKeyHeader, Reply};
use crate::ledger::log::{self, LogFilter};
use crate::ledger::{proofs, signer, store, verify};
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::routes::paging::{self, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// Only events about this patient.
    pub patient: Option<Uuid>,
    /// Only events by this actor.
    pub actor: Option<Uuid>,
    /// Only events with this action.
    pub action: Option<Action>,
    /// Only events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// The ledger's events, newest first.
///
/// Admins see every event; everyone else the events they performed. Only
/// sequenced events (those with a `seq`) are listed; a new event appears
/// within about a second of its action.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(PageParams, EventListQuery), responses(
    (status = 200, description = "One page of events, by seq descending", body = Page<LedgerEventItem>),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 422, description = "Bad paging", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    user: AuthUser,
    page: web::Query<PageParams>,
    query: web::Query<EventListQuery>,
) -> Result<web::Json<Page<LedgerEventItem>>, ApiError> {
    let (limit, offset) = page.resolve()?;
    let q = query.into_inner();
    let filter = LogFilter {
        patient_id: q.patient,
        actor_id: q.actor,
        action: q.action,
        from: q.from,
        to: q.to,
        limit,
        offset,
    };
    paging::scoped(
        &state,
        user.into(),
        scope::log,
        (limit, offset),
        move |conn, scope, _| log::list(conn, scope, &filter),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// Tree size to prove against (default: the latest signed checkpoint,
    /// signing one on demand if the event is newer).
    pub tree_size: Option<u64>,
}

/// Inclusion proof for one event.
///
/// Returns the event (re-hash it), its leaf hash, the RFC 9162 audit path and
/// the signed checkpoint for the tree size when one exists.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(("seq" = u64, Path, description = "Event sequence number"), ProofQuery), responses(
    (status = 200, description = "The proof", body = InclusionProofResponse),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 404, description = "No such event visible to the caller", body = ErrorEnvelope),
    (status = 422, description = "tree_size out of range", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/events/{seq}/proof")]
pub async fn event_proof(
    state: web::Data<AppState>,
    user: AuthUser,
    seq: web::Path<u64>,
    query: web::Query<ProofQuery>,
) -> Result<web::Json<InclusionProofResponse>, ApiError> {
    let seq = seq.into_inner();
    let tree_size = query.tree_size;
    let signer = state.ledger_signer.clone();
    // Reads, and at most one write (a checkpoint signed on demand).
    let proof = state
        .db
        .listing(user.into(), scope::log, move |conn, scope, _| {
            proofs::inclusion(conn, scope, &signer, seq, tree_size)
        })
        .await?;
    Ok(web::Json(proof))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size (default: the latest signed checkpoint).
    pub to: Option<u64>,
}

/// Consistency proof between two tree sizes.
///
/// Proves the newer log is an append-only extension of the older; includes
/// the signed checkpoints for both sizes when they exist.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(ConsistencyQuery), responses(
    (status = 200, description = "The proof", body = ConsistencyProofResponse),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 404, description = "No checkpoint yet (when `to` is omitted)", body = ErrorEnvelope),
    (status = 422, description = "Sizes out of range", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/consistency")]
pub async fn consistency(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<ConsistencyQuery>,
) -> Result<web::Json<ConsistencyProofResponse>, ApiError> {
    let (from, to) = (query.from, query.to);
    let proof = state
        .db
        .autocommit(move |conn| proofs::consistency(conn, from, to))
        .await?;
    Ok(web::Json(proof))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckpointQuery {
    /// A specific tree size (default: the latest).
    pub size: Option<u64>,
}

/// A signed checkpoint (default: the latest).
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(CheckpointQuery), responses(
    (status = 200, description = "The signed checkpoint", body = SignedCheckpointView),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 404, description = "No checkpoint (of that size)", body = ErrorEnvelope),
    (status = 422, description = "size out of range", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/checkpoint")]
pub async fn get_checkpoint(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<CheckpointQuery>,
) -> Result<web::Json<SignedCheckpointView>, ApiError> {
    let size = query.size;
    let row = state
        .db
        .run(move |conn| Ok(store::checkpoint(conn, size)?))
        .await?
        .ok_or(ApiError::NotFound("no such checkpoint"))?;
    Ok(web::Json(row.view()?))
}

/// Sign a checkpoint for the current log now (admin).
///
/// Returns the existing checkpoint when the log has not grown since.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(IdempotencyKeyHeader), responses(
    (status = 200, description = "The checkpoint for the current size", body = SignedCheckpointView),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
))]
#[post("/api/v1/ledger/checkpoint")]
pub async fn sign_checkpoint(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
    idem: Idempotency,
) -> Result<Reply, ApiError> {
    let signer = state.ledger_signer.clone();
    // The stored checkpoint is the record; only a refusal is an event.
    let audit =
        Audit::change(&ctx, user.into(), Administer, Action::CheckpointSigned).refusals_only();
    state
        .db
        .audited_reply(
            audit,
            idem.answer(StatusCode::OK),
            Target::System,
            move |conn, _| Ok(signer::sign_current(conn, &signer)?.view()?),
        )
        .await
}

/// The checkpoint verifying key.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), responses(
    (status = 200, description = "Key name, raw key and note verifier key", body = LedgerPublicKey),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/public-key")]
pub async fn public_key(state: web::Data<AppState>, _user: AuthUser) -> web::Json<LedgerPublicKey> {
    web::Json(state.ledger_signer.public_key_view())
}

/// Verify the whole ledger (admin).
///
/// Re-hashes every stored event, checks the chain, the stored tree and every
/// signed checkpoint, and names the first invalid sequence number.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), responses(
    (status = 200, description = "The verification report (valid or not)", body = VerifyReport),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "Not an admin", body = ErrorEnvelope),
    (status = 429, description = "Verified too often (3 at once, then 2 a minute per admin); see Retry-After", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/verify")]
pub async fn verify_ledger(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: AuthUser,
) -> Result<web::Json<VerifyReport>, ApiError> {
    let st = state.clone();
    // A read whose snapshot is a read-only transaction of its own; the
    // event is recorded after it, once the verification finished.
    let audit = Audit::read(&ctx, user.into(), Administer, Action::LedgerVerified);
    let report = state
        .db
        .audited(audit, Target::System, move |conn, _| {
            st.limiter
                .check(Scope::LedgerVerifyByUser, &user.id.to_string())?;
            verify::verify_snapshot(conn, &st.ledger_signer.verifier_keys())
        })
        .await?;
    Ok(web::Json(report))
}
