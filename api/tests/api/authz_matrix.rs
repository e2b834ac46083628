//! The authorization matrix: every operation registered in the OpenAPI spec
//! is run as each of thirteen actors against one chart (patient1's), and the
//! status codes are compared with the table below. An operation missing from
//! the table — or a table row that no longer exists — fails the test.
//!
//! Actors (column order): anonymous, admin, doctor with consent (dr_smith),
//! doctor without (dr_jones), doctor after revoke, doctor after expiry,
//! doctor under emergency access, nurse with consent (nurse_kim), nurse
//! without, the patient (patient1), another patient (patient2), the guardian
//! (of patient1), a guardian of someone else (guardian1, of patient2).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{TestApp, DEMO_PASSWORD};

const ACTORS: [&str; 13] = [
    "anonymous",
    "admin",
    "dr_smith",
    "dr_jones",
    "dr_revoked",
    "dr_expired",
    "dr_er",
    "nurse_kim",
    "nurse_new",
    "patient1",
    "patient2",
    "guardian_p1",
    "guardian1",
];

type Row = [u16; 13];
//                          anon adm  dCon dNo  dRev dExp dEm  nCon nNo  pat  oPat grd  oGrd
const ALL_SIGNED_IN: Row = [
    401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
];
const ANYONE: Row = [200; 13];
const NOT_FOUND_SIGNED_IN: Row = [
    401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404,
];
const UNPROCESSABLE_SIGNED_IN: Row = [
    401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422,
];
const ADMIN_ONLY: Row = [
    401, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403,
];
const ADMIN_CREATES: Row = [
    401, 201, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403,
];
const CLINICIANS: Row = [
    401, 403, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403, 403,
];
/// Who may see the chart at all (others get 404): profile readers.
const PROFILE: Row = [
    401, 200, 200, 404, 404, 404, 200, 200, 404, 200, 404, 200, 404,
];
/// Clinical reads: as PROFILE, but admins see no clinical content.
const CLINICAL_READ: Row = [
    401, 403, 200, 404, 404, 404, 200, 200, 404, 200, 404, 200, 404,
];
/// Adding or amending vitals: clinicians with read-write consent, doctors
/// under emergency; the patient side sees the chart but may not.
const VITALS_WRITE: Row = [
    401, 403, 201, 404, 404, 404, 201, 201, 404, 403, 404, 403, 404,
];
/// Adding an allergy: the patient side and doctors with a basis; nurses may not.
const ALLERGY_WRITE: Row = [
    401, 403, 201, 404, 404, 404, 201, 403, 404, 201, 404, 201, 404,
];
/// Acting for the patient: the patient and their guardian.
const ACT_FOR_PATIENT: Row = [
    401, 403, 403, 404, 404, 404, 403, 403, 404, 200, 404, 200, 404,
];
const GRANT: Row = [
    401, 403, 403, 404, 404, 404, 403, 403, 404, 201, 404, 201, 404,
];
/// Doctors only; who cannot see the chart gets 404.
const DOCTOR_ASKS: Row = [
    401, 403, 201, 201, 201, 201, 201, 403, 404, 403, 404, 403, 404,
];
/// Admin-only on a chart: others answer as the chart's visibility says.
const ADMIN_ON_CHART: Row = [
    401, 200, 403, 404, 404, 404, 403, 403, 404, 403, 404, 403, 404,
];
/// The chart's guardian links: the patient side and admins.
const GUARDIANS_VIEW: Row = [
    401, 200, 403, 404, 404, 404, 403, 403, 404, 200, 404, 200, 404,
];
const ADMIN_LINKS: Row = [
    401, 201, 403, 404, 404, 404, 403, 403, 404, 403, 404, 403, 404,
];

