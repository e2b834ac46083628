//! The FHIR R4 façade at `/fhir/R4` (`application/fhir+json`): the
//! CapabilityStatement, read and search for the clinical resources, and
//! `Patient/{id}/$everything`, built with the export's resource builders
//! ([`crate::fhir::resources`]) from what the reader may read.
//!
//! Access is decided exactly as in the JSON API, by the audited action
//! (`access::audited`) the route hands these functions to: a read of a
//! record's resource is a `ReadRecord` with its one `record_viewed` event; a
//! search is a per-item `ListRecords` with one `record_viewed` event per
//! record whose resources are on the page (an empty page discloses and
//! logs nothing); `$everything` is an `export` event plus one more
//! `export` event per record it carries, naming the record and its
//! digest. Nothing here decides access or writes the ledger: it asks the permit ([`gather`]) and reports what it
//! disclosed. Errors are OperationOutcome ([`outcome`]).
//!
//! Resource ids are the export's: a record's resource has the record's id,
//! so `Condition/{record id}` reads it; vital-sign member Observations and
//! Provenances have ids derived from their record and are served through
//! search and `$everything` (a search that matches a vitals panel includes
//! its members), not by id.

mod audit;
pub mod bundle;
pub mod capability;
mod gather;
pub mod outcome;
pub mod search;
pub mod types;

use diesel::prelude::*;
use serde_json::Value;
use shared::Role;
use uuid::Uuid;

use crate::access::event::digest;
use std::collections::HashMap;

use shared::consents::ConsentScope;

use crate::access::scope::ListScope;
use crate::access::{Actor, Permit};
use crate::clinical::{consents, patients, records};
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::fhir::resources::{self, stamp_content_version};
use crate::ledger::log::{self, LogFilter, LogScope};
use bundle::{localize, Page};
use gather::Built;
use search::Search;
use types::ResourceType;

/// The Patient resource of a chart (the caller's `ViewProfile` was allowed).
pub fn patient(conn: &mut PgConnection, sealer: &Sealer, id: Uuid) -> Result<Value, ApiError> {
    let profile = patients::find(conn, id)?
        .ok_or(ApiError::NotFound("not found"))?
        .profile(sealer)?;
    let mut r = resources::patient(&profile);
    stamp_content_version(&mut r);
    Ok(r)
}

/// The Practitioner resource of a doctor or nurse account (anyone signed in
/// may browse the clinician directory).
pub fn practitioner(conn: &mut PgConnection, id: Uuid) -> Result<Value, ApiError> {
    use crate::db::schema::users;
    let clinician_roles = [Role::Doctor.as_str(), Role::Nurse.as_str()];
    let name: String = users::table
        .filter(users::id.eq(id))
        .filter(users::role.eq_any(clinician_roles))
        .select(users::display_name)
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound("not found"))?;
    let mut r = crate::fhir::provenance::practitioner(id, &name);
    stamp_content_version(&mut r);
    Ok(r)
}

/// The resource `t/{id}` of `record` in `patient`'s chart, for a permit
/// on that record; its digest goes on the permit's event.
pub fn read_record(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    patient: Uuid,
    t: ResourceType,
    record: Uuid,
) -> Result<Value, ApiError> {
    let chart = gather::chart(conn, sealer, permit, patient, &[t], Some(record))?;
    let Some((_, d)) = chart.opened(record) else {
        return Err(permit.refuse(ApiError::SealBroken));
    };
    let id = record.to_string();
    let mut found = chart
        .items
        .iter()
        .find(|b| b.type_name() == t.as_str() && b.resource["id"] == id.as_str())
        .map(|b| b.resource.clone())
        .ok_or(ApiError::NotFound("not found"))?;
    localize(&mut found, &chart.types());
    permit.digests(None, Some(d));
    Ok(found)
}

