//! FHIR R4 export of one chart (`GET /api/v1/patients/{id}/fhir`): a
//! `collection` Bundle with the Patient, one resource per record the caller
//! may read (latest version), a Provenance per version (author, time, and the
//! ledger event and checkpoint that prove it), and the active consents the
//! caller may see. Access is decided exactly as for the chart's record list;
//! the export itself is one `export` ledger event carrying the SHA-256 of the
//! bytes sent. It runs as an audited read (`access::audited`): nothing here
//! decides access or writes the ledger; it asks the permit about each record
//! and puts the digest on the permit's event.

mod chart;
mod clinical;
mod document;
mod observation;
mod provenance;
pub mod r4;
pub mod resources;
pub mod ucum;

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;
use shared::consents::ConsentStatus;
use shared::ledger::Action as Ledger;
use uuid::Uuid;

use crate::access::event::digest;
use crate::access::{scope, Action, Permit, Target};
use crate::clinical::{consents, patients, records};
use crate::crypto::Sealer;
use crate::error::ApiError;
use resources::LedgerProof;

/// Most records one export carries.
const MAX_ITEMS: i64 = 10_000;

/// Builds the export for the permit's reader (an audited `ListRecords` on
/// the chart) and puts the digest of the bytes on its event; returns them.
pub fn export(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    patient: Uuid,
) -> Result<Vec<u8>, ApiError> {
    let profile = patients::find(conn, patient)?
        .ok_or(ApiError::NotFound("not found"))?
        .profile(sealer)?;

    let mut chart = chart::ChartEntries::new(&profile);
    let readable = permit.readable();
    let filter = records::ListFilter {
        kind: None,
        query: None,
        author_id: None,
        since: None,
        until: None,
        limit: MAX_ITEMS,
        offset: 0,
    };
    let (rows, _) = records::list(conn, sealer, patient, &readable, &filter)?;
    let mut allowed = Vec::with_capacity(rows.len());
    for row in rows {
        if permit
            .allows(Action::ReadRecord, &Target::Record(row.as_ref()?))
            .is_some()
        {
            allowed.push(row);
        }
    }
    // Every version of every allowed record, and their authors' names, in
    // one query each.
    let ids: Vec<Uuid> = allowed.iter().map(|r| r.id).collect();
    let mut by_record = records::versions_of(conn, &ids)?;
    let names = records::author_names(conn, &by_record.values().flatten().collect::<Vec<_>>())?;
    for row in &allowed {
        let versions = by_record.remove(&row.id).unwrap_or_default();
        let mut views = Vec::with_capacity(versions.len());
        for v in &versions {
            // A version that does not open is left out, never sent half-read.
            let (Ok(plain), Ok(texts)) = (
                v.open(sealer, row.patient_id),
                v.texts(sealer, row.patient_id),
            ) else {
                tracing::warn!(record_id = %row.id, version = v.version, "version failed to open during export");
                continue;
            };
            let author = names.get(&v.author_id).cloned().unwrap_or_default();
            let view = records::view(row, v, Some(&texts), author, Some(&plain))?;
            views.push((view, ledger_proof(conn, row.id, &digest(&plain))?));
        }
        chart.record(&views);
    }

    let actor = permit.actor();
    let visible = scope::oversight(conn, actor)?;
    let consent_filter = consents::ListFilter {
        patient_id: Some(patient),
        grantee_id: None,
        status: Some(ConsentStatus::Active),
        limit: MAX_ITEMS,
        offset: 0,
    };
    let (consent_rows, _) = consents::list(conn, &visible, actor, &consent_filter)?;
    for c in consents::to_view(conn, consent_rows)? {
        chart.consent(&c);
    }

    let bundle = json!({
        "resourceType": "Bundle",
        "id": resources::derived_id(&[b"bundle", patient.as_bytes(), Uuid::new_v4().as_bytes()]).to_string(),
        "type": "collection",
        "timestamp": Utc::now().to_rfc3339(),
        "entry": chart.into_entries(),
    });
    let bytes =
        serde_json::to_vec(&bundle).map_err(|e| ApiError::internal("encoding FHIR bundle", e))?;
    permit.digests(None, Some(digest(&bytes)));
    Ok(bytes)
}

/// The sequenced creation (or amendment) event of the version whose
/// plaintext digest is `content`, and the first checkpoint covering it.
fn ledger_proof(
    conn: &mut PgConnection,
    record: Uuid,
    content: &[u8; 32],
) -> Result<Option<LedgerProof>, ApiError> {
    use crate::db::schema::{ledger_checkpoints, ledger_entries, ledger_events};
    let seq: Option<i64> = ledger_events::table
        .inner_join(ledger_entries::table.on(ledger_entries::id.eq(ledger_events::entry_id)))
        .filter(ledger_entries::record_id.eq(record))
        .filter(ledger_entries::action.eq_any([
            Ledger::RecordCreated.as_str(),
            Ledger::RecordAmended.as_str(),
        ]))
        .filter(ledger_entries::content_digest.eq(content.as_slice()))
        .select(ledger_events::seq)
        .order(ledger_events::seq.asc())
        .first(conn)
        .optional()?;
    let Some(seq) = seq else {
        return Ok(None);
    };
    let checkpoint_size: Option<i64> = ledger_checkpoints::table
        .filter(ledger_checkpoints::size.gt(seq))
        .select(diesel::dsl::min(ledger_checkpoints::size))
        .first(conn)?;
    Ok(Some(LedgerProof {
        seq,
        checkpoint_size,
    }))
}
