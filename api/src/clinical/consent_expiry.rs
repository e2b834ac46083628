//! Puts each consent's expiry on the record. An expired grant stops working
//! by itself — every access decision compares `expires_at` with the clock
//! (`access::live`) —
//! but the patient's access log and the auditors should also see *when* it
//! ended, as a `consent_expired` event, exactly once per grant. Every api
//! process sweeps periodically; the row update makes each expiry recorded
//! by exactly one of them.

use std::time::Duration;

use actix_web::web;
use diesel::prelude::*;
use shared::ledger::Action;
use shared::UserId;
use uuid::Uuid;

use crate::access::event::EventExt;
use crate::access::{live, Basis};
use crate::db::schema::consents;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;
use crate::state::AppState;

/// At most this many expiries are recorded per transaction.
const BATCH: i64 = 500;

/// Records a `consent_expired` event for every grant that has passed its
/// expiry unrevoked and has none yet; returns how many it recorded.
pub fn record_expiries(conn: &mut PgConnection) -> Result<usize, ApiError> {
    let now = live::now();
    let due: Vec<Uuid> = consents::table
        .filter(live::consent_expired(now))
        .filter(consents::expiry_recorded_at.is_null())
        .select(consents::id)
        .order(consents::expires_at)
        .limit(BATCH)
        .for_update()
        .skip_locked()
        .load(conn)?;
    if due.is_empty() {
        return Ok(0);
    }
    let ended: Vec<(Uuid, Uuid, Uuid)> = diesel::update(consents::table)
        .filter(consents::id.eq_any(&due))
        .set(consents::expiry_recorded_at.eq(now))
        .returning((consents::id, consents::patient_id, consents::grantee_id))
        .get_results(conn)?;
    let ctx = RequestContext::system("consent-expiry");
    let events: Vec<NewEvent> = ended
        .iter()
        .map(|(consent_id, patient_id, grantee_id)| {
            NewEvent::new(Action::ConsentExpired, &ctx)
                .patient_uuid(*patient_id)
                .subject_user(UserId(*grantee_id))
                .with_basis(&Basis::Consent(*consent_id))
        })
        .collect();
    ledger::record_all(conn, &events)?;
    Ok(ended.len())
}

/// Sweeps every `interval` for as long as the server's runtime lives.
pub fn spawn(state: web::Data<AppState>, interval: Duration) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(interval).await;
            match state.db.run(record_expiries).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(recorded = n, "consent expiries recorded"),
                Err(e) => {
                    tracing::warn!(error = %e, "recording consent expiries failed; will retry")
                }
            }
        }
    });
}
