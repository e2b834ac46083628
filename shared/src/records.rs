//! Clinical records: the eight kinds, the structured body each kind carries,
//! and the request/response bodies of the record endpoints. Bodies are parsed
//! per kind here (unknown fields refused) so the server stores one canonical
//! JSON shape per kind; this module never sees a sealed byte.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

use crate::coding::{self, CodeSystem};
use crate::error::InputError;
use crate::{PatientId, RecordId, Role, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Diagnosis,
    Prescription,
    LabResult,
    VisitNote,
    TreatmentUpdate,
    Allergy,
    Vitals,
    Document,
}

impl RecordKind {
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Diagnosis,
        RecordKind::Prescription,
        RecordKind::LabResult,
        RecordKind::VisitNote,
        RecordKind::TreatmentUpdate,
        RecordKind::Allergy,
        RecordKind::Vitals,
        RecordKind::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Diagnosis => "diagnosis",
            RecordKind::Prescription => "prescription",
            RecordKind::LabResult => "lab_result",
            RecordKind::VisitNote => "visit_note",
            RecordKind::TreatmentUpdate => "treatment_update",
            RecordKind::Allergy => "allergy",
            RecordKind::Vitals => "vitals",
            RecordKind::Document => "document",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RecordKind {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InputError::new("kind", "unknown record kind"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiagnosisBody {
    pub condition: String,
    /// An ICD-10-CM code (`E11.9`) or a SNOMED CT concept id (`195967001`).
    #[serde(default)]
    pub code: Option<String>,
    /// The system `code` is from (`icd10_cm` or `snomed_ct`). When absent
    /// it is inferred from the code's shape; stored bodies always name it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system: Option<CodeSystem>,
    #[serde(default)]
    pub status: Option<DiagnosisStatus>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Where a diagnosis stands: FHIR's condition-clinical statuses, plus
/// `suspected` (a provisional diagnosis, clinically active).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiagnosisStatus {
    Active,
    Recurrence,
    Relapse,
    Inactive,
    Remission,
    Resolved,
    Suspected,
}

impl DiagnosisStatus {
    pub const ALL: [DiagnosisStatus; 7] = [
        DiagnosisStatus::Active,
        DiagnosisStatus::Recurrence,
        DiagnosisStatus::Relapse,
        DiagnosisStatus::Inactive,
        DiagnosisStatus::Remission,
        DiagnosisStatus::Resolved,
        DiagnosisStatus::Suspected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosisStatus::Active => "active",
            DiagnosisStatus::Recurrence => "recurrence",
            DiagnosisStatus::Relapse => "relapse",
            DiagnosisStatus::Inactive => "inactive",
            DiagnosisStatus::Remission => "remission",
            DiagnosisStatus::Resolved => "resolved",
            DiagnosisStatus::Suspected => "suspected",
        }
    }

    /// Reads a stored status case-insensitively (bodies written before the
    /// status was an enum may hold other text: `None`).
    pub fn parse_lenient(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PrescriptionBody {
    pub drug: String,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub duration: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// The drug's RxNorm concept id (RxCUI), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxnorm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LabResultBody {
    pub test: String,
    pub value: String,
    pub unit: String,
    pub reference_range: String,
    #[serde(default)]
    pub collected_on: Option<NaiveDate>,
    /// The test's LOINC code (`2160-0`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loinc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitNoteBody {
    pub note: String,
    #[serde(default)]
    pub plan: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TreatmentUpdateBody {
    pub treatment: String,
    pub update: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllergyBody {
    pub substance: String,
    pub reaction: String,
    /// e.g. `mild`, `moderate`, `severe`.
    pub severity: String,
    /// The substance's code: a SNOMED CT concept id or an RxNorm RxCUI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `snomed_ct` or `rxnorm`; required with `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_system: Option<CodeSystem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VitalsBody {
    #[serde(default)]
    pub heart_rate_bpm: Option<u16>,
    #[serde(default)]
    pub systolic_mmhg: Option<u16>,
    #[serde(default)]
    pub diastolic_mmhg: Option<u16>,
    /// Stored as the shortest decimal that reads back as the same `f32`
    /// (`37.2`, never `37.20000076293945`).
    #[serde(default, serialize_with = "short_f32")]
    pub temperature_c: Option<f32>,
    #[serde(default)]
    pub respiratory_rate: Option<u16>,
    #[serde(default)]
    pub spo2_percent: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    pub filename: String,
    pub content_type: String,
    /// The document's text, or base64 for binary content (≤ 48 KiB).
    pub content: String,
    #[serde(default)]
    pub description: Option<String>,
}

fn short_f32<S: Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.serialize_f64(f32_decimal(*x)),
        None => s.serialize_none(),
    }
}

/// The `f64` nearest to the shortest decimal that reads back as `x`: what
/// the user typed, without the binary noise of widening `f32` to `f64`.
pub fn f32_decimal(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// Per-kind checks a body's fields need beyond their types (codes).
trait Checked {
    fn check(&mut self) -> Result<(), InputError> {
        Ok(())
    }
}

impl Checked for DiagnosisBody {
    fn check(&mut self) -> Result<(), InputError> {
        let allowed = [CodeSystem::Icd10Cm, CodeSystem::SnomedCt];
        (self.code, self.code_system) =
            coding::check("code", self.code.as_deref(), self.code_system, &allowed)?;
        Ok(())
    }
}

impl Checked for PrescriptionBody {
    fn check(&mut self) -> Result<(), InputError> {
        let allowed = [CodeSystem::Rxnorm];
        (self.rxnorm, _) = coding::check("rxnorm", self.rxnorm.as_deref(), None, &allowed)?;
        Ok(())
    }
}

impl Checked for LabResultBody {
    fn check(&mut self) -> Result<(), InputError> {
        let allowed = [CodeSystem::Loinc];
        (self.loinc, _) = coding::check("loinc", self.loinc.as_deref(), None, &allowed)?;
        Ok(())
    }
}

impl Checked for AllergyBody {
    fn check(&mut self) -> Result<(), InputError> {
        let allowed = [CodeSystem::SnomedCt, CodeSystem::Rxnorm];
        (self.code, self.code_system) =
            coding::check("code", self.code.as_deref(), self.code_system, &allowed)?;
        Ok(())
    }
}

impl Checked for VisitNoteBody {}
impl Checked for TreatmentUpdateBody {}
impl Checked for VitalsBody {}
impl Checked for DocumentBody {}

/// Largest serialized body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 48 * 1024;

fn typed<T: Serialize + DeserializeOwned + Checked>(
    value: &serde_json::Value,
) -> Result<serde_json::Value, InputError> {
    let mut parsed: T = serde_json::from_value(value.clone())
        .map_err(|e| InputError::new("body", format!("body does not fit this kind: {e}")))?;
    parsed.check()?;
    serde_json::to_value(parsed).map_err(|_| InputError::new("body", "body could not be encoded"))
}

/// Parses `body` as the structured body of `kind` and returns it in canonical
/// form: unknown fields refused, required text present, within the size cap.
pub fn parse_body(
    kind: RecordKind,
    body: &serde_json::Value,
) -> Result<serde_json::Value, InputError> {
    let canonical = match kind {
        RecordKind::Diagnosis => typed::<DiagnosisBody>(body)?,
        RecordKind::Prescription => typed::<PrescriptionBody>(body)?,
        RecordKind::LabResult => typed::<LabResultBody>(body)?,
        RecordKind::VisitNote => typed::<VisitNoteBody>(body)?,
        RecordKind::TreatmentUpdate => typed::<TreatmentUpdateBody>(body)?,
        RecordKind::Allergy => typed::<AllergyBody>(body)?,
        RecordKind::Vitals => typed::<VitalsBody>(body)?,
        RecordKind::Document => typed::<DocumentBody>(body)?,
    };
    if let serde_json::Value::Object(map) = &canonical {
        for (name, v) in map {
            if v.as_str().is_some_and(|s| s.trim().is_empty()) {
                return Err(InputError::new(
                    "body",
                    format!("`{name}` must not be empty"),
                ));
            }
        }
    }
    let size = serde_json::to_vec(&canonical)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_BODY_BYTES {
        return Err(InputError::new("body", "body is larger than 48 KiB"));
    }
    Ok(canonical)
}

/// A record title: 1–200 characters after trimming. Titles are metadata and
/// stay unsealed, so keep clinical detail in the body.
pub fn parse_title(raw: &str) -> Result<String, InputError> {
    let t = raw.trim();
    let n = t.chars().count();
    if !(1..=200).contains(&n) || t.chars().any(char::is_control) {
        return Err(InputError::new(
            "title",
            "title must be 1 to 200 characters",
        ));
    }
    Ok(t.to_owned())
}

/// `POST /api/v1/patients/{id}/records`. The patient comes from the path and
/// the author from the session: neither can be set here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "prescription",
    "title": "Amoxicillin for otitis media",
    "body": {"drug": "Amoxicillin", "dose": "500 mg", "route": "oral", "frequency": "three times a day", "duration": "7 days"}
})))]
#[serde(deny_unknown_fields)]
pub struct NewRecordRequest {
    pub kind: RecordKind,
    /// 1–200 characters after trimming surrounding whitespace, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,198}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub title: String,
    /// The structured body for `kind` (see the `*Body` schemas).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// `POST /api/v1/records/{id}/amendments`: a new version superseding the latest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AmendRecordRequest {
    /// New title (1–200 characters after trimming surrounding whitespace, no
    /// control characters); the previous one is kept when absent.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,198}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    #[serde(default)]
    pub title: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
    /// Why the record changed: 3–500 characters after trimming surrounding
    /// whitespace, no control characters but newlines and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]{1,498}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub reason: String,
}

