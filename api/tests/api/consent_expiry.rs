//! A consent that runs out is put on the record as `consent_expired`, once,
//! by the api's own periodic sweep; revoked grants and grants without an
//! expiry get no such event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::TestApp;

async fn grant(app: &TestApp, token: &str, grantee: Uuid, patient: Uuid, expires: bool) -> Uuid {
    let mut body = json!({"patient_id": patient, "grantee_id": grantee, "access": "read",
                          "scope": {"type": "chart"}});
    if expires {
        body["expires_at"] =
            json!((chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339());
    }
    let resp = app.post_json("/api/v1/consents", Some(token), &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let consent: Value = resp.json().await.unwrap();
    consent["id"].as_str().unwrap().parse().unwrap()
}

fn expire_now(app: &TestApp, id: Uuid) {
    app.sql(&format!(
        "UPDATE consents SET expires_at = now() - interval '1 second' WHERE id = '{id}'"
    ));
}

#[derive(QueryableByName, Debug, PartialEq)]
struct ExpiryEvent {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    basis_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    patient_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    subject_user_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    basis_kind: Option<String>,
}

fn expiry_events(app: &TestApp) -> Vec<ExpiryEvent> {
    diesel::sql_query(
        "SELECT basis_id, patient_id, subject_user_id, basis_kind FROM ledger_entries \
         WHERE action = 'consent_expired' ORDER BY id",
    )
    .load(&mut app.conn())
    .unwrap()
}

#[actix_rt::test]
async fn each_expired_consent_is_recorded_once_by_the_sweep() {
    let app = TestApp::spawn_with(|s| {
        s.ledger.consent_expiry_interval = Duration::from_millis(200);
    })
    .await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let patient = app.token("patient1").await;
    let nurse = app.user_id("nurse_kim");
    let doctor = app.user_id("dr_smith");

    let expiring = grant(&app, &patient, nurse, p1, true).await;
    let revoked = grant(&app, &patient, doctor, p1, true).await;
    let open_ended = grant(&app, &patient, doctor, p1, false).await;
    let resp = app
        .post_json(
            &format!("/api/v1/consents/{revoked}/revoke"),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    expire_now(&app, expiring);
    expire_now(&app, revoked);
    assert!(expiry_events(&app).is_empty());

    let start = Instant::now();
    while expiry_events(&app).is_empty() && start.elapsed() < Duration::from_secs(10) {
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more sweeps: still exactly the one event.
    actix_rt::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        expiry_events(&app),
        vec![ExpiryEvent {
            basis_id: Some(expiring),
            patient_id: Some(p1),
            subject_user_id: Some(nurse),
            basis_kind: Some("consent".into()),
        }]
    );
    assert_eq!(
        api::clinical::consent_expiry::record_expiries(&mut app.conn()).unwrap(),
        0
    );
    // The open-ended grant is untouched and still in force.
    let page: Value = app
        .get(&format!("/api/v1/consents?patient_id={p1}"), Some(&patient))
        .await
        .json()
        .await
        .unwrap();
    let status = |id: Uuid| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.to_string())
            .map(|c| c["status"].clone())
    };
    assert_eq!(status(open_ended), Some(json!("active")));
    assert_eq!(status(expiring), Some(json!("expired")));
}
