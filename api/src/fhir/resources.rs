//! Pure mapping from CareLedger's chart to FHIR R4 resources (JSON): the
//! shared pieces (ids, references, `meta`), the Patient and Consent, and the
//! dispatch from a record kind to its resources (one per kind, but vitals:
//! a panel and one member Observation per sign). Ids are stable: a record's
//! resource has the record's id, derived resources (vital-sign members,
//! Provenances) ids derived from record id and what they are, so
//! re-exporting the same chart yields the same ids. `meta.versionId` is the
//! record version for record resources and a digest of the content for the
//! rest, so it changes exactly when the resource does. Nothing here reads
//! the database or decides access.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shared::consents::{AccessLevel, Consent, ConsentScope, ConsentStatus};
use shared::patients::{PatientProfile, Sex};
use shared::records::{RecordKind, RecordView};
use uuid::Uuid;

use super::{clinical, document, observation};

pub const LOINC: &str = "http://loinc.org";

/// Where a record version's creation sits in the ledger.
#[derive(Debug, Clone, Copy)]
pub struct LedgerProof {
    pub seq: i64,
    /// The smallest signed checkpoint that includes `seq`, when one exists yet.
    pub checkpoint_size: Option<i64>,
}

pub fn urn(id: Uuid) -> String {
    format!("urn:uuid:{id}")
}

/// A stable UUID derived from `parts` (SHA-256, formatted as a v8 UUID).
pub fn derived_id(parts: &[&[u8]]) -> Uuid {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

pub fn reference(id: Uuid) -> Value {
    json!({ "reference": urn(id) })
}

pub fn text(concept: &str) -> Value {
    json!({ "text": concept })
}

pub fn str_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

pub fn add_note(r: &mut Value, note: Option<&str>) {
    if let Some(n) = note {
        let notes = r["note"].as_array_mut();
        match notes {
            Some(list) => list.push(json!({ "text": n })),
            None => r["note"] = json!([{ "text": n }]),
        }
    }
}

/// `meta.versionId` and `meta.lastUpdated` of a record version's resource.
pub fn record_meta(rec: &RecordView) -> Value {
    json!({ "versionId": rec.version.to_string(), "lastUpdated": rec.version_created_at.to_rfc3339() })
}

/// Sets `meta.versionId` of a resource that has no version history of its
/// own to a digest of its content (without `meta`).
pub fn stamp_content_version(r: &mut Value) {
    if let Some(obj) = r.as_object_mut() {
        let meta = obj.remove("meta");
        let bytes = serde_json::to_vec(&Value::Object(obj.clone())).unwrap_or_default();
        let digest = Sha256::digest(&bytes);
        let version: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let mut meta = meta.unwrap_or_else(|| json!({}));
        meta["versionId"] = json!(version);
        obj.insert("meta".into(), meta);
    }
}

pub fn patient(p: &PatientProfile) -> Value {
    let mut r = json!({
        "resourceType": "Patient",
        "id": p.id.0.to_string(),
        "identifier": [{ "system": "urn:careledger:mrn", "value": p.mrn }],
        "name": [{ "text": p.full_name }],
        "gender": match p.sex {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        },
    });
    if let Some(dob) = p.date_of_birth {
        r["birthDate"] = json!(dob.format("%Y-%m-%d").to_string());
    }
    if let Some(contact) = p.contact.as_deref().filter(|c| !c.trim().is_empty()) {
        r["telecom"] = json!([{ "system": "other", "value": contact }]);
    }
    r
}

/// The FHIR resources (id, JSON) for the latest version of a readable
/// record, the first being the record's own; empty when its body could not
/// be read. `author` is the reference to who wrote this version.
pub fn record(patient_id: Uuid, rec: &RecordView, author: &Value) -> Vec<(Uuid, Value)> {
    let Some(body) = rec.body.as_ref() else {
        return Vec::new();
    };
    let subject = reference(patient_id);
    let one = |r: Value| vec![(rec.id.0, r)];
    match rec.kind {
        RecordKind::Diagnosis => one(clinical::condition(rec, body, subject, author)),
        RecordKind::Prescription => one(clinical::medication_request(rec, body, subject, author)),
        RecordKind::Allergy => one(clinical::allergy(rec, body, subject, author)),
        RecordKind::LabResult => one(observation::lab(rec, body, subject, author)),
        RecordKind::Vitals => observation::vitals(rec, body, &subject, author),
        RecordKind::VisitNote | RecordKind::TreatmentUpdate | RecordKind::Document => {
            one(document::document_reference(rec, body, subject, author))
        }
    }
}

pub fn consent(c: &Consent) -> Value {
    let mut provision = json!({
        "type": "permit",
        "actor": [{
            "role": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PRCP" }] },
            "reference": { "display": c.grantee_name },
        }],
        "action": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentaction",
            "code": match c.access { AccessLevel::Read => "access", AccessLevel::ReadWrite => "correct" } }] }],
        "period": { "start": c.created_at.to_rfc3339() },
    });
    if let Some(end) = c.expires_at {
        provision["period"]["end"] = json!(end.to_rfc3339());
    }
    match &c.scope {
        ConsentScope::Chart => {}
        ConsentScope::Kinds { kinds } => {
            provision["class"] = json!(kinds
                .iter()
                .map(|k| json!({ "system": "urn:careledger:record-kind", "code": k.as_str() }))
                .collect::<Vec<_>>());
        }
        ConsentScope::Records { record_ids } => {
            provision["data"] = json!(record_ids
                .iter()
                .map(|r| json!({ "meaning": "instance", "reference": { "reference": urn(r.0) } }))
                .collect::<Vec<_>>());
        }
    }
    json!({
        "resourceType": "Consent", "id": c.id.0.to_string(),
        "status": match c.status { ConsentStatus::Active => "active", ConsentStatus::Revoked | ConsentStatus::Expired => "inactive" },
        "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
        "category": [{ "coding": [{ "system": LOINC, "code": "59284-0", "display": "Patient Consent" }] }],
        "patient": reference(c.patient_id.0),
        "dateTime": c.created_at.to_rfc3339(),
        "policyRule": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN" }] },
        "provision": provision,
    })
}
