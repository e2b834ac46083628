//! Visit notes, treatment updates and documents → DocumentReference, the
//! text (or the document's bytes) carried inline as a base64 attachment.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use shared::records::{RecordKind, RecordView};

use super::resources::{record_meta, str_field, LOINC};

pub fn document_reference(rec: &RecordView, body: &Value, subject: Value, author: &Value) -> Value {
    let when = rec.version_created_at.to_rfc3339();
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
        "resourceType": "DocumentReference", "id": rec.id.0.to_string(), "meta": record_meta(rec),
        "status": "current",
        "type": { "coding": [{ "system": LOINC, "code": loinc, "display": display }], "text": rec.kind.as_str() },
        "subject": subject, "date": when, "author": [author], "description": rec.title,
        "content": [{ "attachment": attachment }],
    });
    if let Some(d) = str_field(body, "description") {
        r["description"] = json!(d);
    }
    r
}