/// A search of type `t` in `patient`'s chart, one page, for a per-item
/// `ListRecords` permit.
pub fn search_chart(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    patient: Uuid,
    t: ResourceType,
    search: &Search,
    page: Page,
) -> Result<Value, ApiError> {
    let chart = gather::chart(conn, sealer, permit, patient, &[t], None)?;
    let matching: Vec<&Built> = chart
        .items
        .iter()
        .filter(|b| b.type_name() == t.as_str() && search.matches(&b.resource))
        .collect();
    let page = Page {
        total: matching.len(),
        ..page
    };
    let shown: Vec<&Built> = matching
        .iter()
        .skip(page.offset)
        .take(page.count)
        .copied()
        .collect();
    // A vitals panel's members come with it (search mode `include`).
    let shown_ids: Vec<&Value> = shown.iter().map(|b| &b.resource["id"]).collect();
    let members: Vec<String> = shown
        .iter()
        .flat_map(|b| b.resource["hasMember"].as_array().into_iter().flatten())
        .filter_map(|m| m["reference"].as_str())
        .map(|r| r.trim_start_matches("urn:uuid:").to_owned())
        .collect();
    let included: Vec<&Built> = chart
        .items
        .iter()
        .filter(|b| {
            b.resource["id"]
                .as_str()
                .is_some_and(|id| members.iter().any(|m| m == id))
                && !shown_ids.contains(&&b.resource["id"])
        })
        .collect();
    chart.disclose(permit, shown.iter().chain(&included).copied());
    let types = chart.types();
    let finish = |list: &[&Built]| -> Vec<Value> {
        list.iter()
            .map(|b| {
                let mut r = b.resource.clone();
                localize(&mut r, &types);
                r
            })
            .collect()
    };
    Ok(bundle::searchset(&page, finish(&shown), finish(&included)))
}

/// `Patient/{id}/$everything`: the Patient, every resource of the chart
/// the reader may read, Provenances and authors, as one searchset; the
/// digest of the bytes goes on the permit's `export` event.
pub fn everything(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    patient: Uuid,
    base: &str,
) -> Result<Vec<u8>, ApiError> {
    let chart = gather::chart(conn, sealer, permit, patient, &ResourceType::ALL, None)?;
    chart.disclose(permit, &chart.items);
    let types = chart.types();
    let mut all: Vec<Value> = std::iter::once(chart.patient.clone())
        .chain(chart.items.iter().map(|b| b.resource.clone()))
        .chain(chart.people.iter().cloned())
        .collect();
    for r in &mut all {
        localize(r, &types);
    }
    let page = Page {
        base,
        query: format!("Patient/{patient}/$everything"),
        total: all.len(),
        offset: 0,
        count: all.len().max(1),
    };
    let bundle = bundle::searchset(&page, all, Vec::new());
    let bytes =
        serde_json::to_vec(&bundle).map_err(|e| ApiError::internal("encoding FHIR bundle", e))?;
    permit.digests(None, Some(digest(&bytes)));
    Ok(bytes)
}

/// The chart's consents the actor may see (as `GET /api/v1/consents`
/// lists them: a listing, no event), one page.
pub fn consents(
    conn: &mut PgConnection,
    visible: &ListScope,
    actor: Actor,
    patient: Uuid,
    page: Page,
) -> Result<Value, ApiError> {
    let filter = consents::ListFilter {
        patient_id: Some(patient),
        grantee_id: None,
        status: None,
        limit: page.count as i64,
        offset: page.offset as i64,
    };
    let (rows, total) = consents::list(conn, visible, actor, &filter)?;
    let views = consents::to_view(conn, rows)?;
    // References: the chart, and the records a record-scoped consent names.
    let mut types = HashMap::from([(patient.to_string(), "Patient".to_owned())]);
    for c in &views {
        if let ConsentScope::Records { record_ids } = &c.scope {
            for r in record_ids {
                if let Some(row) = records::find(conn, r.0)? {
                    types.insert(
                        r.0.to_string(),
                        ResourceType::of_kind(row.kind()?).as_str().to_owned(),
                    );
                }
            }
        }
    }
    let list = views
        .iter()
        .map(|c| {
            let mut r = resources::consent(c);
            stamp_content_version(&mut r);
            localize(&mut r, &types);
            r
        })
        .collect();
    let page = Page {
        total: usize::try_from(total).unwrap_or(0),
        ..page
    };
    Ok(bundle::searchset(&page, list, Vec::new()))
}

/// The ledger's events about the chart that the actor may see (as
/// `GET /api/v1/ledger/events` lists them), as IHE BALP AuditEvents.
pub fn audit_events(
    conn: &mut PgConnection,
    scope: &LogScope,
    patient: Uuid,
    page: Page,
) -> Result<Value, ApiError> {
    let filter = LogFilter {
        patient_id: Some(patient),
        actor_id: None,
        action: None,
        from: None,
        to: None,
        limit: page.count as i64,
        offset: page.offset as i64,
    };
    let (items, total) = log::list(conn, scope, &filter)?;
    let list = items.iter().map(audit::audit_event).collect();
    let page = Page {
        total: usize::try_from(total).unwrap_or(0),
        ..page
    };
    Ok(bundle::searchset(&page, list, Vec::new()))
}