const NOTHING_TO_CONFIRM: Row = [
    401, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409, 409,
];
const WRONG_PASSWORD: Row = [
    401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422,
];
/// An event dr_smith performed on patient1's chart: admins, its actor, and
/// the chart's patient and guardian may prove it; to the rest it does not exist.
const CHART_EVENT_BY_DR_SMITH: Row = [
    401, 200, 200, 404, 404, 404, 404, 404, 404, 200, 404, 200, 404,
];

/// (method, spec path, case, expected statuses).
fn table() -> Vec<(&'static str, &'static str, &'static str, Row)> {
    vec![
        ("GET", "/health", "health", ANYONE),
        ("GET", "/health/ready", "ready", ANYONE),
        ("POST", "/api/v1/auth/login", "login_bad", [401; 13]),
        ("POST", "/api/v1/auth/refresh", "refresh_none", [401; 13]),
        (
            "POST",
            "/api/v1/auth/logout",
            "logout",
            [
                401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204,
            ],
        ),
        ("GET", "/api/v1/auth/me", "me", ALL_SIGNED_IN),
        ("POST", "/api/v1/auth/register", "register", [201; 13]),
        ("POST", "/api/v1/auth/password", "password_wrong", [401; 13]),
        // Before any enrolment exists, confirming has nothing to confirm.
        (
            "POST",
            "/api/v1/auth/totp/confirm",
            "totp_confirm",
            NOTHING_TO_CONFIRM,
        ),
        (
            "POST",
            "/api/v1/auth/totp/disable",
            "totp_disable_wrong",
            WRONG_PASSWORD,
        ),
        (
            "GET",
            "/api/v1/ledger/events/{seq}/proof",
            "ledger_proof",
            CHART_EVENT_BY_DR_SMITH,
        ),
        (
            "GET",
            "/api/v1/ledger/checkpoint",
            "ledger_checkpoint",
            ALL_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/ledger/consistency",
            "ledger_consistency",
            ALL_SIGNED_IN,
        ),
        ("GET", "/api/v1/patients/{id}/fhir", "fhir", CLINICAL_READ),
        ("GET", "/api/v1/users", "users", ADMIN_ONLY),
        ("POST", "/api/v1/users", "user_create", ADMIN_CREATES),
        ("GET", "/api/v1/users/{id}", "user_get", ADMIN_ONLY),
        ("PATCH", "/api/v1/users/{id}", "user_patch", ADMIN_ONLY),
        ("GET", "/api/v1/patients", "patients", ALL_SIGNED_IN),
        ("POST", "/api/v1/patients", "patient_create", ADMIN_CREATES),
        ("GET", "/api/v1/patients/directory", "directory", CLINICIANS),
        ("GET", "/api/v1/patients/{id}", "patient_get", PROFILE),
        (
            "POST",
            "/api/v1/patients/{id}/guardians",
            "guardian_link",
            ADMIN_LINKS,
        ),
        (
            "GET",
            "/api/v1/patients/{id}/guardians",
            "guardians",
            GUARDIANS_VIEW,
        ),
        ("GET", "/api/v1/clinicians", "clinicians", ALL_SIGNED_IN),
        (
            "POST",
            "/api/v1/clinicians",
            "clinician_create",
            ADMIN_CREATES,
        ),
        (
            "GET",
            "/api/v1/patients/{id}/records",
            "records_list",
            CLINICAL_READ,
        ),
        (
            "POST",
            "/api/v1/patients/{id}/records",
            "record_add_vitals",
            VITALS_WRITE,
        ),
        (
            "POST",
            "/api/v1/patients/{id}/records",
            "record_add_allergy",
            ALLERGY_WRITE,
        ),
        ("GET", "/api/v1/records/{id}", "record_get", CLINICAL_READ),
        (
            "POST",
            "/api/v1/records/{id}/amendments",
            "record_amend_vitals",
            VITALS_WRITE,
        ),
        (
            "GET",
            "/api/v1/records/{id}/versions",
            "record_versions",
            CLINICAL_READ,
        ),
        ("GET", "/api/v1/consents", "consents", ALL_SIGNED_IN),
        ("POST", "/api/v1/consents", "consent_grant", GRANT),
        (
            "POST",
            "/api/v1/consents/{id}/revoke",
            "consent_revoke",
            ACT_FOR_PATIENT,
        ),
        ("GET", "/api/v1/access-requests", "requests", ALL_SIGNED_IN),
        (
            "POST",
            "/api/v1/access-requests",
            "request_create",
            DOCTOR_ASKS,
        ),
        (
            "POST",
            "/api/v1/access-requests/{id}/approve",
            "request_approve",
            ACT_FOR_PATIENT,
        ),
        (
            "POST",
            "/api/v1/access-requests/{id}/deny",
            "request_deny",
            ACT_FOR_PATIENT,
        ),
        (
            "POST",
            "/api/v1/patients/{id}/emergency-access",
            "emergency_open",
            DOCTOR_ASKS,
        ),
        (
            "GET",
            "/api/v1/emergency-access",
            "emergencies",
            ALL_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/emergency-access/{id}",
            "emergency_view",
            ADMIN_ON_CHART,
        ),
        (
            "POST",
            "/api/v1/emergency-access/{id}/review",
            "emergency_review",
            ADMIN_ON_CHART,
        ),
        (
            "GET",
            "/api/v1/admin/access-overview",
            "overview",
            ADMIN_ONLY,
        ),
        (
            "GET",
            "/api/v1/admin/stats/demographics",
            "demographics",
            ADMIN_ONLY,
        ),
        (
            "GET",
            "/api/v1/admin/records/{id}/sealed",
            "sealed",
            ADMIN_ON_CHART,
        ),
        (
            "GET",
            "/api/v1/ledger/events",
            "ledger_events",
            ALL_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/ledger/events/{seq}/proof",
            "ledger_proof_unknown",
            NOT_FOUND_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/ledger/consistency",
            "ledger_consistency_bad",
            UNPROCESSABLE_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/ledger/checkpoint",
            "ledger_checkpoint_unknown",
            NOT_FOUND_SIGNED_IN,
        ),
        (
            "POST",
            "/api/v1/ledger/checkpoint",
            "ledger_sign",
            ADMIN_ONLY,
        ),
        (
            "GET",
            "/api/v1/ledger/public-key",
            "ledger_key",
            ALL_SIGNED_IN,
        ),
        (
            "GET",
            "/api/v1/ledger/receipt",
            "ledger_receipt",
            ACT_FOR_PATIENT,
        ),
        ("GET", "/api/v1/ledger/verify", "ledger_verify", ADMIN_ONLY),
        // Last: these change the actor's own sign-in settings.
        ("GET", "/api/v1/auth/totp", "totp_status", ALL_SIGNED_IN),
        (
            "POST",
            "/api/v1/auth/totp/enroll",
            "totp_enroll",
            ALL_SIGNED_IN,
        ),
        (
            "POST",
            "/api/v1/auth/totp/confirm",
            "totp_confirm_bad",
            UNPROCESSABLE_SIGNED_IN,
        ),
        (
            "POST",
            "/api/v1/auth/totp/disable",
            "totp_disable_bad",
            UNPROCESSABLE_SIGNED_IN,
        ),
    ]
}

