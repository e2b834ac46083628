//! Pure mapping from CareLedger's chart to FHIR R4 resources (JSON). Each
//! record kind maps to its natural resource; every record version gets a
//! `Provenance` naming its author, time and the ledger event (sequence number
//! and covering checkpoint) that proves it. Ids are stable: a resource's id
//! is the record's id, a Provenance's id is derived from record id and
//! version, so re-exporting the same chart yields the same ids.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use shared::consents::{AccessLevel, Consent, ConsentScope};
use shared::patients::{PatientProfile, Sex};
use shared::records::{RecordKind, RecordView};
use uuid::Uuid;

const UCUM: &str = "http://unitsofmeasure.org";
const LOINC: &str = "http://loinc.org";

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

fn reference(id: Uuid) -> Value {
    json!({ "reference": urn(id) })
}

fn text(concept: &str) -> Value {
    json!({ "text": concept })
}

fn str_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
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

/// The FHIR resource for the latest version of a readable record, or `None`
/// when its body could not be read.
pub fn record(patient_id: Uuid, rec: &RecordView) -> Option<Value> {
    let body = rec.body.as_ref()?;
    let id = rec.id.0.to_string();
    let subject = reference(patient_id);
    let when = rec.version_created_at.to_rfc3339();
    let author = json!({ "display": rec.author_name });
    let resource = match rec.kind {
        RecordKind::Diagnosis => {
            let mut r = json!({
                "resourceType": "Condition", "id": id, "subject": subject,
                "code": text(str_field(body, "condition").unwrap_or(&rec.title)),
                "recordedDate": when, "recorder": author,
            });
            if let Some(code) = str_field(body, "code") {
                r["code"]["coding"] =
                    json!([{ "system": "http://hl7.org/fhir/sid/icd-10", "code": code }]);
            }
            let status = str_field(body, "status").map(str::to_ascii_lowercase);
            if let Some(s) = status.filter(|s| {
                [
                    "active",
                    "recurrence",
                    "relapse",
                    "inactive",
                    "remission",
                    "resolved",
                ]
                .contains(&s.as_str())
            }) {
                r["clinicalStatus"] = json!({ "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": s }] });
            }
            add_note(&mut r, str_field(body, "notes"));
            r
        }
        RecordKind::Prescription => {
            let parts: Vec<&str> = ["dose", "route", "frequency", "duration"]
                .iter()
                .filter_map(|f| str_field(body, f))
                .collect();
            let mut dosage = json!({ "text": parts.join(", ") });
            if let Some(route) = str_field(body, "route") {
                dosage["route"] = text(route);
            }
            let mut r = json!({
                "resourceType": "MedicationRequest", "id": id, "status": "active", "intent": "order",
                "medicationCodeableConcept": text(str_field(body, "drug").unwrap_or(&rec.title)),
                "subject": subject, "authoredOn": when, "requester": author,
                "dosageInstruction": [dosage],
            });
            add_note(&mut r, str_field(body, "notes"));
            r
        }
        RecordKind::LabResult => {
            let mut r = json!({
                "resourceType": "Observation", "id": id, "status": "final",
                "category": [category("laboratory")],
                "code": text(str_field(body, "test").unwrap_or(&rec.title)),
                "subject": subject, "effectiveDateTime": when, "issued": when, "performer": [author],
            });
            if let Some(collected) = str_field(body, "collected_on") {
                r["effectiveDateTime"] = json!(collected);
            }
            let value = str_field(body, "value").unwrap_or_default();
            match (value.trim().parse::<f64>(), str_field(body, "unit")) {
                (Ok(number), Some(unit)) if number.is_finite() => {
                    r["valueQuantity"] =
                        json!({ "value": number, "unit": unit, "system": UCUM, "code": unit });
                }
                (Ok(number), None) if number.is_finite() => {
                    r["valueQuantity"] = json!({ "value": number })
                }
                _ => r["valueString"] = json!(value),
            }
            if let Some(range) = str_field(body, "reference_range") {
                r["referenceRange"] = json!([{ "text": range }]);
            }
            r
        }
        RecordKind::Vitals => vitals(&id, subject, &when, author, body),
        RecordKind::Allergy => {
            let mut reaction = json!({
                "manifestation": [text(str_field(body, "reaction").unwrap_or("unspecified"))],
            });
            if let Some(sev) = str_field(body, "severity")
                .map(str::to_ascii_lowercase)
                .filter(|s| ["mild", "moderate", "severe"].contains(&s.as_str()))
            {
                reaction["severity"] = json!(sev);
            }
            json!({
                "resourceType": "AllergyIntolerance", "id": id, "patient": subject,
                "clinicalStatus": { "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
                "code": text(str_field(body, "substance").unwrap_or(&rec.title)),
                "recordedDate": when, "recorder": author, "reaction": [reaction],
            })
        }
        RecordKind::VisitNote | RecordKind::TreatmentUpdate | RecordKind::Document => {
            document_reference(&id, subject, &when, author, rec, body)
        }
    };
    Some(resource)
}

fn add_note(r: &mut Value, note: Option<&str>) {
    if let Some(n) = note {
        r["note"] = json!([{ "text": n }]);
    }
}

fn category(code: &str) -> Value {
    json!({ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code }] })
}

