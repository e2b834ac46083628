//! The rules, as one pure function of (actor, action, target, facts). Deny
//! by default: each arm lists the only ways an action is allowed.
//!
//! | action | allowed for (basis) |
//! |---|---|
//! | Administer | admin (role) |
//! | SearchDirectory | doctor, nurse (role) |
//! | ListClinicians | any signed-in account (role) |
//! | RequestAccess, OpenEmergency | doctor (role), patient must exist |
//! | ViewProfile | the patient (own_chart), guardian, clinician with any live consent (consent), doctor with open emergency (emergency), admin (role) |
//! | ListRecords | own_chart, guardian, any live consent, emergency |
//! | ReadRecord | own_chart, guardian, a live consent covering the record, emergency |
//! | CreateRecord(kind) | doctor: read_write consent covering the kind, or emergency; nurse: `treatment_update`/`vitals` with read_write consent covering the kind; patient/guardian: `document`/`allergy` |
//! | AmendRecord | doctor: read_write consent covering the record, or emergency; nurse: `treatment_update`/`vitals` with such a consent; patient/guardian: `document`/`allergy` entries they wrote themselves |
//! | ActForPatient | own_chart, guardian |
//! | ViewGuardians | own_chart, guardian, admin (role) |
//!
//! Admins never get a clinical basis: they cannot open emergency access.

use shared::consents::{AccessLevel, ConsentScope};
use shared::records::RecordKind;
use shared::Role;

use super::Readable;
use crate::access::facts::{Facts, Grant};
use crate::access::{Action, Actor, Basis, Decision, RecordRef, Target};

const NURSE_KINDS: [RecordKind; 2] = [RecordKind::TreatmentUpdate, RecordKind::Vitals];
const PATIENT_KINDS: [RecordKind; 2] = [RecordKind::Document, RecordKind::Allergy];

fn covers_kind(grant: &Grant, kind: RecordKind) -> bool {
    match &grant.scope {
        ConsentScope::Chart => true,
        ConsentScope::Kinds { kinds } => kinds.contains(&kind),
        ConsentScope::Records { .. } => false,
    }
}

fn covers_record(grant: &Grant, record: &RecordRef) -> bool {
    match &grant.scope {
        ConsentScope::Chart => true,
        ConsentScope::Kinds { kinds } => kinds.contains(&record.kind),
        ConsentScope::Records { record_ids } => record_ids.iter().any(|r| r.0 == record.id),
    }
}

/// The patient themself, or a live guardian (patient-role accounts only).
fn patient_side(actor: Actor, facts: &Facts) -> Option<Basis> {
    if actor.role != Role::Patient {
        return None;
    }
    if facts.patient_user == Some(actor.id.0) {
        return Some(Basis::OwnChart);
    }
    facts.guardianship.map(Basis::Guardian)
}

fn consent_where(actor: Actor, facts: &Facts, ok: impl Fn(&Grant) -> bool) -> Option<Basis> {
    if !actor.role.is_clinician() {
        return None;
    }
    facts
        .grants
        .iter()
        .find(|g| ok(g))
        .map(|g| Basis::Consent(g.id))
}

fn emergency(actor: Actor, facts: &Facts) -> Option<Basis> {
    (actor.role == Role::Doctor)
        .then_some(facts.emergency)
        .flatten()
        .map(Basis::Emergency)
}

fn role(actor: Actor, roles: &[Role]) -> Option<Basis> {
    roles.contains(&actor.role).then_some(Basis::Role)
}

