//! Sealing at rest, end to end: bodies are not in the database in clear
//! (pg_dump), a ciphertext moved to another row does not open, and key
//! rotation re-seals every row while everything still opens.
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

const CANARY: &str = "CANARY-7f3a9c1e-do-not-leak";

async fn add_note(app: &TestApp, token: &str, chart: uuid::Uuid, text: &str) -> String {
    let resp = app
        .post_json(
            &format!("/api/v1/patients/{chart}/records"),
            Some(token),
            &json!({"kind": "visit_note", "title": "Visit", "body": {"note": text}}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[actix_rt::test]
async fn a_canary_in_a_record_never_appears_in_pg_dump() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let chart = app.patient_id("patient1");
    let id = add_note(
        &app,
        &doctor,
        chart,
        &format!("Patient reports {CANARY} symptoms"),
    )
    .await;
    let amend = app
        .post_json(
            &format!("/api/v1/records/{id}/amendments"),
            Some(&doctor),
            &json!({"body": {"note": format!("Corrected: {CANARY}")}, "reason": "typo"}),
        )
        .await;
    assert_eq!(amend.status(), StatusCode::CREATED);
    // It opens for an allowed reader …
    let read: Value = app
        .get(&format!("/api/v1/records/{id}"), Some(&doctor))
        .await
        .json()
        .await
        .unwrap();
    assert!(read["body"]["note"].as_str().unwrap().contains(CANARY));
    // … and is nowhere in the database in clear, ledger included.
    let dump = std::process::Command::new("/usr/bin/pg_dump")
        .arg("--no-owner")
        .arg(&app.db_url)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(text.contains("record_versions"), "the dump has the table");
    assert_eq!(text.matches(CANARY).count(), 0);
    // Titles are metadata (in clear); bodies and contact details are sealed.
    assert!(text.contains("Penicillin allergy"), "titles stay queryable");
    assert_eq!(
        text.matches("Spacer technique").count(),
        0,
        "seeded bodies are sealed"
    );
    assert_eq!(
        text.matches("Elm Street").count(),
        0,
        "contact details are sealed"
    );
}

#[actix_rt::test]
async fn a_ciphertext_moved_to_another_row_does_not_open() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let chart = app.patient_id("patient1");
    let secret = add_note(&app, &doctor, chart, "the secret note").await;
    let victim = add_note(&app, &doctor, chart, "an ordinary note").await;
    // Copy the secret's sealed body (key id, nonce, ciphertext) over the other row.
    app.sql(&format!(
        "UPDATE record_versions v SET key_id = s.key_id, nonce = s.nonce, ciphertext = s.ciphertext \
         FROM record_versions s WHERE s.record_id = '{secret}' AND v.record_id = '{victim}'"
    ));
    let resp = app
        .get(&format!("/api/v1/records/{victim}"), Some(&doctor))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(
        !body.contains("secret note") && !body.contains("ordinary"),
        "{body}"
    );
    let parsed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["error"]["code"], "sealed_content_unreadable");
    // The failed disclosure is in the ledger as a denial.
    assert!(app.ledger_count_outcome("record_viewed", "denied") >= 1);
    // In a list the item is marked unreadable, body withheld; the rest open.
    let list: Value = app
        .get(
            &format!("/api/v1/patients/{chart}/records?kind=visit_note"),
            Some(&doctor),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    let moved = items.iter().find(|i| i["id"] == victim.as_str()).unwrap();
    assert_eq!(moved["unreadable"], true);
    assert!(moved["body"].is_null());
    let good = items.iter().find(|i| i["id"] == secret.as_str()).unwrap();
    assert_eq!(good["body"]["note"], "the secret note");
    // Amending on top of a broken version is refused the same way.
    let resp = app
        .post_json(
            &format!("/api/v1/records/{victim}/amendments"),
            Some(&doctor),
            &json!({"body": {"note": "x"}, "reason": "fix"}),
        )
        .await;
    assert_eq!(error_code(resp).await, "sealed_content_unreadable");
}

#[actix_rt::test]
async fn key_rotation_reseals_every_row_and_all_still_open() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let chart = app.patient_id("patient1");
    for i in 0..5 {
        add_note(&app, &doctor, chart, &format!("note {i}")).await;
    }
    // A TOTP secret is sealed too, and must follow the rotation.
    let nurse = app.token("nurse_kim").await;
    let (totp_secret, _) = crate::two_factor::enrol(&app, &nurse).await;
    let path = app.data_dir.join("seal.keys");
    let new_key = api::crypto::rotate::add_key(&path).unwrap();
    assert_eq!(new_key, 2);
    let sealer = api::crypto::Sealer::from_file(path).unwrap();
    let mut conn = app.conn();
    let before = api::crypto::rotate::pending(&mut conn, new_key).unwrap();
    assert!(before > 10, "{before} rows to re-seal");
    let mut calls = Vec::new();
    let report = api::crypto::rotate::reseal_all(&mut conn, &sealer, 4, &mut |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(report.resealed as i64, before);
    assert_eq!(report.failed, 0);
    assert!(calls.len() > 3, "progress reported per batch: {calls:?}");
    assert_eq!(api::crypto::rotate::pending(&mut conn, new_key).unwrap(), 0);
    let old_keys: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT count(*) FROM record_versions WHERE key_id <> 2",
        ),
        &mut conn,
    )
    .unwrap();
    assert_eq!(old_keys, 0);
    let totp_keys: Vec<i32> = diesel::RunQueryDsl::load(
        diesel::dsl::sql::<diesel::sql_types::Integer>("SELECT key_id FROM user_totp"),
        &mut conn,
    )
    .unwrap();
    assert_eq!(totp_keys, vec![2]);
    // The re-sealed TOTP secret still checks codes (the next step: the
    // enrolment used the current one).
    let code = api::auth::totp::code_at(&totp_secret, crate::two_factor::now_step() + 1);
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "nurse_kim", "password": crate::helpers::DEMO_PASSWORD, "totp_code": code}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // The running server (loaded with key 1 only) picks up key 2 and opens
    // every record and contact.
    let list: Value = app
        .get(
            &format!("/api/v1/patients/{chart}/records?limit=100"),
            Some(&doctor),
        )
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, list["total"].as_i64().unwrap());
    assert!(items
        .iter()
        .all(|i| i["unreadable"] == false && i["body"].is_object()));
    let profile: Value = app
        .get(&format!("/api/v1/patients/{chart}"), Some(&doctor))
        .await
        .json()
        .await
        .unwrap();
    assert!(profile["contact"].as_str().unwrap().contains("Elm Street"));
    // New seals use the new key.
    add_note(&app, &doctor, chart, "after rotation").await;
    assert_eq!(api::crypto::rotate::pending(&mut conn, new_key).unwrap(), 0);
}

#[actix_rt::test]
async fn ten_thousand_seals_never_repeat_a_nonce() {
    let app = TestApp::spawn().await;
    let sealer = app.sealer();
    let mut seen = std::collections::HashSet::new();
    let aad = api::crypto::Aad::RecordBody {
        record_id: uuid::Uuid::new_v4(),
        version: 1,
        patient_id: uuid::Uuid::new_v4(),
    };
    for _ in 0..10_000 {
        let sealed = sealer.seal(&aad, b"same plaintext").unwrap();
        assert!(seen.insert(sealed.nonce));
    }
    assert_eq!(seen.len(), 10_000);
}
