//! Receipts (`GET /api/v1/ledger/receipt?patient=<id>`): a patient's or
//! guardian's access log for one chart as one file — every event about the
//! chart up to the published checkpoint, each with its leaf hash and
//! inclusion proof, and that checkpoint with its witness cosignatures. The
//! file is checked offline by `careledger verify-receipt` (or anyone with
//! `shared::ledger::receipt`) against pinned keys.
//!
//! Only for the charts the caller acts for (patients and guardians), as the
//! access policy decides (`ActForPatient`, through the audited action): a
//! refusal is a denied `export` event like any other, and a download is an
//! `export` event about the chart (it is sequenced after the receipt's checkpoint, so it appears in
//! the next receipt). The proofs are against
//! the *published* checkpoint, so events newer than it are not in the
//! receipt yet. At most the newest [`MAX_EVENTS`] events. The receipt
//! discloses nothing the caller's own log view does not already.

use std::collections::HashSet;

use actix_web::{get, web};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use serde::Deserialize;
use shared::ledger::receipt::{Receipt, ReceiptEvent, RECEIPT_FORMAT};
use shared::ledger::{build_inclusion_proof, inclusion_proof_nodes, SignedCheckpoint};
use shared::ErrorEnvelope;
use utoipa::IntoParams;
use uuid::Uuid;

use super::published;
use super::settings::WitnessSettings;
use crate::access::audited::Audit;
use crate::access::{Action, Target};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::ledger::store::{self, EventRow};
use crate::request::RequestContext;
use crate::state::AppState;
use shared::ledger::Action as Logged;

/// Most events in one receipt (the newest).
pub const MAX_EVENTS: i64 = 5000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// The chart (patient id).
    pub patient: Uuid,
}

/// A receipt: the chart's access log with proofs and the cosigned checkpoint.
///
/// For patients and guardians, for the charts they act for. Verify it
/// offline with `careledger verify-receipt FILE --policy POLICY`.
#[utoipa::path(tag = "ledger", security(("bearer" = [])), params(ReceiptQuery), responses(
    (status = 200, description = "The receipt (careledger-receipt/v1)", body = Receipt),
    (status = 401, description = "Not signed in", body = ErrorEnvelope),
    (status = 403, description = "The caller sees the chart but does not act for it", body = ErrorEnvelope),
    (status = 404, description = "No such chart for the caller, or nothing published yet", body = ErrorEnvelope),
))]
#[get("/api/v1/ledger/receipt")]
pub async fn download_receipt(
    state: web::Data<AppState>,
    user: AuthUser,
    ctx: RequestContext,
    query: web::Query<ReceiptQuery>,
) -> Result<web::Json<Receipt>, ApiError> {
    let patient = query.patient;
    let witnesses = state.settings.ledger.witnesses.clone();
    let audit = Audit::read(&ctx, user.into(), Action::ActForPatient, Logged::Export);
    let receipt = state
        .db
        .audited(audit, Target::Patient(patient), move |conn, _| {
            build(conn, patient, &witnesses)
        })
        .await?;
    Ok(web::Json(receipt))
}

/// Builds the receipt for `patient` (the caller has been authorized).
pub fn build(
    conn: &mut PgConnection,
    patient: Uuid,
    witnesses: &WitnessSettings,
) -> Result<Receipt, ApiError> {
    let note = published::latest(conn, witnesses)?
        .ok_or(ApiError::NotFound("no checkpoint has been published yet"))?;
    let size = SignedCheckpoint::parse(&note)
        .and_then(|s| shared::ledger::Checkpoint::parse_body(s.body()))
        .map_err(|e| ApiError::internal("published checkpoint", e))?
        .size;
    let mut rows: Vec<EventRow> = diesel::sql_query(format!(
        "{} WHERE x.patient_id = $1 AND e.seq < $2 ORDER BY e.seq DESC LIMIT {MAX_EVENTS}",
        store::event_select()
    ))
    .bind::<SqlUuid, _>(patient)
    .bind::<BigInt, _>(store::to_i64(size)?)
    .load(conn)?;
    rows.reverse();
    let mut events = Vec::with_capacity(rows.len());
    let mut wanted = HashSet::new();
    for row in rows {
        let (event, leaf_hash) = row
            .into_event()
            .ok_or_else(|| ApiError::internal("receipt", "stored event cannot be decoded"))?;
        wanted.extend(inclusion_proof_nodes(event.seq, size).map_err(proof_error)?);
        events.push(ReceiptEvent {
            event,
            leaf_hash,
            proof: Vec::new(),
        });
    }
    let ids: Vec<_> = wanted.into_iter().collect();
    let nodes = store::fetch_nodes(conn, &ids)?;
    let lookup = |id| nodes.get(&id).copied();
    for e in &mut events {
        e.proof = build_inclusion_proof(e.event.seq, size, &lookup).map_err(proof_error)?;
    }
    Ok(Receipt {
        format: RECEIPT_FORMAT.into(),
        patient_id: patient,
        checkpoint: note,
        events,
    })
}

fn proof_error(e: shared::ledger::ProofError) -> ApiError {
    ApiError::internal("building a receipt proof", e)
}
