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
    /// Why (at least 10 characters).
    pub reason: String,
    /// 1–60 (default 60).
    #[serde(default)]
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
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Open now (not yet expired).
    pub active: bool,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<UserId>,
    pub review_note: Option<String>,
}