fn vitals(id: &str, subject: Value, when: &str, author: Value, body: &Value) -> Value {
    // (field, LOINC code, display, UCUM unit)
    const SIGNS: [(&str, &str, &str, &str); 6] = [
        ("heart_rate_bpm", "8867-4", "Heart rate", "/min"),
        (
            "systolic_mmhg",
            "8480-6",
            "Systolic blood pressure",
            "mm[Hg]",
        ),
        (
            "diastolic_mmhg",
            "8462-4",
            "Diastolic blood pressure",
            "mm[Hg]",
        ),
        ("temperature_c", "8310-5", "Body temperature", "Cel"),
        ("respiratory_rate", "9279-1", "Respiratory rate", "/min"),
        (
            "spo2_percent",
            "59408-5",
            "Oxygen saturation by pulse oximetry",
            "%",
        ),
    ];
    let components: Vec<Value> = SIGNS
        .iter()
        .filter_map(|(field, code, display, unit)| {
            let value = body.get(*field).and_then(Value::as_f64)?;
            Some(json!({
                "code": { "coding": [{ "system": LOINC, "code": code, "display": display }], "text": display },
                "valueQuantity": { "value": value, "unit": unit, "system": UCUM, "code": unit },
            }))
        })
        .collect();
    let mut r = json!({
        "resourceType": "Observation", "id": id, "status": "final",
        "category": [category("vital-signs")],
        "code": { "coding": [{ "system": LOINC, "code": "85353-1",
            "display": "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel" }],
            "text": "Vital signs" },
        "subject": subject, "effectiveDateTime": when, "performer": [author],
    });
    if !components.is_empty() {
        r["component"] = Value::Array(components);
    }
    r
}

fn document_reference(
    id: &str,
    subject: Value,
    when: &str,
    author: Value,
    rec: &RecordView,
    body: &Value,
) -> Value {
    let (content_type, data) = match rec.kind {
        RecordKind::Document => {
            let ct = str_field(body, "content_type").unwrap_or("application/octet-stream");
            let content = str_field(body, "content").unwrap_or_default();
            let data = if ct.starts_with("text/") || STANDARD.decode(content).is_err() {
                STANDARD.encode(content.as_bytes())
            } else {
                content.to_owned()
            };
            (ct.to_owned(), data)
        }
        RecordKind::VisitNote => {
            let mut t = str_field(body, "note").unwrap_or_default().to_owned();
            if let Some(plan) = str_field(body, "plan") {
                t.push_str("\n\nPlan: ");
                t.push_str(plan);
            }
            (
                "text/plain; charset=utf-8".to_owned(),
                STANDARD.encode(t.as_bytes()),
            )
        }
        _ => {
            let t = format!(
                "{}: {}",
                str_field(body, "treatment").unwrap_or_default(),
                str_field(body, "update").unwrap_or_default()
            );
            (
                "text/plain; charset=utf-8".to_owned(),
                STANDARD.encode(t.as_bytes()),
            )
        }
    };
    let (loinc, display) = match rec.kind {
        RecordKind::VisitNote => ("11506-3", "Progress note"),
        RecordKind::TreatmentUpdate => ("34746-8", "Nurse note"),
        _ => ("51855-5", "Patient Note"),
    };
    let mut attachment =
        json!({ "contentType": content_type, "data": data, "title": rec.title, "creation": when });
    if rec.kind == RecordKind::Document {
        if let Some(name) = str_field(body, "filename") {
            attachment["title"] = json!(name);
        }
    }
    let mut r = json!({
        "resourceType": "DocumentReference", "id": id, "status": "current",
        "type": { "coding": [{ "system": LOINC, "code": loinc, "display": display }], "text": rec.kind.as_str() },
        "subject": subject, "date": when, "author": [author], "description": rec.title,
        "content": [{ "attachment": attachment }],
    });
    if let Some(d) = str_field(body, "description") {
        r["description"] = json!(d);
    }
    r
}

/// One Provenance per record version.
pub fn provenance(
    rec: &RecordView,
    version: &RecordView,
    proof: Option<LedgerProof>,
) -> (Uuid, Value) {
    let id = derived_id(&[
        b"provenance",
        rec.id.0.as_bytes(),
        &version.version.to_be_bytes(),
    ]);
    let mut r = json!({
        "resourceType": "Provenance", "id": id.to_string(),
        "target": [{ "reference": urn(rec.id.0), "display": format!("{} version {}", rec.title, version.version) }],
        "recorded": version.version_created_at.to_rfc3339(),
        "activity": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": if version.version == 1 { "CREATE" } else { "UPDATE" } }] },
        "agent": [{
            "type": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "author" }] },
            "who": { "display": format!("{} ({})", version.author_name, version.author_role) },
        }],
    });
    if let Some(reason) = version.reason.as_deref() {
        r["reason"] = json!([{ "text": reason }]);
    }
    if let Some(p) = proof {
        let mut what = Map::new();
        what.insert(
            "identifier".into(),
            json!({ "system": "urn:careledger:ledger:seq", "value": p.seq.to_string() }),
        );
        let display = match p.checkpoint_size {
            Some(size) => format!("ledger event {} in signed checkpoint of size {size}", p.seq),
            None => format!("ledger event {} (not yet in a signed checkpoint)", p.seq),
        };
        what.insert("display".into(), json!(display));
        r["entity"] = json!([{ "role": "source", "what": Value::Object(what) }]);
        if let Some(size) = p.checkpoint_size {
            r["policy"] = json!([format!("urn:careledger:ledger:checkpoint:{size}")]);
        }
    }
    (id, r)
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
        "resourceType": "Consent", "id": c.id.0.to_string(), "status": "active",
        "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
        "category": [{ "coding": [{ "system": LOINC, "code": "59284-0", "display": "Patient Consent" }] }],
        "patient": reference(c.patient_id.0),
        "dateTime": c.created_at.to_rfc3339(),
        "policyRule": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN" }] },
        "provision": provision,
    })
}
