//! Consent (modelled on FHIR Consent) and access requests: what a patient or
//! guardian grants a clinician, and what a doctor asks for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::records::RecordKind;
use crate::{ConsentId, PatientId, RecordId, UserId};

/// Read, or read and write (add and amend records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    Read,
    ReadWrite,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::ReadWrite => "read_write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Self::Read),
            "read_write" => Some(Self::ReadWrite),
            _ => None,
        }
    }
}

/// What a grant covers: the whole chart, some record kinds, or named records.
/// Its schema is written by hand (below) to say what the derive cannot:
/// no other fields, at least one kind, 1–100 records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsentScope {
    Chart,
    Kinds { kinds: Vec<RecordKind> },
    Records { record_ids: Vec<RecordId> },
}

impl ConsentScope {
    /// Whether `self` grants no more than `wider` (record kinds of named
    /// records are checked by the server, which knows them).
    pub fn within(&self, wider: &ConsentScope) -> bool {
        match (self, wider) {
            (_, ConsentScope::Chart) => true,
            (ConsentScope::Kinds { kinds }, ConsentScope::Kinds { kinds: allowed }) => {
                kinds.iter().all(|k| allowed.contains(k))
            }
            (ConsentScope::Records { .. }, ConsentScope::Kinds { .. }) => true,
            (
                ConsentScope::Records { record_ids },
                ConsentScope::Records {
                    record_ids: allowed,
                },
            ) => record_ids.iter().all(|r| allowed.contains(r)),
            _ => false,
        }
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ConsentScope {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type,
        };
        use utoipa::openapi::Ref;
        use utoipa::ToSchema;
        let variant = |tag: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some([tag])),
                )
                .required("type")
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        let list = |item: std::borrow::Cow<'static, str>, max: Option<usize>| {
            ArrayBuilder::new()
                .items(Ref::from_schema_name(item))
                .min_items(Some(1))
                .max_items(max)
        };
        OneOfBuilder::new()
            .description(Some(
                "What a grant covers: the whole chart, some record kinds (at least \
                 one), or 1–100 named records of this chart. No other fields.",
            ))
            .item(variant("chart"))
            .item(
                variant("kinds")
                    .property("kinds", list(RecordKind::name(), None))
                    .required("kinds"),
            )
            .item(
                variant("records")
                    .property("record_ids", list(RecordId::name(), Some(100)))
                    .required("record_ids"),
            )
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ConsentScope {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((RecordKind::name().into(), RecordKind::schema()));
        RecordKind::schemas(schemas);
        schemas.push((RecordId::name().into(), RecordId::schema()));
        RecordId::schemas(schemas);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Active,
    Revoked,
    Expired,
}

/// `POST /api/v1/consents` (the patient or a guardian).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantConsentRequest {
    pub patient_id: PatientId,
    /// A doctor or nurse.
    pub grantee_id: UserId,
    pub access: AccessLevel,
    pub scope: ConsentScope,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    pub id: ConsentId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub grantee_id: UserId,
    pub grantee_name: String,
    pub access: AccessLevel,
    pub scope: ConsentScope,
    pub status: ConsentStatus,
    pub granted_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The access request this grant answered, if any.
    pub access_request_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// `POST /api/v1/access-requests` (a doctor).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccessRequest {
    pub patient_id: PatientId,
    /// Why access is needed: 3–500 characters after trimming surrounding
    /// whitespace, no control characters but newlines and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]{1,498}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub purpose: String,
    pub access: AccessLevel,
    pub scope: ConsentScope,
    /// How long the grant should last, 1–8760 hours.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 8760))]
    pub duration_hours: i32,
}

/// `POST /api/v1/access-requests/{id}/approve`: optionally narrower than asked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveAccessRequest {
    #[serde(default)]
    pub access: Option<AccessLevel>,
    #[serde(default)]
    pub scope: Option<ConsentScope>,
    /// 1–8760 hours (default: as requested).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 8760))]
    pub duration_hours: Option<i32>,
}

/// `POST /api/v1/access-requests/{id}/deny`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DenyAccessRequest {
    /// 1–500 characters after trimming surrounding whitespace, no control characters but newlines and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]{0,498}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequestView {
    pub id: uuid::Uuid,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub requester_id: UserId,
    pub requester_name: String,
    /// Why access is asked: for the patient (or guardian) and the
    /// requester only; `null` for admins.
    pub purpose: Option<String>,
    pub access: AccessLevel,
    pub scope: ConsentScope,
    pub duration_hours: i32,
    pub status: RequestStatus,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    pub decision_note: Option<String>,
    /// The consent created by an approval.
    pub consent_id: Option<ConsentId>,
}

/// `POST /api/v1/consents` answers with the grant; approve answers with both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalOutcome {
    pub request: AccessRequestView,
    pub consent: Consent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_is_checked() {
        let chart = ConsentScope::Chart;
        let labs = ConsentScope::Kinds {
            kinds: vec![RecordKind::LabResult],
        };
        let labs_rx = ConsentScope::Kinds {
            kinds: vec![RecordKind::LabResult, RecordKind::Prescription],
        };
        assert!(labs.within(&chart));
        assert!(labs.within(&labs_rx));
        assert!(!labs_rx.within(&labs));
        assert!(!chart.within(&labs));
    }
}
