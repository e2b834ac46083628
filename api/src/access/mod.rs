//! The one policy decision point. `decide(actor, action, target)` answers
//! `Allow { basis }` or `Deny`; every handler that touches a chart asks it,
//! and nothing else in the code base decides access. Deny is the default:
//! an action is allowed only by a rule in `policy` that names its basis
//! (role, own chart, guardian link, consent id, emergency id).
//!
//! `authorize` is the way handlers ask: it records a denial in the ledger
//! (committed even though the request fails) and hands back a [`Permit`]
//! whose event — carrying the basis — the handler records with the action.
//!
//! Denials answer 404 when the actor may not even see the patient's chart
//! (so ids cannot be probed) and 403 when they may see it but not do this.
//! This module never reads or returns clinical text.

pub mod event;
pub mod facts;
pub mod policy;
mod readable;
pub mod scope;

use diesel::pg::PgConnection;
use shared::admin::BasisKind;
use shared::records::RecordKind;
use shared::{Role, UserId};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};

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

/// Decides with the facts loaded from the database.
pub fn decide(
    conn: &mut PgConnection,
    actor: Actor,
    action: Action,
    target: &Target,
) -> Result<Decision, ApiError> {
    let facts = match target.patient_id() {
        Some(p) => Some(Facts::load(conn, actor, p)?),
        None => None,
    };
    Ok(policy::decide(actor, action, target, facts.as_ref()))
}

/// For actions that can only be allowed (the clinician directory): decides
/// without writing an event. Anything that can be refused uses `check` or
/// `authorize`, so that every denial is in the ledger.
pub fn require(
    conn: &mut PgConnection,
    actor: Actor,
    action: Action,
    target: &Target,
) -> Result<Basis, ApiError> {
    match decide(conn, actor, action, target)? {
        Decision::Allow { basis } => Ok(basis),
        Decision::Deny { visible } => Err(refusal(visible)),
    }
}

/// For actions whose allowed outcome the handler records itself (account
/// changes, checkpoint signing, ledger verification): decides,
/// and on a denial records `event` as denied — committed although the
/// request fails — and returns the refusal, exactly as `authorize` does.
pub fn check(
    conn: &mut PgConnection,
    actor: Actor,
    action: Action,
    target: &Target,
    event: NewEvent,
) -> Result<Basis, ApiError> {
    let permit = authorize(conn, actor, action, target, event)?;
    Ok(permit.basis)
}

/// For read-only views that disclose no clinical text (account lists,
/// oversight screens, a chart's guardian list): decides and records `event`
/// either way — allowed with its basis in the caller's transaction, or
/// denied and committed although the request fails.
pub fn view(
    conn: &mut PgConnection,
    actor: Actor,
    action: Action,
    target: &Target,
    event: NewEvent,
) -> Result<Basis, ApiError> {
    authorize(conn, actor, action, target, event)?.record(conn)
}

/// A request about an object that does not exist: recorded as a denial and
/// answered 404, exactly like an object the actor may not see.
pub fn deny_missing(conn: &mut PgConnection, actor: Actor, event: NewEvent) -> ApiError {
    let event = event.actor(actor.id, actor.role).denied();
    match ledger::record(conn, &event) {
        Ok(()) => refusal(false).after_commit(),
        Err(e) => e,
    }
}

/// An allowed action's event, pre-filled with actor, target and basis. The
/// handler adds digests if any and records it with the action.
#[must_use = "an allowed action must record its event"]
#[derive(Debug)]
pub struct Permit {
    pub basis: Basis,
    pub event: NewEvent,
}

impl Permit {
    /// A copy of the event, for actions that record one event per item.
    pub fn template(&self) -> NewEvent {
        self.event.clone()
    }

    /// Records the event as it is.
    pub fn record(self, conn: &mut PgConnection) -> Result<Basis, ApiError> {
        ledger::record(conn, &self.event)?;
        Ok(self.basis)
    }
}

/// The error a denial answers with.
pub fn refusal(visible: bool) -> ApiError {
    if visible {
        ApiError::Forbidden("you may not do this")
    } else {
        ApiError::NotFound("not found")
    }
}

fn prefill(event: NewEvent, actor: Actor, target: &Target) -> NewEvent {
    let mut event = event.actor(actor.id, actor.role);
    if let Some(p) = target.patient_id() {
        event = event.patient_uuid(p);
    }
    if let Target::Record(r) = target {
        event = event.record_uuid(r.id);
    }
    event
}

/// Applies a decision already made: a denial records `event` as denied and
/// returns the refusal (committed with its event); an allow returns a permit.
pub fn enforce(
    conn: &mut PgConnection,
    decision: Decision,
    actor: Actor,
    target: &Target,
    event: NewEvent,
) -> Result<Permit, ApiError> {
    let event = prefill(event, actor, target);
    match decision {
        Decision::Allow { basis } => Ok(Permit {
            basis,
            event: event.with_basis(&basis),
        }),
        Decision::Deny { visible } => {
            ledger::record(conn, &event.denied())?;
            Err(refusal(visible).after_commit())
        }
    }
}

/// Decides, records a denial, or returns the permit for an allowed action.
pub fn authorize(
    conn: &mut PgConnection,
    actor: Actor,
    action: Action,
    target: &Target,
    event: NewEvent,
) -> Result<Permit, ApiError> {
    let decision = decide(conn, actor, action, target)?;
    enforce(conn, decision, actor, target, event)
}
