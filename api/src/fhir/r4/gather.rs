//! The resources of one chart that the permit's reader may read, built with
//! the export's builders: each readable record's current resources (latest
//! version), a Provenance per version, the authors they reference and the
//! Patient. Nothing is disclosed here: the caller picks what it sends and
//! calls [`Chart::disclose`] for exactly those, which puts one
//! `record_viewed` disclosure per record on the permit (a record whose
//! body does not open is disclosed as denied at once, and never sent).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::types::ResourceType;
use crate::access::event::digest;
use crate::access::{Action, Basis, Permit, Target};
use crate::clinical::{patients, records};
use crate::crypto::Sealer;
use crate::error::ApiError;
use crate::fhir::resources::{self, stamp_content_version};
use crate::fhir::{ledger_proof, provenance};

/// Most records one request reads.
const MAX_RECORDS: i64 = 10_000;

/// One resource and the record it discloses (none for people and the Patient).
#[derive(Debug, Clone)]
pub struct Built {
    pub record: Option<Uuid>,
    pub resource: Value,
}

impl Built {
    pub fn type_name(&self) -> &str {
        self.resource["resourceType"].as_str().unwrap_or("")
    }
}

#[derive(Debug)]
pub struct Chart {
    pub patient: Value,
    /// Record resources and Provenances, newest record first.
    pub items: Vec<Built>,
    /// Authors (Practitioner, RelatedPerson), once each.
    pub people: Vec<Value>,
    opened: HashMap<Uuid, (Basis, [u8; 32])>,
}

impl Chart {
    /// Records the disclosure of every record behind `sent`, once each.
    pub fn disclose<'a>(&self, permit: &mut Permit, sent: impl IntoIterator<Item = &'a Built>) {
        let mut done = std::collections::HashSet::new();
        for b in sent {
            let Some(id) = b.record else { continue };
            if let Some((basis, d)) = self.opened.get(&id) {
                if done.insert(id) {
                    permit.disclose(id, *basis, Some(*d));
                }
            }
        }
    }

    /// The basis and digest of a record whose resources were built.
    pub fn opened(&self, record: Uuid) -> Option<(Basis, [u8; 32])> {
        self.opened.get(&record).copied()
    }

    /// Every resource's id and type, to turn `urn:uuid:` references into
    /// relative ones.
    pub fn types(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        let all = std::iter::once(&self.patient)
            .chain(self.items.iter().map(|b| &b.resource))
            .chain(self.people.iter());
        for r in all {
            if let (Some(id), Some(t)) = (r["id"].as_str(), r["resourceType"].as_str()) {
                map.insert(id.to_owned(), t.to_owned());
            }
        }
        map
    }
}

/// The chart's resources of `types` that the permit's reader may read
/// (of the one record `only`, when given).
pub fn chart(
    conn: &mut PgConnection,
    sealer: &Sealer,
    permit: &mut Permit,
    patient: Uuid,
    types: &[ResourceType],
    only: Option<Uuid>,
) -> Result<Chart, ApiError> {
    let profile = patients::find(conn, patient)?
        .ok_or(ApiError::NotFound("not found"))?
        .profile(sealer)?;
    let mut patient_resource = resources::patient(&profile);
    stamp_content_version(&mut patient_resource);
    let kinds: Vec<_> = types.iter().flat_map(|t| t.kinds()).copied().collect();
    let want_provenance = types.contains(&ResourceType::Provenance);
    let filter = records::ListFilter {
        limit: MAX_RECORDS,
        ..Default::default()
    };
    let (rows, _) = records::list(conn, sealer, patient, &permit.readable(), &filter)?;
    let mut allowed = Vec::new();
    for row in rows {
        if !kinds.contains(&row.kind()?) || only.is_some_and(|o| o != row.id) {
            continue;
        }
        if let Some(basis) = permit.allows(Action::ReadRecord, &Target::Record(row.as_ref()?)) {
            allowed.push((row, basis));
        }
    }
    let ids: Vec<Uuid> = allowed.iter().map(|(r, _)| r.id).collect();
    let mut by_record = records::versions_of(conn, &ids)?;
    let names = records::author_names(conn, &by_record.values().flatten().collect::<Vec<_>>())?;
    let mut items = Vec::new();
    let mut people = BTreeMap::new();
    let mut opened = HashMap::new();
    for (row, basis) in &allowed {
        let versions = by_record.remove(&row.id).unwrap_or_default();
        let mut views = Vec::with_capacity(versions.len());
        let mut latest_digest = None;
        for v in &versions {
            let (Ok(plain), Ok(texts)) = (
                v.open(sealer, row.patient_id),
                v.texts(sealer, row.patient_id),
            ) else {
                tracing::warn!(record_id = %row.id, version = v.version, "version failed to open");
                latest_digest = None;
                continue;
            };
            let author = names.get(&v.author_id).cloned().unwrap_or_default();
            let d = digest(&plain);
            latest_digest = (v.version == row.current_version).then_some(d);
            views.push((
                records::view(row, v, Some(&texts), author, Some(&plain))?,
                d,
            ));
        }
        let (Some(d), Some((latest, _))) = (latest_digest, views.last()) else {
            // The current body did not open: nothing of it goes out.
            permit.disclose(row.id, *basis, None);
            continue;
        };
        let author = provenance::author(&profile, latest);
        let current = resources::record(patient, latest, &author.reference);
        if current.is_empty() {
            continue;
        }
        opened.insert(row.id, (*basis, d));
        let record_types: Vec<ResourceType> = current
            .iter()
            .filter_map(|(_, r)| ResourceType::parse(r["resourceType"].as_str()?))
            .collect();
        if record_types.iter().any(|t| types.contains(t)) {
            if let Some((id, person)) = author.resource.clone() {
                people.entry(id).or_insert(person);
            }
            for (_, r) in &current {
                items.push(Built {
                    record: Some(row.id),
                    resource: r.clone(),
                });
            }
        }
        if !want_provenance {
            continue;
        }
        for (version, d) in &views {
            let author = provenance::author(&profile, version);
            let produced = resources::record(patient, version, &author.reference);
            let targets: Vec<(&str, Uuid)> = produced
                .iter()
                .map(|(id, r)| (r["resourceType"].as_str().unwrap_or("Resource"), *id))
                .collect();
            let proof = ledger_proof(conn, row.id, d)?;
            let (_, mut prov) =
                provenance::provenance(latest, version, &targets, &author.reference, proof);
            stamp_content_version(&mut prov);
            items.push(Built {
                record: Some(row.id),
                resource: prov,
            });
            if let Some((id, person)) = author.resource {
                people.entry(id).or_insert(person);
            }
        }
    }
    let people = people
        .into_values()
        .map(|mut p| {
            stamp_content_version(&mut p);
            p
        })
        .collect();
    Ok(Chart {
        patient: patient_resource,
        items,
        people,
        opened,
    })
}
