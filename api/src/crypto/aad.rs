//! What a sealed value is bound to: the associated data of every seal, one
//! variant per kind of sealed value, each with its own domain prefix so a
//! ciphertext of one kind never opens as another.

use uuid::Uuid;

/// What a ciphertext is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aad {
    RecordBody {
        record_id: Uuid,
        version: i32,
        patient_id: Uuid,
    },
    PatientContact {
        patient_id: Uuid,
    },
    /// An account's TOTP secret.
    TotpSecret {
        user_id: Uuid,
    },
    /// A stored idempotent answer: the caller and SHA-256 of their key.
    IdempotentAnswer {
        actor_id: Uuid,
        key_digest: [u8; 32],
    },
    /// A record version's title.
    RecordTitle {
        record_id: Uuid,
        version: i32,
        patient_id: Uuid,
    },
    /// An amendment's reason (the version it made).
    AmendReason {
        record_id: Uuid,
        version: i32,
        patient_id: Uuid,
    },
    /// An access request's purpose.
    RequestPurpose {
        request_id: Uuid,
        patient_id: Uuid,
        requester_id: Uuid,
    },
    /// An emergency access's reason.
    EmergencyReason {
        access_id: Uuid,
        patient_id: Uuid,
        doctor_id: Uuid,
    },
}

impl Aad {
    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        match self {
            Aad::RecordBody {
                record_id,
                version,
                patient_id,
            } => {
                out.extend_from_slice(b"careledger/record-body/v1\0");
                out.extend_from_slice(record_id.as_bytes());
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(patient_id.as_bytes());
            }
            Aad::PatientContact { patient_id } => {
                out.extend_from_slice(b"careledger/patient-contact/v1\0");
                out.extend_from_slice(patient_id.as_bytes());
            }
            // The layout secrets were first sealed with; kept so they open.
            Aad::TotpSecret { user_id } => {
                out.extend_from_slice(b"careledger:totp:");
                out.extend_from_slice(user_id.as_bytes());
            }
            Aad::IdempotentAnswer {
                actor_id,
                key_digest,
            } => {
                out.extend_from_slice(b"careledger/idempotent-answer/v1\0");
                out.extend_from_slice(actor_id.as_bytes());
                out.extend_from_slice(key_digest);
            }
            Aad::RecordTitle {
                record_id,
                version,
                patient_id,
            } => {
                out.extend_from_slice(b"careledger/record-title/v1\0");
                out.extend_from_slice(record_id.as_bytes());
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(patient_id.as_bytes());
            }
            Aad::AmendReason {
                record_id,
                version,
                patient_id,
            } => {
                out.extend_from_slice(b"careledger/amend-reason/v1\0");
                out.extend_from_slice(record_id.as_bytes());
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(patient_id.as_bytes());
            }
            Aad::RequestPurpose {
                request_id,
                patient_id,
                requester_id,
            } => {
                out.extend_from_slice(b"careledger/request-purpose/v1\0");
                out.extend_from_slice(request_id.as_bytes());
                out.extend_from_slice(patient_id.as_bytes());
                out.extend_from_slice(requester_id.as_bytes());
            }
            Aad::EmergencyReason {
                access_id,
                patient_id,
                doctor_id,
            } => {
                out.extend_from_slice(b"careledger/emergency-reason/v1\0");
                out.extend_from_slice(access_id.as_bytes());
                out.extend_from_slice(patient_id.as_bytes());
                out.extend_from_slice(doctor_id.as_bytes());
            }
        }
        out
    }
}
