//! Diagnosis → Condition, prescription → MedicationRequest, allergy →
//! AllergyIntolerance. Codes are sent with the system the body names (or,
//! for bodies stored before a system was recorded, the one system the code's
//! shape fits); a code or status that cannot be coded is kept as a note,
//! never dropped and never labelled with a system it is not from.

use serde_json::{json, Value};
use shared::coding::CodeSystem;
use shared::records::{DiagnosisStatus, RecordView};

use super::resources::{add_note, record_meta, str_field, text};

const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const CONDITION_VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const SNOMED: &str = "http://snomed.info/sct";

/// A CodeableConcept for `label`, with a coding when `code` is well-formed
/// in `system` (or in the one of `allowed` its shape fits, when the body
/// names none); otherwise the reason to keep the code as a note.
fn coded(
    label: &str,
    code: Option<&str>,
    system: Option<&str>,
    allowed: &[CodeSystem],
) -> (Value, Option<String>) {
    let mut concept = text(label);
    let Some(code) = code else {
        return (concept, None);
    };
    let system = match system {
        Some(s) => serde_json::from_value::<CodeSystem>(json!(s))
            .ok()
            .filter(|s| allowed.contains(s)),
        None => CodeSystem::infer(code, allowed),
    };
    match system.and_then(|s| s.normalize(code).map(|c| (s, c))) {
        Some((s, c)) => {
            concept["coding"] = json!([{ "system": s.uri(), "code": c }]);
            (concept, None)
        }
        None => (
            concept,
            Some(format!("Code as recorded (system not known): {code}")),
        ),
    }
}

pub fn condition(rec: &RecordView, body: &Value, subject: Value, author: &Value) -> Value {
    let (code, uncoded) = coded(
        str_field(body, "condition").unwrap_or(&rec.title),
        str_field(body, "code"),
        str_field(body, "code_system"),
        &[CodeSystem::Icd10Cm, CodeSystem::SnomedCt],
    );
    let mut r = json!({
        "resourceType": "Condition", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "subject": subject, "code": code,
        "recordedDate": rec.version_created_at.to_rfc3339(), "recorder": author,
    });
    let status = str_field(body, "status");
    match status.map(|s| (s, DiagnosisStatus::parse_lenient(s))) {
        None => {}
        Some((_, Some(s))) => {
            let (clinical, verification) = match s {
                DiagnosisStatus::Suspected => ("active", Some("provisional")),
                other => (other.as_str(), None),
            };
            r["clinicalStatus"] =
                json!({ "coding": [{ "system": CONDITION_CLINICAL, "code": clinical }] });
            if let Some(v) = verification {
                r["verificationStatus"] =
                    json!({ "coding": [{ "system": CONDITION_VERIFICATION, "code": v }] });
            }
        }
        // Written before statuses were checked: kept, as recorded.
        Some((raw, None)) => add_note(&mut r, Some(&format!("Status as recorded: {raw}"))),
    }
    add_note(&mut r, str_field(body, "notes"));
    add_note(&mut r, uncoded.as_deref());
    r
}

/// SNOMED CT route of administration for the form's routes.
fn route(name: &str) -> Value {
    let code = match name.to_ascii_lowercase().as_str() {
        "oral" => Some(("26643006", "Oral route")),
        "intravenous" => Some(("47625008", "Intravenous route")),
        "intramuscular" => Some(("78421000", "Intramuscular route")),
        "subcutaneous" => Some(("34206005", "Subcutaneous route")),
        "topical" => Some(("6064005", "Topical route")),
        "inhaled" => Some(("447694001", "Respiratory tract route")),
        _ => None,
    };
    let mut concept = text(name);
    if let Some((code, display)) = code {
        concept["coding"] = json!([{ "system": SNOMED, "code": code, "display": display }]);
    }
    concept
}

pub fn medication_request(rec: &RecordView, body: &Value, subject: Value, author: &Value) -> Value {
    let parts: Vec<&str> = ["dose", "route", "frequency", "duration"]
        .iter()
        .filter_map(|f| str_field(body, f))
        .collect();
    let mut dosage = json!({ "text": parts.join(", ") });
    if let Some(r) = str_field(body, "route") {
        dosage["route"] = route(r);
    }
    let (medication, uncoded) = coded(
        str_field(body, "drug").unwrap_or(&rec.title),
        str_field(body, "rxnorm"),
        Some("rxnorm"),
        &[CodeSystem::Rxnorm],
    );
    let mut r = json!({
        "resourceType": "MedicationRequest", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "status": "active", "intent": "order", "medicationCodeableConcept": medication,
        "subject": subject, "authoredOn": rec.version_created_at.to_rfc3339(), "requester": author,
        "dosageInstruction": [dosage],
    });
    add_note(&mut r, str_field(body, "notes"));
    add_note(&mut r, uncoded.as_deref());
    r
}

pub fn allergy(rec: &RecordView, body: &Value, subject: Value, author: &Value) -> Value {
    let mut reaction = json!({
        "manifestation": [text(str_field(body, "reaction").unwrap_or("unspecified"))],
    });
    let severity = str_field(body, "severity");
    let known = severity
        .map(str::to_ascii_lowercase)
        .filter(|s| ["mild", "moderate", "severe"].contains(&s.as_str()));
    if let Some(sev) = &known {
        reaction["severity"] = json!(sev);
    }
    let (code, uncoded) = coded(
        str_field(body, "substance").unwrap_or(&rec.title),
        str_field(body, "code"),
        str_field(body, "code_system"),
        &[CodeSystem::SnomedCt, CodeSystem::Rxnorm],
    );
    let mut r = json!({
        "resourceType": "AllergyIntolerance", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "patient": subject,
        "clinicalStatus": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active" }] },
        "code": code, "recordedDate": rec.version_created_at.to_rfc3339(), "recorder": author,
        "reaction": [reaction],
    });
    if known.is_none() {
        if let Some(raw) = severity {
            add_note(&mut r, Some(&format!("Severity as recorded: {raw}")));
        }
    }
    add_note(&mut r, uncoded.as_deref());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_codes_are_well_formed_snomed() {
        for r in [
            "oral",
            "intravenous",
            "intramuscular",
            "subcutaneous",
            "topical",
            "inhaled",
        ] {
            let code = route(r)["coding"][0]["code"].as_str().map(str::to_owned);
            let code = code.unwrap_or_default();
            assert!(CodeSystem::SnomedCt.normalize(&code).is_some(), "{r}");
        }
    }

    #[test]
    fn codes_get_only_the_system_they_fit() {
        let dx = [CodeSystem::Icd10Cm, CodeSystem::SnomedCt];
        let (c, note) = coded("Asthma", Some("195967001"), None, &dx);
        assert_eq!(c["coding"][0]["system"], SNOMED);
        assert!(note.is_none());
        let (c, _) = coded("Hypertension", Some("I10"), Some("icd10_cm"), &dx);
        assert_eq!(
            c["coding"][0]["system"],
            "http://hl7.org/fhir/sid/icd-10-cm"
        );
        let (c, note) = coded("Old", Some("401.9"), None, &dx);
        assert!(c.get("coding").is_none());
        assert!(note.is_some_and(|n| n.contains("401.9")));
        let (c, _) = coded("X", Some("195967001"), Some("icd10_cm"), &dx);
        assert!(c.get("coding").is_none(), "not labelled ICD-10-CM");
    }
}
