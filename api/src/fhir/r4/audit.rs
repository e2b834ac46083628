//! Ledger events as R4 AuditEvents, shaped after IHE Basic Audit Log
//! Patterns (BALP): `type` rest, `subtype` the RESTful interaction, the
//! actor as the requesting agent (with the network address the event
//! recorded), CareLedger as the observing source, and the patient, the
//! record and the ledger entry itself (`urn:careledger:ledger:seq`, so the
//! event can be proven with an inclusion proof) as entities. BALP's
//! StructureDefinitions are not claimed in `meta.profile`: the strict R4
//! validator has no copy of them to check the claim against.

use serde_json::{json, Value};
use shared::ledger::api::LedgerEventItem;
use shared::ledger::{Action, Outcome};

use crate::fhir::resources::derived_id;

/// R4 `AuditEvent.action` (C R U D E) and the RESTful interaction.
fn crud(action: Action) -> (&'static str, &'static str) {
    use Action::*;
    match action {
        RecordViewed | SealedRecordViewed | UserViewed | OversightViewed | GuardiansViewed
        | DirectorySearched => ("R", "read"),
        Export | LedgerVerified => ("E", "search-type"),
        RecordCreated | PatientRegistered | UserCreated | ConsentGranted | AccessRequested
        | EmergencyOpened | GuardianLinked => ("C", "create"),
        RecordAmended | UserChanged | AccessApproved | AccessDenied | ConsentRevoked
        | ConsentExpired | EmergencyReviewed | PasswordChanged | MfaEnabled | MfaDisabled => {
            ("U", "update")
        }
        _ => ("E", "operation"),
    }
}

pub fn audit_event(item: &LedgerEventItem) -> Value {
    let e = &item.event;
    let b = &e.body;
    let seq = e.seq.to_string();
    let (code, interaction) = crud(b.action);
    let mut agent = json!({
        "type": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
            "code": "IRCP", "display": "information recipient" }] },
        "requestor": true,
    });
    match b.actor_id {
        Some(id) => {
            agent["who"] = json!({ "identifier": {
                "system": "urn:careledger:user", "value": id.to_string() } });
        }
        None => agent["who"] = json!({ "display": "anonymous" }),
    }
    if let Some(role) = b.actor_role {
        agent["role"] = json!([{ "text": role.as_str() }]);
    }
    if let Some(addr) = b.source_addr.as_deref().filter(|a| !a.is_empty()) {
        agent["network"] = json!({ "address": addr, "type": "2" });
    }
    let mut entity = Vec::new();
    if let Some(p) = b.patient_id {
        entity.push(json!({
            "what": { "reference": format!("Patient/{p}") },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1" },
        }));
    }
    if let Some(r) = b.record_id {
        entity.push(json!({
            "what": { "identifier": { "system": "urn:careledger:record", "value": r.to_string() } },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4" },
        }));
    }
    entity.push(json!({
        "what": { "identifier": { "system": "urn:careledger:ledger:seq", "value": seq } },
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2" },
        "name": b.action.as_str(),
    }));
    let mut r = json!({
        "resourceType": "AuditEvent",
        "id": derived_id(&[b"audit-event", seq.as_bytes()]).to_string(),
        "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "Restful Operation" },
        "subtype": [{ "system": "http://hl7.org/fhir/restful-interaction", "code": interaction }],
        "action": code,
        "recorded": b.time.to_rfc3339(),
        "outcome": match b.outcome { Outcome::Allowed => "0", Outcome::Denied => "4" },
        "agent": [agent],
        "source": {
            "observer": { "display": "CareLedger" },
            "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4" }],
        },
        "entity": entity,
    });
    if let Some(id) = &b.request_id {
        r["source"]["site"] = json!(format!("request {id}"));
    }
    r
}
