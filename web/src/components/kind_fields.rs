//! The input fields of each record kind, and turning typed-in text into the
//! kind's JSON body. The final check is `shared::records::parse_body`, the
//! same function the server runs, so the form cannot drift from the api.

use serde_json::{Map, Value};
use shared::records::RecordKind;

use super::field::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Text,
    Area,
    /// A whole number in `0..=max`.
    Whole(u32),
    Decimal,
    Date,
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    pub required: bool,
}

const fn spec(name: &'static str, label: &'static str, input: Input, required: bool) -> Spec {
    Spec {
        name,
        label,
        input,
        required,
    }
}

const SEVERITY: &[&str] = &["mild", "moderate", "severe"];
const DX_STATUS: &[&str] = &["", "active", "resolved", "suspected"];
const ROUTES: &[&str] = &[
    "oral",
    "intravenous",
    "intramuscular",
    "subcutaneous",
    "topical",
    "inhaled",
];
const CONTENT_TYPES: &[&str] = &["text/plain", "text/markdown"];

/// The fields of `kind`, in form order.
pub fn specs(kind: RecordKind) -> Vec<Spec> {
    use Input::*;
    match kind {
        RecordKind::Diagnosis => vec![
            spec("condition", "Condition", Text, true),
            spec("code", "Code (ICD-10)", Text, false),
            spec("status", "Status", Choice(DX_STATUS), false),
            spec("notes", "Notes", Area, false),
        ],
        RecordKind::Prescription => vec![
            spec("drug", "Drug", Text, true),
            spec("dose", "Dose", Text, true),
            spec("route", "Route", Choice(ROUTES), true),
            spec("frequency", "Frequency", Text, true),
            spec("duration", "Duration", Text, true),
            spec("notes", "Notes", Area, false),
        ],
        RecordKind::LabResult => vec![
            spec("test", "Test", Text, true),
            spec("value", "Value", Text, true),
            spec("unit", "Unit", Text, true),
            spec("reference_range", "Reference range", Text, true),
            spec("collected_on", "Collected on", Date, false),
        ],
        RecordKind::VisitNote => vec![
            spec("note", "Note", Area, true),
            spec("plan", "Plan", Area, false),
        ],
        RecordKind::TreatmentUpdate => vec![
            spec("treatment", "Treatment", Text, true),
            spec("update", "Update", Area, true),
        ],
        RecordKind::Allergy => vec![
            spec("substance", "Substance", Text, true),
            spec("reaction", "Reaction", Text, true),
            spec("severity", "Severity", Choice(SEVERITY), true),
        ],
        RecordKind::Vitals => vec![
            spec("heart_rate_bpm", "Heart rate (bpm)", Whole(300), false),
            spec("systolic_mmhg", "Systolic (mmHg)", Whole(300), false),
            spec("diastolic_mmhg", "Diastolic (mmHg)", Whole(300), false),
            spec("temperature_c", "Temperature (°C)", Decimal, false),
            spec(
                "respiratory_rate",
                "Respiratory rate (/min)",
                Whole(120),
                false,
            ),
            spec("spo2_percent", "SpO₂ (%)", Whole(100), false),
        ],
        RecordKind::Document => vec![
            spec("filename", "File name", Text, true),
            spec("content_type", "Type", Choice(CONTENT_TYPES), true),
            spec("content", "Content", Area, true),
            spec("description", "Description", Text, false),
        ],
    }
}

/// A person-readable name for a kind.
pub fn kind_label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Diagnosis => "Diagnosis",
        RecordKind::Prescription => "Prescription",
        RecordKind::LabResult => "Lab result",
        RecordKind::VisitNote => "Visit note",
        RecordKind::TreatmentUpdate => "Treatment update",
        RecordKind::Allergy => "Allergy",
        RecordKind::Vitals => "Vitals",
        RecordKind::Document => "Document",
    }
}

/// The initial text of every field: empty, or the first choice.
pub fn blank(kind: RecordKind) -> Vec<(String, String)> {
    specs(kind)
        .into_iter()
        .map(|s| {
            let v = match s.input {
                Input::Choice(opts) if s.required => opts.first().copied().unwrap_or(""),
                _ => "",
            };
            (s.name.to_owned(), v.to_owned())
        })
        .collect()
}

/// The text of every field from an existing body (for amending).
pub fn from_body(kind: RecordKind, body: &Value) -> Vec<(String, String)> {
    specs(kind)
        .into_iter()
        .map(|s| {
            let v = match body.get(s.name) {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            (s.name.to_owned(), v)
        })
        .collect()
}

/// Builds the body from field text, or the errors to show next to fields.
pub fn to_body(kind: RecordKind, values: &[(String, String)]) -> Result<Value, FieldErrors> {
    let mut errs = FieldErrors::default();
    let mut map = Map::new();
    for s in specs(kind) {
        let raw = values
            .iter()
            .find(|(n, _)| n == s.name)
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        if raw.is_empty() {
            if s.required {
                errs.add(s.name, format!("{} is required", s.label));
            }
            continue;
        }
        let value = match s.input {
            Input::Whole(max) => match raw.parse::<u32>() {
                Ok(n) if n <= max => Value::from(n),
                _ => {
                    errs.add(s.name, format!("Enter a whole number from 0 to {max}"));
                    continue;
                }
            },
            Input::Decimal => match raw.replace(',', ".").parse::<f64>() {
                Ok(x) if x.is_finite() && (20.0..=45.0).contains(&x) => {
                    Value::from((x * 10.0).round() / 10.0)
                }
                _ => {
                    errs.add(s.name, "Enter a temperature between 20 and 45");
                    continue;
                }
            },
            _ => Value::from(raw),
        };
        map.insert(s.name.to_owned(), value);
    }
    if kind == RecordKind::Vitals && map.is_empty() && errs.is_empty() {
        errs.add("heart_rate_bpm", "Enter at least one measurement");
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let body = Value::Object(map);
    shared::records::parse_body(kind, &body).map_err(|e| {
        let mut errs = FieldErrors::default();
        errs.add(e.field, e.message);
        errs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn every_kind_has_a_form_whose_filled_body_the_server_accepts() {
        for kind in RecordKind::ALL {
            let filled: Vec<(String, String)> = specs(kind)
                .into_iter()
                .map(|s| {
                    let v = match s.input {
                        Input::Whole(_) => "80",
                        Input::Decimal => "37.2",
                        Input::Date => "2026-11-01",
                        Input::Choice(o) => {
                            o.iter().copied().find(|c| !c.is_empty()).unwrap_or("x")
                        }
                        // Codes are checked against their system's shape.
                        _ if s.name == "code" => "J45.909",
                        _ => "some text",
                    };
                    (s.name.to_owned(), v.to_owned())
                })
                .collect();
            assert!(to_body(kind, &filled).is_ok(), "{kind}");
        }
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let errs = to_body(
            RecordKind::Prescription,
            &values(&[("drug", "amoxicillin")]),
        );
        assert_eq!(
            errs.err().and_then(|e| e.get("dose")).as_deref(),
            Some("Dose is required")
        );
        let errs = to_body(RecordKind::Vitals, &values(&[("heart_rate_bpm", "fast")]));
        assert!(errs.err().and_then(|e| e.get("heart_rate_bpm")).is_some());
    }
}
