//! Lab results and vitals → Observations. A lab value is a Quantity when it
//! is a number (with a comparator for `<5`, `>=200`), its unit coded in UCUM
//! only when `ucum` says the unit is UCUM. Vitals follow R4's vital-signs
//! profiles: a `vitalspanel` Observation (LOINC 85353-1) whose `hasMember`
//! points at one Observation per sign, each carrying its own profile, LOINC
//! code and UCUM unit (blood pressure as one `bp` Observation with systolic
//! and diastolic components; SpO₂ coded 2708-6 and 59408-5).

use serde_json::{json, Value};
use shared::records::{f32_decimal, RecordView};
use uuid::Uuid;

use super::resources::{derived_id, record_meta, reference, str_field, text, LOINC};
use super::ucum;

const UCUM: &str = "http://unitsofmeasure.org";
const PROFILE: &str = "http://hl7.org/fhir/StructureDefinition/";

fn category(code: &str) -> Value {
    json!([{ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code }] }])
}

fn loinc(code: &str, display: &str) -> Value {
    json!({ "system": LOINC, "code": code, "display": display })
}

/// `"<5"` → (`<`, 5); `"3.1"` → (none, 3.1); anything else is not a number.
fn quantity_value(raw: &str) -> Option<(Option<&'static str>, f64)> {
    let t = raw.trim();
    let (comparator, rest) = [
        ("<=", "<="),
        (">=", ">="),
        ("≤", "<="),
        ("≥", ">="),
        ("<", "<"),
        (">", ">"),
    ]
    .iter()
    .find_map(|(typed, fhir)| t.strip_prefix(typed).map(|r| (Some(*fhir), r)))
    .unwrap_or((None, t));
    let number: f64 = rest.trim().parse().ok()?;
    number.is_finite().then_some((comparator, number))
}

pub fn lab(rec: &RecordView, body: &Value, subject: Value, author: &Value) -> Value {
    let when = rec.version_created_at.to_rfc3339();
    let mut code = text(str_field(body, "test").unwrap_or(&rec.title));
    if let Some(c) = str_field(body, "loinc") {
        code["coding"] = json!([{ "system": LOINC, "code": c }]);
    }
    let mut r = json!({
        "resourceType": "Observation", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "status": "final", "category": category("laboratory"), "code": code,
        "subject": subject, "effectiveDateTime": when, "issued": when, "performer": [author],
    });
    if let Some(collected) = str_field(body, "collected_on") {
        r["effectiveDateTime"] = json!(collected);
    }
    let value = str_field(body, "value").unwrap_or_default();
    match quantity_value(value) {
        Some((comparator, number)) => {
            let mut q = json!({ "value": number });
            if let Some(c) = comparator {
                q["comparator"] = json!(c);
            }
            if let Some(unit) = str_field(body, "unit") {
                q["unit"] = json!(unit);
                if let Some(code) = ucum::code(unit) {
                    q["system"] = json!(UCUM);
                    q["code"] = json!(code);
                }
            }
            r["valueQuantity"] = q;
        }
        None => r["valueString"] = json!(value),
    }
    if let Some(range) = str_field(body, "reference_range") {
        r["referenceRange"] = json!([{ "text": range }]);
    }
    r
}

fn ucum_quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": UCUM, "code": unit })
}

/// `(profile, LOINC codings, display, UCUM unit)` of a single-value sign.
type Sign = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);
const SIGNS: [(&str, Sign); 4] = [
    (
        "heart_rate_bpm",
        (
            "heartrate",
            &[("8867-4", "Heart rate")],
            "Heart rate",
            "/min",
        ),
    ),
    (
        "temperature_c",
        (
            "bodytemp",
            &[("8310-5", "Body temperature")],
            "Body temperature",
            "Cel",
        ),
    ),
    (
        "respiratory_rate",
        (
            "resprate",
            &[("9279-1", "Respiratory rate")],
            "Respiratory rate",
            "/min",
        ),
    ),
    (
        "spo2_percent",
        (
            "oxygensat",
            &[
                ("2708-6", "Oxygen saturation in Arterial blood"),
                (
                    "59408-5",
                    "Oxygen saturation in Arterial blood by Pulse oximetry",
                ),
            ],
            "Oxygen saturation",
            "%",
        ),
    ),
];