/// The FHIR façade's interactions (outside the OpenAPI document; its
/// contract is the CapabilityStatement, every interaction of which must be
/// here): (path pattern, case, expected statuses).
fn fhir_table() -> Vec<(&'static str, &'static str, Row)> {
    vec![
        ("/fhir/R4/metadata", "fhir_metadata", ANYONE),
        ("/fhir/R4/Patient/{id}", "fhir_patient", PROFILE),
        ("/fhir/R4/Patient", "fhir_patient_search", PROFILE),
        (
            "/fhir/R4/Patient/{id}/$everything",
            "fhir_everything",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/Practitioner/{id}",
            "fhir_practitioner",
            ALL_SIGNED_IN,
        ),
        (
            "/fhir/R4/Condition/{id}",
            "fhir_read:diagnosis",
            CLINICAL_READ,
        ),
        ("/fhir/R4/Condition", "fhir_search:Condition", CLINICAL_READ),
        (
            "/fhir/R4/Observation/{id}",
            "fhir_read:lab_result",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/Observation",
            "fhir_search:Observation",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/MedicationRequest/{id}",
            "fhir_read:prescription",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/MedicationRequest",
            "fhir_search:MedicationRequest",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/AllergyIntolerance/{id}",
            "fhir_read:allergy",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/AllergyIntolerance",
            "fhir_search:AllergyIntolerance",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/DocumentReference/{id}",
            "fhir_read:visit_note",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/DocumentReference",
            "fhir_search:DocumentReference",
            CLINICAL_READ,
        ),
        (
            "/fhir/R4/Provenance",
            "fhir_search:Provenance",
            CLINICAL_READ,
        ),
        // Listings scoped as their JSON twins: everyone gets what they may see.
        ("/fhir/R4/Consent", "fhir_search:Consent", ALL_SIGNED_IN),
        (
            "/fhir/R4/AuditEvent",
            "fhir_search:AuditEvent",
            ALL_SIGNED_IN,
        ),
    ]
}

