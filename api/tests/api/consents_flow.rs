//! Consent (scope, revoke, expiry), access requests and guardians,
//! behaviour by behaviour (the authorization matrix covers who-may-call-what).
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{body, grant, TestApp};

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
