//! Records, consent, requests, guardians and emergency access, behaviour by
//! behaviour (the authorization matrix covers who-may-call-what).
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::TestApp;

async fn body(resp: reqwest::Response, want: StatusCode) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, want, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn rx() -> Value {
    json!({"drug": "Amoxicillin", "dose": "500 mg", "route": "oral", "frequency": "tid", "duration": "7 days"})
}

#[actix_rt::test]
async fn mass_assignment_cannot_change_owner_patient_or_role() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let (p1, p2) = (app.patient_id("patient1"), app.patient_id("patient2"));
    let path = format!("/api/v1/patients/{p1}/records");
    for extra in [
        json!({"patient_id": p2}),
        json!({"author_id": Uuid::new_v4()}),
        json!({"created_by": Uuid::new_v4()}),
        json!({"version": 7}),
    ] {
        let mut req = json!({"kind": "prescription", "title": "Rx", "body": rx()});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        let resp = app.post_json(&path, Some(&doctor), &req).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{extra}");
    }
    // Unknown fields inside the structured body are refused too.
    let mut sneaky = rx();
    sneaky["patient_id"] = json!(p2);
    let resp = app
        .post_json(
            &path,
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Rx", "body": sneaky}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The patient and author are the path's and the caller's.
    let made = body(
        app.post_json(
            &path,
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Rx", "body": rx()}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["patient_id"], json!(p1));
    assert_eq!(made["author_id"], json!(app.user_id("dr_smith")));
    let id = made["id"].as_str().unwrap();
    for extra in [
        json!({"patient_id": p2}),
        json!({"kind": "diagnosis"}),
        json!({"author_id": Uuid::new_v4()}),
    ] {
        let mut req = json!({"body": rx(), "reason": "dose change"});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        let resp = app
            .post_json(
                &format!("/api/v1/records/{id}/amendments"),
                Some(&doctor),
                &req,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{extra}");
    }
    // Consents: the granter is the caller, never a field.
    let patient = app.token("patient1").await;
    let resp = app
        .post_json(
            "/api/v1/consents",
            Some(&patient),
            &json!({"patient_id": p1, "grantee_id": app.user_id("dr_jones"), "access": "read",
                    "scope": {"type": "chart"}, "granted_by": app.user_id("admin")}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Self-registration ignores a role and always makes a patient.
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "mallory", "password": "a-long-enough-pw", "display_name": "M", "role": "admin"}),
        )
        .await;
    let user = body(resp, StatusCode::CREATED).await;
    assert_eq!(user["role"], "patient");
    // Admin profile creation refuses a record number or id from the body.
    let admin = app.token("admin").await;
    let resp = app
        .post_json(
            "/api/v1/patients",
            Some(&admin),
            &json!({"full_name": "X", "mrn": "MRN-1"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // An account's role is not a field of the account change: the body is
    // refused as malformed whoever sends it (an admin, or the user about
    // their own account), and the stored role stays what it was.
    let nurse = app.user_id("nurse_kim");
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{nurse}"),
            Some(&admin),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{nurse}"),
            Some(&admin),
            &json!({"display_name": "Kim", "role": "doctor"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let own = app.user_id("patient1");
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{own}"),
            Some(&patient),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(stored_role(&app, nurse), "nurse");
    assert_eq!(stored_role(&app, own), "patient");
    assert_eq!(stored_name(&app, nurse), "Nurse Kim Lee");
}

fn stored_role(app: &TestApp, id: Uuid) -> String {
    use api::db::schema::users::dsl;
    use diesel::prelude::*;
    dsl::users
        .find(id)
        .select(dsl::role)
        .first(&mut app.conn())
        .unwrap()
}

fn stored_name(app: &TestApp, id: Uuid) -> String {
    use api::db::schema::users::dsl;
    use diesel::prelude::*;
    dsl::users
        .find(id)
        .select(dsl::display_name)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_rt::test]
async fn amendments_add_versions_and_never_overwrite() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    let made = body(
        app.post_json(
            &format!("/api/v1/patients/{p1}/records"),
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Amoxicillin", "body": rx()}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = made["id"].as_str().unwrap();
    for dose in ["250 mg", "125 mg"] {
        let mut b = rx();
        b["dose"] = json!(dose);
        let v = body(
            app.post_json(
                &format!("/api/v1/records/{id}/amendments"),
                Some(&doctor),
                &json!({"body": b, "reason": format!("dose to {dose}")}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(v["body"]["dose"], dose);
    }
    let current = body(
        app.get(&format!("/api/v1/records/{id}"), Some(&doctor))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(current["version"], 3);
    assert_eq!(current["supersedes"], 2);
    assert_eq!(current["body"]["dose"], "125 mg");
    let versions = body(
        app.get(&format!("/api/v1/records/{id}/versions"), Some(&doctor))
            .await,
        StatusCode::OK,
    )
    .await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(items[2]["body"]["dose"], "500 mg");
    assert!(items[2]["reason"].is_null());
    assert_eq!(items[0]["reason"], "dose to 125 mg");
    assert_eq!(app.ledger_count("record_amended"), 2);
    // A reason is required.
    let resp = app
        .post_json(
            &format!("/api/v1/records/{id}/amendments"),
            Some(&doctor),
            &json!({"body": rx(), "reason": ""}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn grant(app: &TestApp, token: &str, body_: Value) -> Value {
    body(
        app.post_json("/api/v1/consents", Some(token), &body_).await,
        StatusCode::CREATED,
    )
    .await
}

#[actix_rt::test]
async fn consent_scope_revoke_and_expiry_take_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let patient = app.token("patient1").await;
    let nurse = app.token("nurse_kim").await;
    let vitals = app.record_of_kind(p1, "vitals");
    let diagnosis = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{vitals}"), Some(&nurse))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let consent = grant(
        &app,
        &patient,
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read",
               "scope": {"type": "kinds", "kinds": ["vitals"]}}),
    )
    .await;
    assert_eq!(consent["status"], "active");
    assert_eq!(
        app.get(&format!("/api/v1/records/{vitals}"), Some(&nurse))
            .await
            .status(),
        StatusCode::OK
    );
    // Outside the scope: the chart is visible, the record is not hers to read.
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&nurse))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let list = body(
        app.get(&format!("/api/v1/patients/{p1}/records"), Some(&nurse))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["kind"] == "vitals"));
    assert_eq!(list["total"], 1);
    // Read access does not let her write.
    let resp = app
        .post_json(
            &format!("/api/v1/patients/{p1}/records"),
            Some(&nurse),
            &json!({"kind": "vitals", "title": "V", "body": {"heart_rate_bpm": 70}}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let id = consent["id"].as_str().unwrap();
    let revoked = body(
        app.post_json(
            &format!("/api/v1/consents/{id}/revoke"),
            Some(&patient),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        app.get(&format!("/api/v1/records/{vitals}"), Some(&nurse))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let again = app
        .post_json(
            &format!("/api/v1/consents/{id}/revoke"),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // An expiring grant stops by itself.
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339();
    let consent = grant(
        &app,
        &patient,
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read",
               "scope": {"type": "records", "record_ids": [vitals]}, "expires_at": soon}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1/records/{vitals}"), Some(&nurse))
            .await
            .status(),
        StatusCode::OK
    );
    app.sql(&format!(
        "UPDATE consents SET expires_at = now() - interval '1 second' WHERE id = '{}'",
        consent["id"].as_str().unwrap()
    ));
    assert_eq!(
        app.get(&format!("/api/v1/records/{vitals}"), Some(&nurse))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let listed = body(
        app.get("/api/v1/consents?status=expired", Some(&patient))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 1);
    // A past expiry, a patient as grantee, or another chart's record are refused.
    for bad in [
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read", "scope": {"type": "chart"}, "expires_at": "2020-01-01T00:00:00Z"}),
        json!({"patient_id": p1, "grantee_id": app.user_id("patient2"), "access": "read", "scope": {"type": "chart"}}),
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read", "scope": {"type": "records", "record_ids": [app.record_of_kind(app.patient_id("patient2"), "document")]}}),
    ] {
        let resp = app
            .post_json("/api/v1/consents", Some(&patient), &bad)
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[actix_rt::test]
async fn access_requests_are_approved_narrower_or_denied() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let patient = app.token("patient1").await;
    let jones = app.token("dr_jones").await;
    let pending = body(
        app.get("/api/v1/access-requests?status=pending", Some(&patient))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(pending["total"], 1);
    let seeded = &pending["items"][0];
    assert_eq!(seeded["requester_name"], "Dr. Jordan Jones");
    let id = seeded["id"].as_str().unwrap();
    // Wider than asked is refused.
    for wider in [
        json!({"access": "read_write"}),
        json!({"scope": {"type": "chart"}}),
        json!({"duration_hours": 1000}),
    ] {
        let resp = app
            .post_json(
                &format!("/api/v1/access-requests/{id}/approve"),
                Some(&patient),
                &wider,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{wider}");
    }
    let outcome = body(
        app.post_json(
            &format!("/api/v1/access-requests/{id}/approve"),
            Some(&patient),
            &json!({"scope": {"type": "kinds", "kinds": ["lab_result"]}, "duration_hours": 24}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(outcome["request"]["status"], "approved");
    assert_eq!(outcome["consent"]["access_request_id"], json!(id));
    let lab = app.record_of_kind(p1, "lab_result");
    let diagnosis = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{lab}"), Some(&jones))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&jones))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let again = app
        .post_json(
            &format!("/api/v1/access-requests/{id}/approve"),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // A new request, denied.
    let asked = body(
        app.post_json(
            "/api/v1/access-requests",
            Some(&jones),
            &json!({"patient_id": p1, "purpose": "Full review", "access": "read_write", "scope": {"type": "chart"}, "duration_hours": 48}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let rid = asked["id"].as_str().unwrap();
    let denied = body(
        app.post_json(
            &format!("/api/v1/access-requests/{rid}/deny"),
            Some(&patient),
            &json!({"note": "Not now"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(denied["status"], "denied");
    assert_eq!(app.ledger_count("access_denied"), 1);
    assert_eq!(app.ledger_count("access_approved"), 1);
    // The doctor sees his own requests, decided.
    let mine = body(
        app.get("/api/v1/access-requests", Some(&jones)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["total"], 2);
}

#[actix_rt::test]
async fn a_guardian_acts_for_the_ward_and_never_beyond() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let (p1, p2) = (app.patient_id("patient1"), app.patient_id("patient2"));
    let guardian = app.token("guardian1").await;
    let patients = body(
        app.get("/api/v1/patients", Some(&guardian)).await,
        StatusCode::OK,
    )
    .await;
    let mut names: Vec<&str> = patients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["full_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Gail Guardian", "Pia Two"]);
    let records = body(
        app.get(&format!("/api/v1/patients/{p2}/records"), Some(&guardian))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(records["total"], 2);
    grant(
        &app,
        &guardian,
        json!({"patient_id": p2, "grantee_id": app.user_id("dr_jones"), "access": "read", "scope": {"type": "chart"}}),
    )
    .await;
    let resp = app
        .post_json(
            "/api/v1/consents",
            Some(&guardian),
            &json!({"patient_id": p1, "grantee_id": app.user_id("dr_jones"), "access": "read", "scope": {"type": "chart"}}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{p1}"), Some(&guardian))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // The guardian adds an allergy to the ward's chart; not a diagnosis.
    let ok = app
        .post_json(
            &format!("/api/v1/patients/{p2}/records"),
            Some(&guardian),
            &json!({"kind": "allergy", "title": "Peanuts", "body": {"substance": "Peanut", "reaction": "Swelling", "severity": "severe"}}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let no = app
        .post_json(
            &format!("/api/v1/patients/{p2}/records"),
            Some(&guardian),
            &json!({"kind": "diagnosis", "title": "D", "body": {"condition": "x"}}),
        )
        .await;
    assert_eq!(no.status(), StatusCode::FORBIDDEN);
    // A link that has ended stops working.
    app.sql("UPDATE guardianships SET ends_at = now() - interval '1 second'");
    assert_eq!(
        app.get(&format!("/api/v1/patients/{p2}"), Some(&guardian))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_rt::test]
async fn emergency_access_needs_a_reason_is_time_boxed_and_reviewed() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let jones = app.token("dr_jones").await;
    let path = format!("/api/v1/patients/{p1}/emergency-access");
    for bad in [
        json!({"reason": "too short"}),
        json!({"reason": "Unconscious patient", "duration_minutes": 61}),
    ] {
        let resp = app.post_json(&path, Some(&jones), &bad).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let opened = body(
        app.post_json(
            &path,
            Some(&jones),
            &json!({"reason": "Unconscious patient in A&E", "duration_minutes": 30}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["active"], true);
    let diagnosis = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&jones))
            .await
            .status(),
        StatusCode::OK
    );
    let eid = opened["id"].as_str().unwrap();
    let basis: (Option<String>, Option<Uuid>) = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::record_id.eq(diagnosis))
            .order(dsl::id.desc())
            .select((dsl::basis_kind, dsl::basis_id))
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(
        basis,
        (Some("emergency".into()), Some(eid.parse().unwrap()))
    );
    // The patient sees it; admins see it as unreviewed and review it once.
    let patient = app.token("patient1").await;
    let seen = body(
        app.get("/api/v1/emergency-access", Some(&patient)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["items"][0]["reason"], "Unconscious patient in A&E");
    let admin = app.token("admin").await;
    let open = body(
        app.get("/api/v1/emergency-access?status=unreviewed", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(open["total"], 1);
    let review = format!("/api/v1/emergency-access/{eid}/review");
    assert_eq!(
        app.post_json(&review, Some(&admin), &json!({"note": " "}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = body(
        app.post_json(&review, Some(&admin), &json!({"note": "Justified"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["review_note"], "Justified");
    assert_eq!(
        app.post_json(&review, Some(&admin), &json!({"note": "again"}))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    // Admins still see no clinical content, and cannot break the glass.
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&admin))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_json(
            &path,
            Some(&admin),
            &json!({"reason": "I am curious about this"})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    // When the time is up, access ends by itself.
    app.sql("UPDATE emergency_accesses SET opened_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'");
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_rt::test]
async fn emergency_access_accepts_exactly_ten_characters_and_sixty_minutes() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let jones = app.token("dr_jones").await;
    let path = format!("/api/v1/patients/{p1}/emergency-access");
    let nine = "Collapsed";
    let ten = "Collapsed!";
    assert_eq!((nine.chars().count(), ten.chars().count()), (9, 10));
    let resp = app
        .post_json(
            &path,
            Some(&jones),
            &json!({"reason": nine, "duration_minutes": 60}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let opened = body(
        app.post_json(
            &path,
            Some(&jones),
            &json!({"reason": ten, "duration_minutes": 60}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["reason"], ten);
    let at = |f: &str| chrono::DateTime::parse_from_rfc3339(opened[f].as_str().unwrap()).unwrap();
    assert_eq!(
        at("expires_at") - at("opened_at"),
        chrono::Duration::minutes(60)
    );
}

#[actix_rt::test]
async fn a_nurse_with_consent_adds_a_treatment_update() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let nurse = app.token("nurse_kim").await;
    let path = format!("/api/v1/patients/{p1}/records");
    let update = json!({"kind": "treatment_update", "title": "Dressing changed",
                        "body": {"treatment": "Wound care", "update": "Dressing changed, healing well"}});
    // Without consent the chart is invisible to her.
    let resp = app.post_json(&path, Some(&nurse), &update).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let patient = app.token("patient1").await;
    grant(
        &app,
        &patient,
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read_write",
               "scope": {"type": "chart"}}),
    )
    .await;
    let made = body(
        app.post_json(&path, Some(&nurse), &update).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["kind"], "treatment_update");
    assert_eq!(made["author_id"], json!(app.user_id("nurse_kim")));
    assert_eq!(made["body"]["update"], "Dressing changed, healing well");
    // A nurse's consent does not make her a prescriber.
    let resp = app
        .post_json(
            &path,
            Some(&nurse),
            &json!({"kind": "prescription", "title": "Rx", "body": rx()}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[actix_rt::test]
async fn every_disclosure_and_every_denial_is_in_the_ledger() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let smith = app.token("dr_smith").await;
    let before = app.ledger_count_outcome("record_viewed", "allowed");
    let list = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?limit=3"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["total"], 6);
    // One event per record returned (plus none for records not returned).
    assert_eq!(
        app.ledger_count_outcome("record_viewed", "allowed") - before,
        3
    );
    let kinds: Vec<String> = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::record_id.is_not_null())
            .select(dsl::basis_kind.assume_not_null())
            .load(&mut app.conn())
            .unwrap()
    };
    assert!(kinds.iter().all(|k| k == "consent"), "{kinds:?}");
    let digests: i64 = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::content_digest.is_not_null())
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(digests, 3);
    // A denied read commits its event even though the request fails.
    let jones = app.token("dr_jones").await;
    let denied_before = app.ledger_count_outcome("record_viewed", "denied");
    let rec = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{rec}"), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/records/{}", Uuid::new_v4()), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.ledger_count_outcome("record_viewed", "denied") - denied_before,
        2
    );
}

#[actix_rt::test]
async fn lists_are_paged_filtered_and_admin_views_hold_no_clinical_text() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let smith = app.token("dr_smith").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/patients/{p1}/records?limit=101"),
            Some(&smith)
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let labs = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?kind=lab_result"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(labs["total"], 1);
    let titled = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?q=lipid"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(titled["total"], 1);
    let found = body(
        app.get("/api/v1/patients/directory?q=pia", Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(
        found["items"][0].as_object().unwrap().len(),
        3,
        "id, name and record number only"
    );
    assert_eq!(app.ledger_count("directory_searched"), 1);
    let cardio = body(
        app.get("/api/v1/clinicians?q=cardio", Some(&smith)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cardio["items"][0]["display_name"], "Dr. Sam Smith");
    let admin = app.token("admin").await;
    let rx = app.record_of_kind(p1, "prescription");
    let sealed = app
        .get(&format!("/api/v1/admin/records/{rx}/sealed"), Some(&admin))
        .await;
    let text = sealed.text().await.unwrap();
    assert!(
        !text.contains("10 mg") && !text.contains("once daily"),
        "{text}"
    );
    // The title is clinical text too ("Penicillin allergy"): not in the view.
    let title: String = {
        use api::db::schema::records::dsl;
        use diesel::prelude::*;
        dsl::records
            .find(rx)
            .select(dsl::title)
            .first(&mut app.conn())
            .unwrap()
    };
    assert!(
        title.len() >= 5 && !text.contains(&title),
        "{title}: {text}"
    );
    let sealed: Value = serde_json::from_str(&text).unwrap();
    assert!(sealed.get("title").is_none(), "{text}");
    assert_eq!(sealed["versions"][0]["key_id"], 1);
    assert_eq!(
        sealed["versions"][0]["nonce_hex"].as_str().unwrap().len(),
        24
    );
    assert_eq!(app.ledger_count("sealed_record_viewed"), 1);
    let overview = body(
        app.get("/api/v1/admin/access-overview?basis=consent", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overview["total"], 1);
    assert_eq!(overview["items"][0]["user_name"], "Dr. Sam Smith");
    let guardians = body(
        app.get("/api/v1/admin/access-overview?basis=guardian", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(guardians["items"][0]["patient_name"], "Pia Two");
    let stats = body(
        app.get("/api/v1/admin/stats/demographics", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total"], 3);
    let female = stats["sex"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sex"] == "female")
        .unwrap();
    assert_eq!(female["count"], 3);
    let minors = stats["age_bands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["band"] == "0-17")
        .unwrap();
    assert_eq!(minors["count"], 1);
}

#[actix_rt::test]
async fn registration_creates_the_patient_profile() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "newbie", "password": "a-long-enough-pw", "display_name": "New Bie", "date_of_birth": "1990-02-03", "sex": "male"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let login = app.login_response("newbie", "a-long-enough-pw").await;
    let token = body(login, StatusCode::OK).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = body(
        app.get("/api/v1/patients", Some(&token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["date_of_birth"], "1990-02-03");
    assert_eq!(mine["items"][0]["sex"], "male");
    assert!(mine["items"][0]["mrn"]
        .as_str()
        .unwrap()
        .starts_with("MRN-"));
    // Without the optional fields it still works (backward compatible).
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "plain", "password": "a-long-enough-pw", "display_name": "Plain"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}
