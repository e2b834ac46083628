//! What an event records: the action and whether it was allowed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    TokenRefreshed,
    RefreshReuseDetected,
    PasswordChanged,
    MfaEnabled,
    MfaDisabled,
    UserCreated,
    UserChanged,
    PatientRegistered,
    DirectorySearched,
    AccessRequested,
    AccessApproved,
    AccessDenied,
    ConsentGranted,
    ConsentRevoked,
    ConsentExpired,
    GuardianLinked,
    EmergencyOpened,
    EmergencyReviewed,
    RecordViewed,
    RecordCreated,
    RecordAmended,
    SealedRecordViewed,
    /// The account list or one account (admins; recorded when refused).
    UserViewed,
    /// The access overview or demographics (admins; recorded when refused).
    OversightViewed,
    /// A chart's guardian links (recorded when refused).
    GuardiansViewed,
    Export,
    KeyRotated,
    CheckpointSigned,
    LedgerVerified,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::TokenRefreshed,
        Action::RefreshReuseDetected,
        Action::PasswordChanged,
        Action::MfaEnabled,
        Action::MfaDisabled,
        Action::UserCreated,
        Action::UserChanged,
        Action::PatientRegistered,
        Action::DirectorySearched,
        Action::AccessRequested,
        Action::AccessApproved,
        Action::AccessDenied,
        Action::ConsentGranted,
        Action::ConsentRevoked,
        Action::ConsentExpired,
        Action::GuardianLinked,
        Action::EmergencyOpened,
        Action::EmergencyReviewed,
        Action::RecordViewed,
        Action::RecordCreated,
        Action::RecordAmended,
        Action::SealedRecordViewed,
        Action::UserViewed,
        Action::OversightViewed,
        Action::GuardiansViewed,
        Action::Export,
        Action::KeyRotated,
        Action::CheckpointSigned,
        Action::LedgerVerified,
    ];

    /// The stable wire and storage name; part of the canonical event encoding,
    /// so existing names must never change.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::TokenRefreshed => "token_refreshed",
            Action::RefreshReuseDetected => "refresh_reuse_detected",
            Action::PasswordChanged => "password_changed",
            Action::MfaEnabled => "mfa_enabled",
            Action::MfaDisabled => "mfa_disabled",
            Action::UserCreated => "user_created",
            Action::UserChanged => "user_changed",
            Action::PatientRegistered => "patient_registered",
            Action::DirectorySearched => "directory_searched",
            Action::AccessRequested => "access_requested",
            Action::AccessApproved => "access_approved",
            Action::AccessDenied => "access_denied",
            Action::ConsentGranted => "consent_granted",
            Action::ConsentRevoked => "consent_revoked",
            Action::ConsentExpired => "consent_expired",
            Action::GuardianLinked => "guardian_linked",
            Action::EmergencyOpened => "emergency_opened",
            Action::EmergencyReviewed => "emergency_reviewed",
            Action::RecordViewed => "record_viewed",
            Action::RecordCreated => "record_created",
            Action::RecordAmended => "record_amended",
            Action::SealedRecordViewed => "sealed_record_viewed",
            Action::UserViewed => "user_viewed",
            Action::OversightViewed => "oversight_viewed",
            Action::GuardiansViewed => "guardians_viewed",
            Action::Export => "export",
            Action::KeyRotated => "key_rotated",
            Action::CheckpointSigned => "checkpoint_signed",
            Action::LedgerVerified => "ledger_verified",
        }
    }
}

impl std::str::FromStr for Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownAction)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown ledger action")]
pub struct UnknownAction;

/// Whether the recorded action was allowed or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allowed" => Ok(Outcome::Allowed),
            "denied" => Ok(Outcome::Denied),
            _ => Err(UnknownAction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_serde_agrees() {
        for &action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>().ok(), Some(action));
            let json = serde_json::to_string(&action).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
    }
}
