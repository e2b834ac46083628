//! The façade's CapabilityStatement (`GET /fhir/R4/metadata`): what it
//! serves is derived from [`ResourceType`], so the statement and the routes
//! cannot disagree. It is the façade's contract (the façade is not in the
//! OpenAPI document).

use serde_json::{json, Value};

use super::types::ResourceType;

fn param_type(name: &str) -> &'static str {
    match name {
        "patient" | "subject" => "reference",
        "date" => "date",
        _ => "token",
    }
}

pub fn statement(base: &str, software_version: &str) -> Value {
    let resources: Vec<Value> = ResourceType::ALL
        .iter()
        .map(|t| {
            let mut interaction = Vec::new();
            if t.readable() {
                interaction.push(json!({ "code": "read" }));
            }
            if t.searchable() {
                interaction.push(json!({ "code": "search-type" }));
            }
            let mut r = json!({ "type": t.as_str(), "interaction": interaction });
            if !t.search_params().is_empty() {
                r["searchParam"] = t
                    .search_params()
                    .iter()
                    .map(|p| json!({ "name": p, "type": param_type(p) }))
                    .collect();
            }
            if *t == ResourceType::Patient {
                r["operation"] = json!([{
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }]);
            }
            r
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": "CareLedger",
        "kind": "instance",
        "software": { "name": "CareLedger", "version": software_version },
        "implementation": {
            "description": "CareLedger FHIR R4 façade: every read is decided by the patient's consent and is a ledger event",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Reads need a bearer token. Searches on clinical resources need `patient`. Errors are OperationOutcome.",
            "security": {
                "cors": false,
                "service": [{ "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR" }] }],
            },
            "resource": resources,
        }],
    })
}
