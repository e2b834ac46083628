//! The one policy decision point and the audited action built on it.
//!
//! `policy::decide(actor, action, target, facts)` answers `Allow { basis }`
//! or `Deny`; nothing else in the code base decides access. Deny is the
//! default: an action is allowed only by a rule in `policy` that names its
//! basis (role, own chart, guardian link, consent id, emergency id).
//!
//! Handlers never call the policy or the ledger themselves. They go through
//! [`audited`] (`Database::audited` / `audited_find` with an [`Audit`]): it
//! loads the [`facts`], decides, commits a denied event on refusal, and
//! records the allowed event exactly once with the action, choosing
//! transaction or autocommit. Lists go through [`scope`]
//! (`Database::listing`), which decides what a list may contain. What
//! "live" means for consents, guardian links and emergency access, and the
//! one clock they are compared with, is [`live`].
//!
//! Denials answer 404 when the actor may not even see the patient's chart
//! (so ids cannot be probed) and 403 when they may see it but not do this.
//! This module never reads or returns clinical text, and imports nothing from
//! `clinical` (which imports it) nor from `routes`.

pub mod audited;
pub mod disclosed;
pub mod event;
pub mod facts;
pub mod live;
pub mod policy;
mod readable;
pub mod scope;

use shared::admin::BasisKind;
use shared::records::RecordKind;
use shared::{Role, UserId};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiError;

pub use audited::{Audit, Permit};
pub use event::EventExt;
pub use facts::Facts;
pub use readable::Readable;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

impl From<AuthUser> for Actor {
    fn from(u: AuthUser) -> Self {
        Self {
            id: u.id,
            role: u.role,
        }
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Admin-only oversight and administration.
    Administer,
    /// Search the patient directory (clinicians).
    SearchDirectory,
    /// Browse the clinician directory (anyone signed in).
    ListClinicians,
    /// Read a patient's profile.
    ViewProfile,
    /// Open a patient's record list.
    ListRecords,
    /// Read one record (target: a record).
    ReadRecord,
    /// Add a record of this kind (target: a patient).
    CreateRecord(RecordKind),
    /// Add a version to a record (target: a record).
    AmendRecord,
    /// Act for the patient: manage consents, answer requests, see the
    /// chart's requests and emergency accesses.
    ActForPatient,
    /// See who the chart's guardians are (the patient side and admins).
    ViewGuardians,
    /// Ask the patient for access (doctors).
    RequestAccess,
    /// Break the glass (doctors).
    OpenEmergency,
}

/// A record as the policy needs it: never its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub kind: RecordKind,
    pub created_by: Uuid,
}

/// What the action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    System,
    Patient(Uuid),
    Record(RecordRef),
}

impl Target {
    pub fn patient_id(&self) -> Option<Uuid> {
        match self {
            Target::System => None,
            Target::Patient(p) => Some(*p),
            Target::Record(r) => Some(r.patient_id),
        }
    }
}

/// Why an action was allowed; cited in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Role,
    OwnChart,
    Guardian(Uuid),
    Consent(Uuid),
    Emergency(Uuid),
}

impl Basis {
    pub fn kind(&self) -> BasisKind {
        match self {
            Basis::Role => BasisKind::Role,
            Basis::OwnChart => BasisKind::OwnChart,
            Basis::Guardian(_) => BasisKind::Guardian,
            Basis::Consent(_) => BasisKind::Consent,
            Basis::Emergency(_) => BasisKind::Emergency,
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Basis::Role | Basis::OwnChart => None,
            Basis::Guardian(id) | Basis::Consent(id) | Basis::Emergency(id) => Some(*id),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow {
        basis: Basis,
    },
    /// `visible`: the actor may see the chart, so the refusal is a 403
    /// rather than a 404.
    Deny {
        visible: bool,
    },
}

impl Decision {
    pub fn basis(&self) -> Option<Basis> {
        match self {
            Decision::Allow { basis } => Some(*basis),
            Decision::Deny { .. } => None,
        }
    }
}

/// The error a denial answers with: 403 when the actor may see the chart
/// (or the target is not a chart), 404 otherwise.
pub fn refusal(visible: bool) -> ApiError {
    if visible {
        ApiError::Forbidden("you may not do this")
    } else {
        ApiError::NotFound("not found")
    }
}
