//! The demo chart data behind `careledger seed --demo`: clinician and patient
//! profiles, guardian1 as guardian of patient2, records of every kind across
//! patient1 and patient2, one active consent (patient1 → dr_smith, read and
//! write, whole chart) and one pending request (dr_jones → patient1). Every
//! write records its ledger event, as the api would. Runs inside the seed's
//! transaction.

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;
use shared::consents::{AccessLevel, ConsentScope};
use shared::ledger::Action as Ledger;
use shared::patients::Sex;
use shared::records::{parse_body, RecordKind};
use shared::{Role, UserId};
use uuid::Uuid;

use crate::access::event::digest;
use crate::access::{Actor, EventExt};
use crate::clinical::{clinicians, consents, guardians, patients, records, requests};
use crate::crypto::Sealer;
use crate::db::schema::users;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;

fn user(conn: &mut PgConnection, username: &str) -> Result<Actor, ApiError> {
    let (id, role): (Uuid, String) = users::table
        .filter(users::username.eq(username))
        .select((users::id, users::role))
        .first(conn)?;
    Ok(Actor {
        id: UserId(id),
        role: crate::clinical::stored::<Role>("users.role", &role)?,
    })
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

pub fn seed_clinical(conn: &mut PgConnection, sealer: &Sealer) -> Result<(), ApiError> {
    let ctx = RequestContext::system("seed");
    for (username, department, specialty, licence) in [
        ("dr_smith", "Cardiology", "Cardiology", "LIC-D-1001"),
        ("dr_jones", "Emergency", "Emergency medicine", "LIC-D-1002"),
        ("nurse_kim", "Ward 3", "General nursing", "LIC-N-2001"),
    ] {
        let a = user(conn, username)?;
        clinicians::create(
            conn,
            clinicians::NewClinician {
                user_id: a.id.0,
                department: department.into(),
                specialty: specialty.into(),
                licence_number: licence.into(),
            },
        )?;
    }
    let mut charts = Vec::new();
    for (username, name, dob, sex, contact) in [
        (
            "patient1",
            "Pat One",
            date(1980, 4, 12),
            Sex::Female,
            "+1 555 0101, 1 Elm Street",
        ),
        (
            "patient2",
            "Pia Two",
            date(2014, 9, 3),
            Sex::Female,
            "c/o Gail Guardian, +1 555 0102",
        ),
        (
            "guardian1",
            "Gail Guardian",
            date(1978, 1, 20),
            Sex::Female,
            "+1 555 0102",
        ),
    ] {
        let a = user(conn, username)?;
        let row = patients::create(
            conn,
            sealer,
            patients::NewPatient {
                user_id: Some(a.id.0),
                full_name: name.into(),
                date_of_birth: dob,
                sex,
                contact: Some(contact.into()),
                created_by: Some(a.id.0),
            },
        )?;
        charts.push(row.id);
    }
    let (p1, p2) = (charts[0], charts[1]);
    let admin = user(conn, "admin")?;
    let guardian = user(conn, "guardian1")?;
    guardians::link(
        conn,
        guardians::NewLink {
            guardian_user_id: guardian.id.0,
            patient_id: p2,
            relationship: "parent".into(),
            ends_at: None,
            created_by: Some(admin.id.0),
        },
    )?;
    ledger::record(
        conn,
        &NewEvent::new(Ledger::GuardianLinked, &ctx)
            .actor(admin.id, admin.role)
            .patient_uuid(p2)
            .subject_user(guardian.id),
    )?;
    let smith = user(conn, "dr_smith")?;
    let kim = user(conn, "nurse_kim")?;
    let pat1 = user(conn, "patient1")?;
    let entries = [
        (
            p1,
            smith,
            RecordKind::Diagnosis,
            "Essential hypertension",
            json!({"condition": "Essential hypertension", "code": "I10", "status": "active"}),
        ),
        (
            p1,
            smith,
            RecordKind::Prescription,
            "Lisinopril",
            json!({"drug": "Lisinopril", "dose": "10 mg", "route": "oral", "frequency": "once daily", "duration": "90 days"}),
        ),
        (
            p1,
            smith,
            RecordKind::LabResult,
            "Lipid panel: LDL",
            json!({"test": "LDL cholesterol", "value": "3.1", "unit": "mmol/L", "reference_range": "< 3.0"}),
        ),
        (
            p1,
            smith,
            RecordKind::VisitNote,
            "Follow-up visit",
            json!({"note": "Blood pressure improving on treatment.", "plan": "Review in 3 months."}),
        ),
        (
            p1,
            smith,
            RecordKind::Vitals,
            "Clinic vitals",
            json!({"heart_rate_bpm": 72, "systolic_mmhg": 138, "diastolic_mmhg": 86, "temperature_c": 36.8}),
        ),
        (
            p1,
            pat1,
            RecordKind::Allergy,
            "Penicillin allergy",
            json!({"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"}),
        ),
        (
            p2,
            kim,
            RecordKind::TreatmentUpdate,
            "Asthma inhaler technique",
            json!({"treatment": "Salbutamol inhaler", "update": "Spacer technique reviewed; good."}),
        ),
        (
            p2,
            guardian,
            RecordKind::Document,
            "School medical form",
            json!({"filename": "school-form.txt", "content_type": "text/plain", "content": "Asthma action plan on file."}),
        ),
    ];
    for (patient, author, kind, title, body) in entries {
        let body = parse_body(kind, &body)?;
        let plain = serde_json::to_vec(&body).map_err(|e| ApiError::internal("seed body", e))?;
        let (row, _) = records::create(conn, sealer, patient, kind, title, &plain, author)?;
        let mut event = NewEvent::new(Ledger::RecordCreated, &ctx)
            .actor(author.id, author.role)
            .patient_uuid(patient)
            .record_uuid(row.id)
            .digests(None, Some(digest(&plain)));
        if author.role == Role::Patient {
            event.basis_kind = Some("own_chart");
        }
        ledger::record(conn, &event)?;
    }
    consents::create(
        conn,
        consents::NewConsent {
            patient_id: p1,
            grantee_id: smith.id.0,
            access: AccessLevel::ReadWrite,
            scope: ConsentScope::Chart,
            granted_by: pat1.id.0,
            expires_at: Some(Utc::now() + Duration::days(365)),
            access_request_id: None,
        },
    )?;
    ledger::record(
        conn,
        &NewEvent::new(Ledger::ConsentGranted, &ctx)
            .actor(pat1.id, pat1.role)
            .patient_uuid(p1)
            .subject_user(smith.id),
    )?;
    let jones = user(conn, "dr_jones")?;
    requests::create(
        conn,
        sealer,
        requests::NewRequest {
            patient_id: p1,
            requester_id: jones.id.0,
            purpose: "Second opinion on hypertension management".into(),
            access: AccessLevel::Read,
            scope: ConsentScope::Kinds {
                kinds: vec![RecordKind::Diagnosis, RecordKind::LabResult],
            },
            duration_hours: 72,
        },
    )?;
    ledger::record(
        conn,
        &NewEvent::new(Ledger::AccessRequested, &ctx)
            .actor(jones.id, jones.role)
            .patient_uuid(p1),
    )?;
    Ok(())
}
