//! Emergency ("break the glass") access: a doctor opens it with a reason for
//! at most 60 minutes; an admin reviews every one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{PatientId, UserId};

pub const MAX_MINUTES: i64 = 60;
pub const MIN_REASON_CHARS: usize = 10;

/// `POST /api/v1/patients/{id}/emergency-access` (a doctor).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenEmergencyRequest {
    /// Why: 10–1000 characters after trimming surrounding whitespace, no
    /// control characters but newlines and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 10,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]{8,998}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub reason: String,
    /// 1–60 (default 60).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub duration_minutes: Option<i64>,
}

/// List filter: `open` (not yet expired), `unreviewed`, `reviewed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmergencyStatusFilter {
    Open,
    Unreviewed,
    Reviewed,
}

/// `POST /api/v1/emergency-access/{id}/review` (an admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewEmergencyRequest {
    /// 1–1000 characters after trimming surrounding whitespace, no control characters but newlines and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]{0,998}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyAccess {
    pub id: uuid::Uuid,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub doctor_id: UserId,
    pub doctor_name: String,
    /// Why it was opened: for the doctor and the patient (or guardian); an
    /// admin sees it only in the review of this one access, never in a list.
    pub reason: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Open now (not yet expired).
    pub active: bool,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<UserId>,
    pub review_note: Option<String>,
}