/// Every interaction the CapabilityStatement declares, as path patterns.
fn capability_interactions() -> BTreeSet<String> {
    let cap = api::fhir::r4::capability::statement("http://x/fhir/R4", "0");
    let mut out = BTreeSet::new();
    out.insert("/fhir/R4/metadata".to_owned());
    for r in cap["rest"][0]["resource"].as_array().unwrap() {
        let t = r["type"].as_str().unwrap();
        for i in r["interaction"].as_array().unwrap() {
            out.insert(match i["code"].as_str().unwrap() {
                "read" => format!("/fhir/R4/{t}/{{id}}"),
                "search-type" => format!("/fhir/R4/{t}"),
                other => panic!("untested interaction {other}"),
            });
        }
        for op in r["operation"].as_array().into_iter().flatten() {
            out.insert(format!(
                "/fhir/R4/{t}/{{id}}/${}",
                op["name"].as_str().unwrap()
            ));
        }
    }
    out
}

struct Fixture {
    chart: Uuid,
    vitals_record: Uuid,
    patient1_user: Uuid,
    spare_user: Uuid,
    spare_guardian: Uuid,
    dr_other: Uuid,
    emergency: Uuid,
    tokens: Vec<Option<String>>,
    patient1: String,
    dr_other_token: String,
}

