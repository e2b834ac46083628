//! Builder methods that attach a patient, record, basis and content digests
//! to a ledger event. Kept here (not in `ledger`) so the ledger module stays
//! owned by its own change set; basis names are exactly the ledger's:
//! `role`, `own_chart`, `guardian`, `consent`, `emergency`.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::Basis;
use crate::ledger::NewEvent;

pub trait EventExt {
    fn patient_uuid(self, id: Uuid) -> Self;
    fn record_uuid(self, id: Uuid) -> Self;
    fn with_basis(self, basis: &Basis) -> Self;
    /// SHA-256 digests of the prior and new plaintext bodies (never the text).
    fn digests(self, prior: Option<[u8; 32]>, new: Option<[u8; 32]>) -> Self;
}

impl EventExt for NewEvent {
    fn patient_uuid(mut self, id: Uuid) -> Self {
        self.patient_id = Some(id);
        self
    }

    fn record_uuid(mut self, id: Uuid) -> Self {
        self.record_id = Some(id);
        self
    }

    fn with_basis(mut self, basis: &Basis) -> Self {
        self.basis_kind = Some(basis.kind().as_str());
        self.basis_id = basis.id();
        self
    }

    fn digests(mut self, prior: Option<[u8; 32]>, new: Option<[u8; 32]>) -> Self {
        self.prior_digest = prior;
        self.content_digest = new;
        self
    }
}

/// SHA-256 of plaintext bytes, for `digests`.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