fn rule(actor: Actor, action: Action, target: &Target, facts: Option<&Facts>) -> Option<Basis> {
    match action {
        Action::Administer => return role(actor, &[Role::Admin]),
        Action::SearchDirectory => return role(actor, &[Role::Doctor, Role::Nurse]),
        Action::ListClinicians => return Some(Basis::Role),
        _ => {}
    }
    let facts = facts.filter(|f| f.patient_exists)?;
    let writable = |g: &Grant| g.access == AccessLevel::ReadWrite;
    match (action, target) {
        (Action::RequestAccess | Action::OpenEmergency, Target::Patient(_)) => {
            role(actor, &[Role::Doctor])
        }
        (Action::ViewProfile, Target::Patient(_)) => patient_side(actor, facts)
            .or_else(|| consent_where(actor, facts, |_| true))
            .or_else(|| emergency(actor, facts))
            .or_else(|| role(actor, &[Role::Admin])),
        (Action::ListRecords, Target::Patient(_)) => patient_side(actor, facts)
            .or_else(|| consent_where(actor, facts, |_| true))
            .or_else(|| emergency(actor, facts)),
        (Action::ReadRecord, Target::Record(r)) => patient_side(actor, facts)
            .or_else(|| consent_where(actor, facts, |g| covers_record(g, r)))
            .or_else(|| emergency(actor, facts)),
        (Action::CreateRecord(kind), Target::Patient(_)) => match actor.role {
            Role::Patient if PATIENT_KINDS.contains(&kind) => patient_side(actor, facts),
            Role::Doctor => consent_where(actor, facts, |g| writable(g) && covers_kind(g, kind))
                .or_else(|| emergency(actor, facts)),
            Role::Nurse if NURSE_KINDS.contains(&kind) => {
                consent_where(actor, facts, |g| writable(g) && covers_kind(g, kind))
            }
            _ => None,
        },
        (Action::AmendRecord, Target::Record(r)) => match actor.role {
            Role::Patient if PATIENT_KINDS.contains(&r.kind) && r.created_by == actor.id.0 => {
                patient_side(actor, facts)
            }
            Role::Doctor => consent_where(actor, facts, |g| writable(g) && covers_record(g, r))
                .or_else(|| emergency(actor, facts)),
            Role::Nurse if NURSE_KINDS.contains(&r.kind) => {
                consent_where(actor, facts, |g| writable(g) && covers_record(g, r))
            }
            _ => None,
        },
        (Action::ActForPatient, Target::Patient(_)) => patient_side(actor, facts),
        (Action::ViewGuardians, Target::Patient(_)) => {
            patient_side(actor, facts).or_else(|| role(actor, &[Role::Admin]))
        }
        _ => None,
    }
}

/// Which of a chart's records `ReadRecord` can allow, as a list filter (the
/// list handler still decides each record it returns).
pub fn readable(actor: Actor, facts: &Facts) -> Readable {
    if !facts.patient_exists {
        return Readable::default();
    }
    if patient_side(actor, facts).is_some() || emergency(actor, facts).is_some() {
        return Readable {
            all: true,
            ..Readable::default()
        };
    }
    let mut out = Readable::default();
    if !actor.role.is_clinician() {
        return out;
    }
    for g in &facts.grants {
        match &g.scope {
            ConsentScope::Chart => out.all = true,
            ConsentScope::Kinds { kinds } => out.kinds.extend(kinds.iter().copied()),
            ConsentScope::Records { record_ids } => out.ids.extend(record_ids.iter().map(|r| r.0)),
        }
    }
    out
}

