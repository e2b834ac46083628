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
    // Titles, bodies and contact details are all sealed.
    assert_eq!(
        text.matches("Penicillin allergy").count(),
        0,
        "titles are sealed"
    );
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
    let mut notes = Vec::new();
    for i in 0..5 {
        notes.push(add_note(&app, &doctor, chart, &format!("note {i}")).await);
    }
    // An amended record: its older version must be re-sealed too.
    let amend = app
        .post_json(
            &format!("/api/v1/records/{}/amendments", notes[0]),
            Some(&doctor),
            &json!({"body": {"note": "note 0, corrected"}, "reason": "typo"}),
        )
        .await;
    assert_eq!(amend.status(), StatusCode::CREATED);
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
    // Every stored version of every chart, and every contact, opens under
    // the key its row names, bound to its own row.
    let opened = open_every_sealed_row(&mut conn, &sealer);
    // What was re-sealed is exactly these rows, the one TOTP secret and the
    // sealed texts (a title per version, a reason per amendment, a purpose
    // per access request), now all under key 2 and all opening.
    let texts = (opened.versions + opened.amended + opened.requests) as i64;
    assert_eq!(
        (opened.versions + opened.contacts + 1) as i64 + texts,
        before,
        "{opened:?}"
    );
    assert_eq!(
        app.sql("SELECT 1 FROM record_versions WHERE substring(title_sealed from 2 for 4) <> int4send(2) OR substring(reason_sealed from 2 for 4) <> int4send(2)"),
        0
    );
    assert_eq!(app.sql("SELECT 1 FROM access_requests WHERE substring(purpose_sealed from 2 for 4) <> int4send(2)"), 0);
    assert!(opened.charts >= 2 && opened.amended >= 1, "{opened:?}");
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
    assert!(items.iter().all(|i| i["unreadable"] == false
        && i["body"].is_object()
        && !i["title"].as_str().unwrap().is_empty()));
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

/// record id, version, patient id, key id, nonce, ciphertext
type VersionRow = (uuid::Uuid, i32, uuid::Uuid, i32, Vec<u8>, Vec<u8>);
/// patient id, key id, nonce, sealed contact
type ContactRow = (uuid::Uuid, Option<i32>, Option<Vec<u8>>, Option<Vec<u8>>);

#[derive(Debug)]
struct Opened {
    versions: usize,
    contacts: usize,
    charts: usize,
    amended: usize,
    requests: usize,
}

/// Opens every `record_versions` row and every sealed contact straight from
/// the database with the crypto API, asserting each one opens.
fn open_every_sealed_row(conn: &mut diesel::PgConnection, sealer: &api::crypto::Sealer) -> Opened {
    use api::crypto::Aad;
    use api::db::schema::{patients, record_versions, records};
    use diesel::prelude::*;
    let rows: Vec<VersionRow> = record_versions::table
        .inner_join(records::table)
        .select((
            record_versions::record_id,
            record_versions::version,
            records::patient_id,
            record_versions::key_id,
            record_versions::nonce,
            record_versions::ciphertext,
        ))
        .load(conn)
        .unwrap();
    let all: i64 = record_versions::table.count().get_result(conn).unwrap();
    assert_eq!(rows.len() as i64, all, "every version belongs to a record");
    for (record_id, version, patient_id, key_id, nonce, ciphertext) in &rows {
        let aad = Aad::RecordBody {
            record_id: *record_id,
            version: *version,
            patient_id: *patient_id,
        };
        let plain = sealer.open(*key_id, nonce, ciphertext, &aad);
        assert!(
            plain.is_ok(),
            "record {record_id} version {version} does not open"
        );
        let body: Result<Value, _> = serde_json::from_slice(&plain.unwrap());
        assert!(
            body.is_ok(),
            "record {record_id} version {version}: not JSON"
        );
    }
    let contacts: Vec<ContactRow> = patients::table
        .filter(patients::contact_sealed.is_not_null())
        .select((
            patients::id,
            patients::contact_key_id,
            patients::contact_nonce,
            patients::contact_sealed,
        ))
        .load(conn)
        .unwrap();
    for (patient_id, key_id, nonce, sealed) in &contacts {
        let aad = Aad::PatientContact {
            patient_id: *patient_id,
        };
        let (key_id, nonce, sealed) = (
            key_id.unwrap(),
            nonce.as_ref().unwrap(),
            sealed.as_ref().unwrap(),
        );
        assert_eq!(key_id, 2, "contact of {patient_id} still under the old key");
        assert!(
            sealer.open(key_id, nonce, sealed, &aad).is_ok(),
            "contact of {patient_id} does not open"
        );
    }
    let charts: std::collections::HashSet<_> = rows.iter().map(|r| r.2).collect();
    Opened {
        versions: rows.len(),
        contacts: contacts.len(),
        charts: charts.len(),
        amended: rows.iter().filter(|r| r.1 > 1).count(),
        requests: api::db::schema::access_requests::table
            .count()
            .get_result::<i64>(conn)
            .unwrap() as usize,
    }
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
