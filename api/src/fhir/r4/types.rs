//! The resource types the façade serves, and which record kinds each is
//! built from.

use shared::records::RecordKind;

/// A FHIR resource type the façade answers for; any other is a 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceType {
    Patient,
    Practitioner,
    Condition,
    Observation,
    MedicationRequest,
    AllergyIntolerance,
    DocumentReference,
    Provenance,
    Consent,
    AuditEvent,
}

impl ResourceType {
    pub const ALL: [ResourceType; 10] = [
        ResourceType::Patient,
        ResourceType::Practitioner,
        ResourceType::Condition,
        ResourceType::Observation,
        ResourceType::MedicationRequest,
        ResourceType::AllergyIntolerance,
        ResourceType::DocumentReference,
        ResourceType::Provenance,
        ResourceType::Consent,
        ResourceType::AuditEvent,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Patient => "Patient",
            ResourceType::Practitioner => "Practitioner",
            ResourceType::Condition => "Condition",
            ResourceType::Observation => "Observation",
            ResourceType::MedicationRequest => "MedicationRequest",
            ResourceType::AllergyIntolerance => "AllergyIntolerance",
            ResourceType::DocumentReference => "DocumentReference",
            ResourceType::Provenance => "Provenance",
            ResourceType::Consent => "Consent",
            ResourceType::AuditEvent => "AuditEvent",
        }
    }

    /// The record kinds whose resources are of this type (empty: not built
    /// from records). Provenance covers every kind.
    pub fn kinds(self) -> &'static [RecordKind] {
        use RecordKind::*;
        match self {
            ResourceType::Condition => &[Diagnosis],
            ResourceType::MedicationRequest => &[Prescription],
            ResourceType::AllergyIntolerance => &[Allergy],
            ResourceType::Observation => &[LabResult, Vitals],
            ResourceType::DocumentReference => &[VisitNote, TreatmentUpdate, Document],
            ResourceType::Provenance => &[
                Diagnosis,
                Prescription,
                Allergy,
                LabResult,
                Vitals,
                VisitNote,
                TreatmentUpdate,
                Document,
            ],
            ResourceType::Patient
            | ResourceType::Practitioner
            | ResourceType::Consent
            | ResourceType::AuditEvent => &[],
        }
    }

    /// The type of the (first) resource a record of `kind` becomes.
    pub fn of_kind(kind: RecordKind) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| *t != ResourceType::Provenance && t.kinds().contains(&kind))
            .unwrap_or(ResourceType::Provenance)
    }

    /// Whether `GET /fhir/R4/{type}/{id}` is served (Provenance ids are
    /// derived, so Provenances come through search and `$everything`;
    /// Consents and AuditEvents are listed per chart).
    pub fn readable(self) -> bool {
        !matches!(
            self,
            ResourceType::Provenance | ResourceType::Consent | ResourceType::AuditEvent
        )
    }

    /// Whether `GET /fhir/R4/{type}` is served (Practitioner: read only).
    pub fn searchable(self) -> bool {
        self != ResourceType::Practitioner
    }

    /// Search parameters this type accepts (besides `_count`, `_offset`).
    pub fn search_params(self) -> &'static [&'static str] {
        match self {
            ResourceType::Patient => &["_id"],
            ResourceType::Practitioner => &[],
            ResourceType::Observation => &["patient", "subject", "category", "code", "date"],
            ResourceType::Condition
            | ResourceType::MedicationRequest
            | ResourceType::AllergyIntolerance
            | ResourceType::DocumentReference => &["patient", "subject", "code", "date"],
            ResourceType::Provenance | ResourceType::Consent | ResourceType::AuditEvent => {
                &["patient"]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_and_unknown_types_do_not() {
        for t in ResourceType::ALL {
            assert_eq!(ResourceType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ResourceType::parse("Encounter"), None);
        assert_eq!(ResourceType::parse("condition"), None);
    }
}
