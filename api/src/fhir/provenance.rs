//! Who wrote each record version and how the ledger proves it: the author as
//! a resource (Practitioner for clinicians, the Patient for the patient's own
//! entries, a RelatedPerson for a guardian's), and one Provenance per record
//! version whose targets are the versioned references
//! (`Observation/{id}/_history/{version}`) of the resources that version
//! produced, with the ledger event and checkpoint that prove it.

use serde_json::{json, Map, Value};
use shared::patients::PatientProfile;
use shared::records::RecordView;
use shared::Role;
use uuid::Uuid;

use super::resources::{derived_id, reference, urn, LedgerProof};

/// The reference to a version's author, and the resource it points at
/// (`None` for the chart's own Patient, which the bundle already holds).
pub struct Author {
    pub reference: Value,
    pub resource: Option<(Uuid, Value)>,
}

pub fn author(profile: &PatientProfile, v: &RecordView) -> Author {
    let name = v.author_name.clone();
    let named = |id: Uuid| json!({ "reference": urn(id), "display": name });
    let identifier =
        json!([{ "system": "urn:careledger:user", "value": v.author_id.0.to_string() }]);
    match v.author_role {
        Role::Patient if profile.user_id == Some(v.author_id) => Author {
            reference: named(profile.id.0),
            resource: None,
        },
        // Another person with a patient account writing in this chart: a guardian.
        Role::Patient => {
            let id = derived_id(&[
                b"related-person",
                v.author_id.0.as_bytes(),
                profile.id.0.as_bytes(),
            ]);
            let r = json!({
                "resourceType": "RelatedPerson", "id": id.to_string(), "identifier": identifier,
                "patient": reference(profile.id.0), "name": [{ "text": name }],
            });
            Author {
                reference: named(id),
                resource: Some((id, r)),
            }
        }
        Role::Doctor | Role::Nurse | Role::Admin => {
            let id = v.author_id.0;
            Author {
                reference: named(id),
                resource: Some((id, practitioner(id, &name))),
            }
        }
    }
}

/// A clinician account as a Practitioner.
pub fn practitioner(id: Uuid, name: &str) -> Value {
    json!({
        "resourceType": "Practitioner", "id": id.to_string(),
        "identifier": [{ "system": "urn:careledger:user", "value": id.to_string() }],
        "name": [{ "text": name }],
    })
}

/// The Provenance of `version` of `rec`; `targets` are the (resourceType,
/// id) of the resources that version produced.
pub fn provenance(
    rec: &RecordView,
    version: &RecordView,
    targets: &[(&str, Uuid)],
    author: &Value,
    proof: Option<LedgerProof>,
) -> (Uuid, Value) {
    let id = derived_id(&[
        b"provenance",
        rec.id.0.as_bytes(),
        &version.version.to_be_bytes(),
    ]);
    let display = format!("{} version {}", rec.title, version.version);
    let targets: Vec<Value> = targets
        .iter()
        .map(|(kind, id)| {
            json!({ "reference": format!("{kind}/{id}/_history/{}", version.version), "display": display })
        })
        .collect();
    let mut who = author.clone();
    who["display"] = json!(format!("{} ({})", version.author_name, version.author_role));
    let mut r = json!({
        "resourceType": "Provenance", "id": id.to_string(),
        "target": targets,
        "recorded": version.version_created_at.to_rfc3339(),
        "activity": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": if version.version == 1 { "CREATE" } else { "UPDATE" } }] },
        "agent": [{
            "type": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type", "code": "author" }] },
            "who": who,
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
