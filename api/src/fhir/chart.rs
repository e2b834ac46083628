//! The entries of a chart's export Bundle, assembled from what the caller
//! may read: the Patient, each record's resources (latest version) with one
//! Provenance per version, the authors those reference (once each), and the
//! consents. Every entry's `fullUrl` is `urn:uuid:{id}`; every resource
//! carries `meta.versionId`. Pure: access was decided before anything
//! reaches this builder.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use shared::consents::Consent;
use shared::patients::PatientProfile;
use shared::records::RecordView;
use uuid::Uuid;

use super::provenance;
use super::resources::{self, stamp_content_version, urn, LedgerProof};

pub struct ChartEntries<'a> {
    profile: &'a PatientProfile,
    entries: Vec<Value>,
    /// Authors by resource id, so each appears once.
    people: BTreeMap<Uuid, Value>,
}

fn entry(id: Uuid, resource: Value) -> Value {
    json!({ "fullUrl": urn(id), "resource": resource })
}

impl<'a> ChartEntries<'a> {
    pub fn new(profile: &'a PatientProfile) -> Self {
        let mut patient = resources::patient(profile);
        stamp_content_version(&mut patient);
        Self {
            profile,
            entries: vec![entry(profile.id.0, patient)],
            people: BTreeMap::new(),
        }
    }

    /// Adds one record from its readable versions, oldest first, each with
    /// the ledger event that proves it. A record whose latest readable
    /// version yields no resource is left out whole.
    pub fn record(&mut self, versions: &[(RecordView, Option<LedgerProof>)]) {
        let Some((latest, _)) = versions.last() else {
            return;
        };
        let patient = self.profile.id.0;
        let author = provenance::author(self.profile, latest);
        let current = resources::record(patient, latest, &author.reference);
        if current.is_empty() {
            return;
        }
        let mut provenances = Vec::with_capacity(versions.len());
        for (version, proof) in versions {
            let author = provenance::author(self.profile, version);
            let produced = resources::record(patient, version, &author.reference);
            if produced.is_empty() {
                continue;
            }
            let targets: Vec<(&str, Uuid)> = produced
                .iter()
                .map(|(id, r)| (r["resourceType"].as_str().unwrap_or("Resource"), *id))
                .collect();
            let (id, mut prov) =
                provenance::provenance(latest, version, &targets, &author.reference, *proof);
            stamp_content_version(&mut prov);
            provenances.push(entry(id, prov));
            if let Some((id, person)) = author.resource {
                self.people.entry(id).or_insert(person);
            }
        }
        self.entries
            .extend(current.into_iter().map(|(id, r)| entry(id, r)));
        self.entries.extend(provenances);
    }

    pub fn consent(&mut self, c: &Consent) {
        let mut r = resources::consent(c);
        stamp_content_version(&mut r);
        self.entries.push(entry(c.id.0, r));
    }

    pub fn into_entries(self) -> Vec<Value> {
        let mut entries = self.entries;
        for (id, mut person) in self.people {
            stamp_content_version(&mut person);
            entries.push(entry(id, person));
        }
        entries
    }
}