/// The decision. A refusal is "visible" (403) when the actor may at least see
/// the chart's profile, or when the target is not a chart; otherwise 404.
pub fn decide(actor: Actor, action: Action, target: &Target, facts: Option<&Facts>) -> Decision {
    if let Some(basis) = rule(actor, action, target, facts) {
        return Decision::Allow { basis };
    }
    let visible = match target {
        Target::System => true,
        Target::Patient(p) | Target::Record(RecordRef { patient_id: p, .. }) => {
            rule(actor, Action::ViewProfile, &Target::Patient(*p), facts).is_some()
        }
    };
    Decision::Deny { visible }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use shared::{RecordId, UserId};
    use uuid::Uuid;

    fn actor(role: Role, n: u128) -> Actor {
        Actor {
            id: UserId(Uuid::from_u128(n)),
            role,
        }
    }

    fn facts() -> Facts {
        Facts {
            patient_exists: true,
            patient_user: Some(Uuid::from_u128(10)),
            ..Facts::default()
        }
    }

    fn record(kind: RecordKind, author: u128) -> Target {
        Target::Record(RecordRef {
            id: Uuid::from_u128(99),
            patient_id: Uuid::from_u128(1),
            kind,
            created_by: Uuid::from_u128(author),
        })
    }

    const P: Target = Target::Patient(Uuid::from_u128(1));

    #[test]
    fn nothing_is_allowed_without_a_rule() {
        let f = facts();
        let doctor = actor(Role::Doctor, 2);
        for action in [
            Action::ViewProfile,
            Action::ListRecords,
            Action::ActForPatient,
        ] {
            assert_eq!(
                decide(doctor, action, &P, Some(&f)),
                Decision::Deny { visible: false }
            );
        }
        assert_eq!(
            decide(
                doctor,
                Action::ReadRecord,
                &record(RecordKind::Vitals, 2),
                Some(&f)
            ),
            Decision::Deny { visible: false }
        );
        let missing = Facts::default();
        assert!(decide(doctor, Action::OpenEmergency, &P, Some(&missing))
            .basis()
            .is_none());
    }

    #[test]
    fn the_patient_reads_everything_but_writes_only_documents_and_allergies() {
        let f = facts();
        let me = actor(Role::Patient, 10);
        assert_eq!(
            decide(
                me,
                Action::ReadRecord,
                &record(RecordKind::VisitNote, 2),
                Some(&f)
            )
            .basis(),
            Some(Basis::OwnChart)
        );
        assert!(
            decide(me, Action::CreateRecord(RecordKind::Allergy), &P, Some(&f))
                .basis()
                .is_some()
        );
        assert_eq!(
            decide(
                me,
                Action::CreateRecord(RecordKind::Diagnosis),
                &P,
                Some(&f)
            ),
            Decision::Deny { visible: true }
        );
        assert!(decide(
            me,
            Action::AmendRecord,
            &record(RecordKind::Allergy, 2),
            Some(&f)
        )
        .basis()
        .is_none());
        assert!(decide(
            me,
            Action::AmendRecord,
            &record(RecordKind::Allergy, 10),
            Some(&f)
        )
        .basis()
        .is_some());
    }

    #[test]
    fn consents_cover_only_their_scope_and_level() {
        let nurse = actor(Role::Nurse, 3);
        let mut f = facts();
        let cid = Uuid::from_u128(7);
        f.grants.push(Grant {
            id: cid,
            access: AccessLevel::Read,
            scope: ConsentScope::Kinds {
                kinds: vec![RecordKind::Vitals],
            },
        });
        assert_eq!(
            decide(
                nurse,
                Action::ReadRecord,
                &record(RecordKind::Vitals, 2),
                Some(&f)
            )
            .basis(),
            Some(Basis::Consent(cid))
        );
        assert_eq!(
            decide(
                nurse,
                Action::ReadRecord,
                &record(RecordKind::Diagnosis, 2),
                Some(&f)
            ),
            Decision::Deny { visible: true }
        );
        assert!(decide(
            nurse,
            Action::CreateRecord(RecordKind::Vitals),
            &P,
            Some(&f)
        )
        .basis()
        .is_none());
        f.grants[0].access = AccessLevel::ReadWrite;
        assert!(decide(
            nurse,
            Action::CreateRecord(RecordKind::Vitals),
            &P,
            Some(&f)
        )
        .basis()
        .is_some());
        f.grants[0].scope = ConsentScope::Chart;
        assert!(decide(
            nurse,
            Action::CreateRecord(RecordKind::Diagnosis),
            &P,
            Some(&f)
        )
        .basis()
        .is_none());
        f.grants[0].scope = ConsentScope::Records {
            record_ids: vec![RecordId(Uuid::from_u128(99))],
        };
        assert!(decide(
            nurse,
            Action::AmendRecord,
            &record(RecordKind::Vitals, 2),
            Some(&f)
        )
        .basis()
        .is_some());
    }

    #[test]
    fn admins_see_profiles_but_never_clinical_content() {
        let admin = actor(Role::Admin, 4);
        let mut f = facts();
        f.emergency = Some(Uuid::from_u128(5));
        assert_eq!(
            decide(admin, Action::ViewProfile, &P, Some(&f)).basis(),
            Some(Basis::Role)
        );
        assert_eq!(
            decide(
                admin,
                Action::ReadRecord,
                &record(RecordKind::Vitals, 2),
                Some(&f)
            ),
            Decision::Deny { visible: true }
        );
        assert!(decide(admin, Action::OpenEmergency, &P, Some(&f))
            .basis()
            .is_none());
        assert_eq!(
            decide(admin, Action::Administer, &Target::System, None).basis(),
            Some(Basis::Role)
        );
    }

    #[test]
    fn emergency_access_is_for_doctors() {
        let mut f = facts();
        f.emergency = Some(Uuid::from_u128(5));
        let doctor = actor(Role::Doctor, 2);
        assert_eq!(
            decide(
                doctor,
                Action::ReadRecord,
                &record(RecordKind::Diagnosis, 3),
                Some(&f)
            )
            .basis(),
            Some(Basis::Emergency(Uuid::from_u128(5)))
        );
        assert!(
            decide(actor(Role::Nurse, 3), Action::ListRecords, &P, Some(&f))
                .basis()
                .is_none()
        );
    }
}