fn number(body: &Value, field: &str) -> Option<f64> {
    let v = body.get(field).and_then(Value::as_f64)?;
    // Bodies stored before temperatures were written as decimals hold the
    // f32 widened to f64 (37.20000076293945): read back what was typed.
    Some(if field == "temperature_c" {
        f32_decimal(v as f32)
    } else {
        v
    })
}

/// The panel (the record's own id) first, then its members.
pub fn vitals(
    rec: &RecordView,
    body: &Value,
    subject: &Value,
    author: &Value,
) -> Vec<(Uuid, Value)> {
    let when = rec.version_created_at.to_rfc3339();
    let member = |code: &str, profile: &str, codings: Value, display: &str| {
        let id = derived_id(&[b"vital-sign", rec.id.0.as_bytes(), code.as_bytes()]);
        let mut meta = record_meta(rec);
        meta["profile"] = json!([format!("{PROFILE}{profile}")]);
        let r = json!({
            "resourceType": "Observation", "id": id.to_string(), "meta": meta,
            "status": "final", "category": category("vital-signs"),
            "code": { "coding": codings, "text": display },
            "subject": subject, "effectiveDateTime": when, "performer": [author],
        });
        (id, r)
    };
    let mut members = Vec::new();
    for (field, (profile, codes, display, unit)) in SIGNS {
        let Some(value) = number(body, field) else {
            continue;
        };
        let codings: Vec<Value> = codes.iter().map(|(c, d)| loinc(c, d)).collect();
        let (id, mut r) = member(codes[0].0, profile, json!(codings), display);
        r["valueQuantity"] = ucum_quantity(value, unit);
        members.push((id, r));
    }
    let systolic = number(body, "systolic_mmhg");
    let diastolic = number(body, "diastolic_mmhg");
    if systolic.is_some() || diastolic.is_some() {
        let component = |code: &str, display: &str, value: Option<f64>| {
            let mut c = json!({ "code": { "coding": [loinc(code, display)], "text": display } });
            match value {
                Some(v) => c["valueQuantity"] = ucum_quantity(v, "mm[Hg]"),
                None => {
                    c["dataAbsentReason"] = json!({ "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "not-performed" }] })
                }
            }
            c
        };
        let codings = json!([loinc(
            "85354-9",
            "Blood pressure panel with all children optional"
        )]);
        let (id, mut r) = member("85354-9", "bp", codings, "Blood pressure");
        r["component"] = json!([
            component("8480-6", "Systolic blood pressure", systolic),
            component("8462-4", "Diastolic blood pressure", diastolic),
        ]);
        members.push((id, r));
    }
    let mut panel = json!({
        "resourceType": "Observation", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "status": "final", "category": category("vital-signs"),
        "code": { "coding": [loinc("85353-1",
            "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel")],
            "text": "Vital signs" },
        "subject": subject, "effectiveDateTime": when, "performer": [author],
    });
    if members.is_empty() {
        // A body with no measurement (only possible for old records) is not
        // a vitalspanel: it says so instead of claiming the profile.
        panel["dataAbsentReason"] = json!({ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed" }] });
    } else {
        panel["meta"]["profile"] = json!([format!("{PROFILE}vitalspanel")]);
        panel["hasMember"] = json!(members
            .iter()
            .map(|(id, _)| reference(*id))
            .collect::<Vec<_>>());
    }
    let mut all = vec![(rec.id.0, panel)];
    all.extend(members);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparators_and_numbers() {
        assert_eq!(quantity_value("<5"), Some((Some("<"), 5.0)));
        assert_eq!(quantity_value(" >= 200 "), Some((Some(">="), 200.0)));
        assert_eq!(quantity_value("≤0.01"), Some((Some("<="), 0.01)));
        assert_eq!(quantity_value("3.1"), Some((None, 3.1)));
        assert_eq!(quantity_value("positive"), None);
        assert_eq!(quantity_value("<"), None);
        assert_eq!(quantity_value("NaN"), None);
    }
}
