//! Plain words for what the ledger records: the one mapping from
//! [`Action`] to the words people read, which actions belong in a patient's
//! "who saw my data" log, and the groups its filter offers. Exhaustive
//! matches, so a new action cannot appear on screen as a snake_case name.

use shared::ledger::{Action, BasisKind, Outcome};

/// What happened, in words ("opened a record", "granted access").
pub fn action_words(a: Action) -> &'static str {
    match a {
        Action::Login => "signed in",
        Action::LoginFailed => "failed to sign in",
        Action::Logout => "signed out",
        Action::TokenRefreshed => "kept the session alive",
        Action::RefreshReuseDetected => "a stolen session was detected and ended",
        Action::PasswordChanged => "changed the password",
        Action::MfaEnabled => "turned on two-factor sign-in",
        Action::MfaDisabled => "turned off two-factor sign-in",
        Action::UserCreated => "created an account",
        Action::UserChanged => "changed an account",
        Action::PatientRegistered => "registered a patient",
        Action::DirectorySearched => "searched the patient directory",
        Action::AccessRequested => "asked for access",
        Action::AccessApproved => "approved an access request",
        Action::AccessDenied => "refused an access request",
        Action::ConsentGranted => "granted access",
        Action::ConsentRevoked => "revoked access",
        Action::ConsentExpired => "access ended (expired)",
        Action::GuardianLinked => "linked a guardian",
        Action::EmergencyOpened => "opened emergency access",
        Action::EmergencyReviewed => "reviewed an emergency access",
        Action::RecordViewed => "opened a record",
        Action::RecordCreated => "added a record",
        Action::RecordAmended => "changed a record",
        Action::SealedRecordViewed => "looked at a sealed record (no clinical text)",
        Action::UserViewed => "looked at accounts",
        Action::OversightViewed => "looked at the access overview",
        Action::GuardiansViewed => "looked at the guardians of a chart",
        Action::Export => "downloaded the chart",
        Action::KeyRotated => "rotated the record key",
        Action::CheckpointSigned => "signed a ledger checkpoint",
        Action::LedgerVerified => "verified the ledger",
    }
}

/// The groups of a patient's log, for its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Someone opened the chart (record views, downloads).
    Viewed,
    /// Records added or changed.
    Changed,
    /// Who may see the chart: grants, requests, guardians.
    Access,
    /// Emergency ("break the glass") access.
    Emergency,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Viewed,
        Topic::Changed,
        Topic::Access,
        Topic::Emergency,
    ];

    pub fn words(self) -> &'static str {
        match self {
            Topic::Viewed => "Opened or downloaded the chart",
            Topic::Changed => "Added or changed records",
            Topic::Access => "Access granted, asked for or ended",
            Topic::Emergency => "Emergency access",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Topic::Viewed => "viewed",
            Topic::Changed => "changed",
            Topic::Access => "access",
            Topic::Emergency => "emergency",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.key() == s)
    }
}

/// The topic of an action in a patient's log, or `None` when the action does
/// not belong there (sessions, key and ledger housekeeping, an admin looking
/// at ciphertext): the patient's log is about people and their chart.
pub fn patient_topic(a: Action) -> Option<Topic> {
    match a {
        Action::RecordViewed | Action::Export => Some(Topic::Viewed),
        Action::RecordCreated | Action::RecordAmended | Action::PatientRegistered => {
            Some(Topic::Changed)
        }
        Action::AccessRequested
        | Action::AccessApproved
        | Action::AccessDenied
        | Action::ConsentGranted
        | Action::ConsentRevoked
        | Action::ConsentExpired
        | Action::GuardianLinked
        | Action::GuardiansViewed => Some(Topic::Access),
        Action::EmergencyOpened | Action::EmergencyReviewed => Some(Topic::Emergency),
        Action::Login
        | Action::LoginFailed
        | Action::Logout
        | Action::TokenRefreshed
        | Action::RefreshReuseDetected
        | Action::PasswordChanged
        | Action::MfaEnabled
        | Action::MfaDisabled
        | Action::UserCreated
        | Action::UserChanged
        | Action::DirectorySearched
        | Action::SealedRecordViewed
        | Action::UserViewed
        | Action::OversightViewed
        | Action::KeyRotated
        | Action::CheckpointSigned
        | Action::LedgerVerified => None,
    }
}

/// On what grounds ("their consent", "emergency access").
pub fn basis_words(b: BasisKind) -> &'static str {
    match b {
        BasisKind::Role => "their role",
        BasisKind::OwnChart => "own chart",
        BasisKind::Guardian => "as guardian",
        BasisKind::Consent => "with consent",
        BasisKind::Emergency => "emergency access",
    }
}

pub fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Allowed => "allowed",
        Outcome::Denied => "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_words_without_underscores() {
        for a in Action::ALL {
            let w = action_words(*a);
            assert!(!w.is_empty() && !w.contains('_'), "{a:?}: {w}");
        }
    }

    #[test]
    fn sessions_and_sealed_views_stay_out_of_the_patients_log() {
        assert_eq!(patient_topic(Action::TokenRefreshed), None);
        assert_eq!(patient_topic(Action::SealedRecordViewed), None);
        assert_eq!(patient_topic(Action::RecordViewed), Some(Topic::Viewed));
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.key()), Some(t));
        }
    }
}
