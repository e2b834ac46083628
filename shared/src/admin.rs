//! Oversight views for admins: who can access which chart and why, and
//! demographic counts. No clinical text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consents::AccessLevel;
use crate::patients::Sex;
use crate::{PatientId, Role, UserId};

/// Why someone can access a chart (the ledger's basis names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BasisKind {
    Role,
    OwnChart,
    Guardian,
    Consent,
    Emergency,
}

impl BasisKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BasisKind::Role => "role",
            BasisKind::OwnChart => "own_chart",
            BasisKind::Guardian => "guardian",
            BasisKind::Consent => "consent",
            BasisKind::Emergency => "emergency",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessOverviewEntry {
    pub patient_id: PatientId,
    pub patient_name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub role: Role,
    pub basis: BasisKind,
    /// The consent, guardianship or emergency id.
    pub basis_id: Option<uuid::Uuid>,
    pub access: AccessLevel,
    /// Open-ended when absent.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgeBandCount {
    /// e.g. `0-17`, `80+`, `unknown`.
    pub band: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SexCount {
    pub sex: Sex,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Demographics {
    pub total: i64,
    pub age_bands: Vec<AgeBandCount>,
    pub sex: Vec<SexCount>,
}