async fn json_of(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn create_user(app: &TestApp, admin: &str, username: &str, role: &str) -> Uuid {
    let body = json!({"username": username, "password": DEMO_PASSWORD, "role": role, "display_name": username});
    let v = json_of(app.post_json("/api/v1/users", Some(admin), &body).await).await;
    v["id"].as_str().unwrap().parse().unwrap()
}

async fn grant(
    app: &TestApp,
    token: &str,
    chart: Uuid,
    grantee: Uuid,
    expires: Option<String>,
) -> Uuid {
    let body = json!({"patient_id": chart, "grantee_id": grantee, "access": "read_write",
                      "scope": {"type": "chart"}, "expires_at": expires});
    let v = json_of(app.post_json("/api/v1/consents", Some(token), &body).await).await;
    v["id"].as_str().unwrap().parse().unwrap()
}

async fn setup(app: &TestApp) -> Fixture {
    app.seed_demo();
    let admin = app.token("admin").await;
    let chart = app.patient_id("patient1");
    for (name, role) in [
        ("dr_revoked", "doctor"),
        ("dr_expired", "doctor"),
        ("dr_er", "doctor"),
        ("dr_other", "doctor"),
        ("nurse_new", "nurse"),
        ("guardian_p1", "patient"),
        ("spare_guardian", "patient"),
        ("spare_user", "nurse"),
    ] {
        create_user(app, &admin, name, role).await;
    }
    let patient1 = app.token("patient1").await;
    let guardian = app.user_id("guardian_p1");
    let link = json!({"guardian_user_id": guardian, "relationship": "spouse"});
    json_of(
        app.post_json(
            &format!("/api/v1/patients/{chart}/guardians"),
            Some(&admin),
            &link,
        )
        .await,
    )
    .await;
    grant(app, &patient1, chart, app.user_id("nurse_kim"), None).await;
    let revoked = grant(app, &patient1, chart, app.user_id("dr_revoked"), None).await;
    json_of(
        app.post_json(
            &format!("/api/v1/consents/{revoked}/revoke"),
            Some(&patient1),
            &json!({}),
        )
        .await,
    )
    .await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let expiring = grant(
        app,
        &patient1,
        chart,
        app.user_id("dr_expired"),
        Some(later),
    )
    .await;
    app.sql(&format!(
        "UPDATE consents SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 minute' WHERE id = '{expiring}'"
    ));
    let er = app.token("dr_er").await;
    let opened = json_of(
        app.post_json(
            &format!("/api/v1/patients/{chart}/emergency-access"),
            Some(&er),
            &json!({"reason": "Unconscious in the emergency department"}),
        )
        .await,
    )
    .await;
    let mut tokens = vec![None];
    for name in &ACTORS[1..] {
        tokens.push(Some(app.token(name).await));
    }
    Fixture {
        chart,
        vitals_record: app.record_of_kind(chart, "vitals"),
        patient1_user: app.user_id("patient1"),
        spare_user: app.user_id("spare_user"),
        spare_guardian: app.user_id("spare_guardian"),
        dr_other: app.user_id("dr_other"),
        emergency: opened["id"].as_str().unwrap().parse().unwrap(),
        tokens,
        patient1,
        dr_other_token: app.token("dr_other").await,
    }
}

fn vitals() -> Value {
    json!({"heart_rate_bpm": 80, "systolic_mmhg": 120, "diastolic_mmhg": 80})
}

/// The concrete request for a case: path, body and (for logout) a token of
/// its own so the actor's main session survives.
async fn prepare(
    app: &TestApp,
    fx: &Fixture,
    case: &str,
    actor: usize,
    n: usize,
) -> (String, Option<Value>, Option<Option<String>>) {
    let chart = fx.chart;
    let rec = fx.vitals_record;
    let unique = format!(
        "u{n}_{}",
        Uuid::new_v4().simple().to_string().get(..6).unwrap_or("x")
    );
    match case {
        "health" => ("/health".into(), None, None),
        "ready" => ("/health/ready".into(), None, None),
        "login_bad" => (
            "/api/v1/auth/login".into(),
            // A name of its own per actor: the credential guard would
            // throttle a sixth failure for one name from one address.
            Some(json!({"username": format!("nobody_{unique}"), "password": "wrong-password-1"})),
            None,
        ),
        "refresh_none" => ("/api/v1/auth/refresh".into(), None, None),
        "logout" => {
            let token = match actor {
                0 => None,
                _ => Some(app.token(ACTORS[actor]).await),
            };
            ("/api/v1/auth/logout".into(), None, Some(token))
        }
        "me" => ("/api/v1/auth/me".into(), None, None),
        "register" => (
            "/api/v1/auth/register".into(),
            Some(
                json!({"username": unique, "password": "a-long-enough-pw", "display_name": "Reg"}),
            ),
            None,
        ),
        "password_wrong" => (
            "/api/v1/auth/password".into(),
            Some(
                json!({"current_password": "not-the-password", "new_password": "another-long-pw"}),
            ),
            None,
        ),
        "users" => ("/api/v1/users".into(), None, None),
        "user_create" => (
            "/api/v1/users".into(),
            Some(
                json!({"username": unique, "password": "a-long-enough-pw", "role": "nurse", "display_name": "N"}),
            ),
            None,
        ),
        "user_get" => (format!("/api/v1/users/{}", fx.patient1_user), None, None),
        "user_patch" => (
            format!("/api/v1/users/{}", fx.spare_user),
            Some(json!({"display_name": "Renamed"})),
            None,
        ),
        "patients" => ("/api/v1/patients".into(), None, None),
        "patient_create" => (
            "/api/v1/patients".into(),
            Some(json!({"full_name": "New Person", "sex": "other"})),
            None,
        ),
        "directory" => ("/api/v1/patients/directory?q=Pat".into(), None, None),
        "patient_get" => (format!("/api/v1/patients/{chart}"), None, None),
        "guardian_link" => (
            format!("/api/v1/patients/{chart}/guardians"),
            Some(json!({"guardian_user_id": fx.spare_guardian, "relationship": "sibling"})),
            None,
        ),
        "clinicians" => ("/api/v1/clinicians?q=a".into(), None, None),
        "clinician_create" => (
            "/api/v1/clinicians".into(),
            Some(
                json!({"user_id": fx.dr_other, "department": "Oncology", "specialty": "Oncology", "licence_number": "LIC-X-9"}),
            ),
            None,
        ),
        "guardians" => (format!("/api/v1/patients/{chart}/guardians"), None, None),
        "records_list" => (format!("/api/v1/patients/{chart}/records"), None, None),
        "record_add_vitals" => (
            format!("/api/v1/patients/{chart}/records"),
            Some(json!({"kind": "vitals", "title": "Vitals", "body": vitals()})),
            None,
        ),
        "record_add_allergy" => (
            format!("/api/v1/patients/{chart}/records"),
            Some(
                json!({"kind": "allergy", "title": "Latex", "body": {"substance": "Latex", "reaction": "Hives", "severity": "mild"}}),
            ),
            None,
        ),
        "record_get" => (format!("/api/v1/records/{rec}"), None, None),
        "record_amend_vitals" => (
            format!("/api/v1/records/{rec}/amendments"),
            Some(json!({"body": vitals(), "reason": "Re-measured"})),
            None,
        ),
        "record_versions" => (format!("/api/v1/records/{rec}/versions"), None, None),
        "consents" => ("/api/v1/consents".into(), None, None),
        "consent_grant" => (
            "/api/v1/consents".into(),
            Some(
                json!({"patient_id": chart, "grantee_id": fx.dr_other, "access": "read", "scope": {"type": "kinds", "kinds": ["lab_result"]}}),
            ),
            None,
        ),
        "consent_revoke" => {
            let id = grant(app, &fx.patient1, chart, fx.dr_other, None).await;
            (format!("/api/v1/consents/{id}/revoke"), None, None)
        }
        "requests" => ("/api/v1/access-requests".into(), None, None),
        "request_create" => (
            "/api/v1/access-requests".into(),
            Some(
                json!({"patient_id": chart, "purpose": "Cardiology referral", "access": "read", "scope": {"type": "chart"}, "duration_hours": 24}),
            ),
            None,
        ),
        "request_approve" | "request_deny" => {
            let body = json!({"patient_id": chart, "purpose": "Referral", "access": "read", "scope": {"type": "kinds", "kinds": ["lab_result"]}, "duration_hours": 24});
            let v = json_of(
                app.post_json("/api/v1/access-requests", Some(&fx.dr_other_token), &body)
                    .await,
            )
            .await;
            let verb = if case == "request_approve" {
                "approve"
            } else {
                "deny"
            };
            (
                format!(
                    "/api/v1/access-requests/{}/{verb}",
                    v["id"].as_str().unwrap()
                ),
                Some(json!({})),
                None,
            )
        }
        "emergency_open" => (
            format!("/api/v1/patients/{chart}/emergency-access"),
            Some(json!({"reason": "Collapsed at the front desk"})),
            None,
        ),
        "emergencies" => ("/api/v1/emergency-access".into(), None, None),
        "emergency_view" => (
            format!("/api/v1/emergency-access/{}", fx.emergency),
            None,
            None,
        ),
        "emergency_review" => {
            let v = json_of(
                app.post_json(
                    &format!("/api/v1/patients/{chart}/emergency-access"),
                    Some(&fx.dr_other_token),
                    &json!({"reason": "Fixture for the review case"}),
                )
                .await,
            )
            .await;
            (
                format!(
                    "/api/v1/emergency-access/{}/review",
                    v["id"].as_str().unwrap()
                ),
                Some(json!({"note": "Justified"})),
                None,
            )
        }
        "totp_confirm" => (
            "/api/v1/auth/totp/confirm".into(),
            Some(json!({"code": "000000"})),
            None,
        ),
        "totp_disable_wrong" => (
            "/api/v1/auth/totp/disable".into(),
            Some(json!({"password": "not-the-password"})),
            None,
        ),
        "fhir" => (format!("/api/v1/patients/{chart}/fhir"), None, None),
        "ledger_proof" => {
            let seq = chart_event_by(app, chart, app.user_id("dr_smith")).await;
            (format!("/api/v1/ledger/events/{seq}/proof"), None, None)
        }
        "ledger_checkpoint" => ("/api/v1/ledger/checkpoint".into(), None, None),
        "ledger_consistency" => ("/api/v1/ledger/consistency?from=1".into(), None, None),
        "overview" => ("/api/v1/admin/access-overview".into(), None, None),
        "demographics" => ("/api/v1/admin/stats/demographics".into(), None, None),
        "sealed" => (format!("/api/v1/admin/records/{rec}/sealed"), None, None),
        "ledger_events" => ("/api/v1/ledger/events".into(), None, None),
        "ledger_proof_unknown" => ("/api/v1/ledger/events/99999999/proof".into(), None, None),
        "ledger_consistency_bad" => ("/api/v1/ledger/consistency?from=5&to=2".into(), None, None),
        "ledger_checkpoint_unknown" => {
            ("/api/v1/ledger/checkpoint?size=99999999".into(), None, None)
        }
        "ledger_sign" => ("/api/v1/ledger/checkpoint".into(), None, None),
        "ledger_key" => ("/api/v1/ledger/public-key".into(), None, None),
        "ledger_receipt" => (
            format!("/api/v1/ledger/receipt?patient={chart}"),
            None,
            None,
        ),
        "ledger_verify" => ("/api/v1/ledger/verify".into(), None, None),
        "totp_status" => ("/api/v1/auth/totp".into(), None, None),
        "totp_enroll" => ("/api/v1/auth/totp/enroll".into(), None, None),
        "totp_confirm_bad" => (
            "/api/v1/auth/totp/confirm".into(),
            Some(json!({"code": "000000"})),
            None,
        ),
        "totp_disable_bad" => (
            "/api/v1/auth/totp/disable".into(),
            Some(json!({"password": "not-the-password"})),
            None,
        ),
        "fhir_metadata" => ("/fhir/R4/metadata".into(), None, None),
        "fhir_patient" => (format!("/fhir/R4/Patient/{chart}"), None, None),
        "fhir_patient_search" => (format!("/fhir/R4/Patient?_id={chart}"), None, None),
        "fhir_everything" => (format!("/fhir/R4/Patient/{chart}/$everything"), None, None),
        "fhir_practitioner" => (
            format!("/fhir/R4/Practitioner/{}", app.user_id("dr_smith")),
            None,
            None,
        ),
        other if other.starts_with("fhir_read:") => {
            let kind = other.trim_start_matches("fhir_read:");
            let t = match kind {
                "diagnosis" => "Condition",
                "lab_result" => "Observation",
                "prescription" => "MedicationRequest",
                "allergy" => "AllergyIntolerance",
                _ => "DocumentReference",
            };
            (
                format!("/fhir/R4/{t}/{}", app.record_of_kind(chart, kind)),
                None,
                None,
            )
        }
        other if other.starts_with("fhir_search:") => {
            let t = other.trim_start_matches("fhir_search:");
            (format!("/fhir/R4/{t}?patient={chart}"), None, None)
        }
        other => panic!("no request for case {other}"),
    }
}

/// The first sequenced event `actor` performed on `chart` (waiting briefly
/// for the sequencer to integrate it).
async fn chart_event_by(app: &TestApp, chart: Uuid, actor: Uuid) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Seq {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
    }
    for _ in 0..50 {
        let found: Option<Seq> = diesel::sql_query(format!(
            "SELECT v.seq FROM ledger_events v JOIN ledger_entries e ON e.id = v.entry_id \
             WHERE e.patient_id = '{chart}' AND e.actor_id = '{actor}' ORDER BY v.seq LIMIT 1"
        ))
        .get_result(&mut app.conn())
        .optional()
        .unwrap();
        if let Some(s) = found {
            return s.seq;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no sequenced event by {actor} on {chart}");
}

fn spec_operations() -> BTreeSet<(String, String)> {
    let spec = api::startup::spec();
    let mut ops = BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        for (m, present) in [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if present {
                ops.insert((m.to_owned(), path.clone()));
            }
        }
    }
    ops
}

#[actix_rt::test]
async fn every_route_answers_every_actor_as_tabulated() {
    let table = table();
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|(m, p, _, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let spec = spec_operations();
    let missing: Vec<_> = spec.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations missing from the matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&spec).collect();
    assert!(
        stale.is_empty(),
        "matrix rows for operations that do not exist: {stale:?}"
    );

    let fhir: BTreeSet<String> = fhir_table()
        .iter()
        .map(|(p, _, _)| (*p).to_owned())
        .collect();
    assert_eq!(
        fhir,
        capability_interactions(),
        "the FHIR rows and the CapabilityStatement disagree"
    );
    let table: Vec<(&str, &str, &str, Row)> = table
        .into_iter()
        .chain(fhir_table().into_iter().map(|(p, c, r)| ("GET", p, c, r)))
        .collect();

    // Rate limits are exercised elsewhere; here one client signs in as many.
    let app =
        TestApp::spawn_with(|s| s.rate_limits = api::rate_limit::RateLimits::unlimited()).await;
    let fx = setup(&app).await;
    // No cookie jar: a refresh must not ride on an earlier sign-in's cookie.
    let client = reqwest::Client::new();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut n = 0;
    for (method, path, case, expected) in &table {
        for (actor, want) in expected.iter().enumerate() {
            n += 1;
            let (url, body, token_override) = prepare(&app, &fx, case, actor, n).await;
            let token = match token_override {
                Some(t) => t,
                None => fx.tokens[actor].clone(),
            };
            let mut req = client.request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&url),
            );
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.unwrap();
            let got = resp.status();
            if got != StatusCode::from_u16(*want).unwrap() {
                let text = resp.text().await.unwrap_or_default();
                mismatches.push(format!(
                    "{method} {path} [{case}] as {}: expected {want}, got {got}: {text}",
                    ACTORS[actor]
                ));
            }
            checked += 1;
            if *case == "emergency_open" {
                // Keep the actors' standing as set up: end every emergency
                // access but the fixture's.
                app.sql(&format!(
                    "UPDATE emergency_accesses SET opened_at = now() - interval '2 hours', expires_at = now() - interval '90 minutes' WHERE id <> '{}'",
                    fx.emergency
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {checked} checks mismatched:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(checked, table.len() * ACTORS.len());
}