/// One version of a record as a reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordView {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub kind: RecordKind,
    pub title: String,
    pub version: i32,
    /// The version this one supersedes (absent for the first).
    pub supersedes: Option<i32>,
    /// Why this version was written (amendments only).
    pub reason: Option<String>,
    pub author_id: UserId,
    pub author_name: String,
    pub author_role: Role,
    /// When the record was first created.
    pub created_at: DateTime<Utc>,
    /// When this version was written.
    pub version_created_at: DateTime<Utc>,
    /// The structured body; `null` when `unreadable`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub body: Option<serde_json::Value>,
    /// The sealed body failed its integrity check and was not disclosed.
    #[serde(default)]
    pub unreadable: bool,
}

/// `GET /api/v1/admin/records/{id}/sealed`: what the database holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedVersionView {
    pub version: i32,
    pub key_id: i32,
    /// 96-bit nonce, hex.
    pub nonce_hex: String,
    /// Ciphertext with its 128-bit tag, base64.
    pub ciphertext_base64: String,
    pub created_at: DateTime<Utc>,
}

/// A record as stored, for admins: ids, kind and each version's key id,
/// nonce and ciphertext. Never the title: titles are clinical text ("Penicillin
/// allergy"), which admins see only through their own emergency access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedRecordView {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub kind: RecordKind,
    pub versions: Vec<SealedVersionView>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_checked_per_kind() {
        let rx = json!({"drug": "amoxicillin", "dose": "500 mg", "route": "oral", "frequency": "tid", "duration": "7 days"});
        assert!(parse_body(RecordKind::Prescription, &rx).is_ok());
        assert!(parse_body(RecordKind::LabResult, &rx).is_err());
        let mut extra = rx.clone();
        extra["patient_id"] = json!("x");
        assert!(parse_body(RecordKind::Prescription, &extra).is_err());
        let mut blank = rx;
        blank["drug"] = json!("  ");
        assert!(parse_body(RecordKind::Prescription, &blank).is_err());
    }

    #[test]
    fn codes_are_checked_and_stored_with_their_system() {
        let dx = |body| parse_body(RecordKind::Diagnosis, &body);
        let snomed = dx(json!({"condition": "Asthma", "code": "195967001", "status": "active"}));
        assert_eq!(
            snomed.ok().map(|b| b["code_system"].clone()),
            Some(json!("snomed_ct"))
        );
        let icd = dx(json!({"condition": "Hypertension", "code": "i10"})).ok();
        assert_eq!(
            icd,
            Some(
                json!({"condition": "Hypertension", "code": "I10", "code_system": "icd10_cm", "status": null, "notes": null})
            )
        );
        assert!(
            dx(json!({"condition": "X", "code": "195967001", "code_system": "icd10_cm"})).is_err()
        );
        assert!(
            dx(json!({"condition": "X", "status": "chronic"})).is_err(),
            "unknown status refused"
        );
        assert!(dx(json!({"condition": "X", "status": "suspected"})).is_ok());
        let lab = json!({"test": "Creatinine", "value": "80", "unit": "umol/L", "reference_range": "60-110", "loinc": "2160-1"});
        assert!(
            parse_body(RecordKind::LabResult, &lab).is_err(),
            "LOINC check digit"
        );
    }

    #[test]
    fn temperatures_are_stored_as_typed() {
        let v = parse_body(RecordKind::Vitals, &json!({"temperature_c": 37.2})).ok();
        assert_eq!(
            v.map(|b| b["temperature_c"].to_string()),
            Some("37.2".to_owned())
        );
        assert_eq!(f32_decimal(37.2_f32), 37.2);
    }

    #[test]
    fn kinds_round_trip() {
        for k in RecordKind::ALL {
            assert_eq!(k.as_str().parse::<RecordKind>().ok(), Some(k));
            assert_eq!(serde_json::to_value(k).ok(), Some(json!(k.as_str())));
        }
    }
}
