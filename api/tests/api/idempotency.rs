//! `Idempotency-Key` on writes: a retried POST with the same key makes one
//! change and one ledger event and gets the first answer back; the same key
//! for another request is refused; concurrent duplicates make one change;
//! and a connection killed from PostgreSQL in the middle of a write answers
//! 503 (never 500) and the retry with the same key makes exactly one record.
//! (The lost-COMMIT-reply case, where the write *was* committed, needs a
//! private cluster: `api/tests/faults.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_code, rx, TestApp};

const KEY: &str = "idempotency-key";

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> Response {
    app.client
        .request(Method::POST, app.url(path))
        .bearer_auth(token)
        .header(KEY, key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Records whose first version is titled `title` (titles are sealed: each
/// is opened with the test's key ring).
fn records_titled(app: &TestApp, title: &str) -> i64 {
    use api::db::schema::{record_versions as v, records as r};
    let rows: Vec<(uuid::Uuid, uuid::Uuid, Vec<u8>)> = v::table
        .inner_join(r::table)
        .filter(v::version.eq(1))
        .select((v::record_id, r::patient_id, v::title_sealed))
        .load(&mut app.conn())
        .unwrap();
    let sealer = app.sealer();
    rows.iter()
        .filter(|(record_id, patient_id, sealed)| {
            let aad = api::crypto::Aad::RecordTitle {
                record_id: *record_id,
                version: 1,
                patient_id: *patient_id,
            };
            sealer.open_text(sealed, &aad).unwrap() == title
        })
        .count() as i64
}

fn prescription(title: &str) -> Value {
    json!({"kind": "prescription", "title": title, "body": rx()})
}

#[actix_rt::test]
async fn one_key_sent_twice_makes_one_record_one_event_and_the_same_answer() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let path = format!("/api/v1/patients/{}/records", app.patient_id("patient1"));
    let events_before = app.ledger_count("record_created");
    let key = uuid::Uuid::new_v4().to_string();
    let req = prescription("Idempotent Rx");

    let first = post_keyed(&app, &path, &doctor, &key, &req).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.bytes().await.unwrap();
    let second = post_keyed(&app, &path, &doctor, &key, &req).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(
        second.headers()["content-type"],
        "application/json",
        "a replay is JSON like the original"
    );
    assert_eq!(second.bytes().await.unwrap(), first_body, "identical body");

    assert_eq!(records_titled(&app, "Idempotent Rx"), 1);
    assert_eq!(app.ledger_count("record_created"), events_before + 1);

    // The stored answer (it carries the record's clinical text) is sealed.
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        sealed: Vec<u8>,
        #[diesel(sql_type = diesel::sql_types::SmallInt)]
        response_status: i16,
    }
    let stored: Stored = diesel::sql_query("SELECT sealed, response_status FROM idempotency_keys")
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(stored.response_status, 201);
    let text = String::from_utf8_lossy(&stored.sealed);
    assert!(!text.contains("Idempotent Rx") && !text.contains("Amoxicillin"));

    // Without a key, the same request is a new record.
    let again = app.post_json(&path, Some(&doctor), &req).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(records_titled(&app, "Idempotent Rx"), 2);
}

#[actix_rt::test]
async fn the_same_key_for_another_request_is_refused() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    let path = format!("/api/v1/patients/{p1}/records");
    let key = "reused-key-1";
    let first = post_keyed(&app, &path, &doctor, key, &prescription("First")).await;
    assert_eq!(first.status(), StatusCode::CREATED);

    let other_body = post_keyed(&app, &path, &doctor, key, &prescription("Second")).await;
    assert_eq!(other_body.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(other_body).await, "idempotency_key_reused");
    let other_path = post_keyed(
        &app,
        "/api/v1/access-requests",
        &doctor,
        key,
        &json!({"patient_id": p1, "purpose": "follow-up", "access": "read", "scope": {"type": "chart"}, "duration_hours": 24}),
    )
    .await;
    assert_eq!(other_path.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(records_titled(&app, "Second"), 0);

    // Keys are per caller: the patient's identical key is their own.
    let patient = app.token("patient1").await;
    let own = post_keyed(
        &app,
        &path,
        &patient,
        key,
        &json!({"kind": "allergy", "title": "Peanuts", "body": {"substance": "peanut", "reaction": "hives", "severity": "moderate"}}),
    )
    .await;
    assert_eq!(
        own.status(),
        StatusCode::CREATED,
        "{}",
        own.text().await.unwrap()
    );
}

#[actix_rt::test]
async fn malformed_keys_are_400_and_a_failed_request_leaves_its_key_free() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let path = format!("/api/v1/patients/{}/records", app.patient_id("patient1"));
    for bad in ["has space", "semi;colon", &"k".repeat(256)] {
        let resp = post_keyed(&app, &path, &doctor, bad, &prescription("Bad key")).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(error_code(resp).await, "bad_request");
    }
    let twice = app
        .client
        .post(app.url(&path))
        .bearer_auth(&doctor)
        .header(KEY, "a")
        .header(KEY, "b")
        .json(&prescription("Bad key"))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    assert_eq!(records_titled(&app, "Bad key"), 0);

    // A refused request stores nothing: the key is still free.
    let invalid = post_keyed(&app, &path, &doctor, "k-1", &prescription("")).await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let valid = post_keyed(&app, &path, &doctor, "k-1", &prescription("Now valid")).await;
    assert_eq!(valid.status(), StatusCode::CREATED);
    assert!(valid.headers().get("idempotent-replayed").is_none());
    assert_eq!(records_titled(&app, "Now valid"), 1);
}

#[actix_rt::test]
async fn concurrent_duplicates_with_one_key_make_one_record() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let path = format!("/api/v1/patients/{}/records", app.patient_id("patient1"));
    let events_before = app.ledger_count("record_created");
    let req = prescription("Concurrent Rx");
    let sends = (0..8).map(|_| post_keyed(&app, &path, &doctor, "same-key", &req));
    let answers = futures_util::future::join_all(sends).await;
    let mut bodies = Vec::new();
    for resp in answers {
        assert_eq!(resp.status(), StatusCode::CREATED);
        bodies.push(resp.bytes().await.unwrap());
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every answer is the first"
    );
    assert_eq!(records_titled(&app, "Concurrent Rx"), 1);
    assert_eq!(app.ledger_count("record_created"), events_before + 1);
}

/// The api's backend is killed from PostgreSQL (`pg_terminate_backend`)
/// while its write waits on a lock the test holds: the answer is 503 with
/// `Retry-After` (nothing was committed), and the retry with the same key
/// makes exactly one record.
#[actix_rt::test]
async fn a_write_whose_connection_is_killed_answers_503_and_its_retry_makes_one_record() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let path = format!("/api/v1/patients/{}/records", app.patient_id("patient1"));
    let req = prescription("Killed Rx");

    let mut blocker = app.conn();
    diesel::sql_query("BEGIN").execute(&mut blocker).unwrap();
    diesel::sql_query("LOCK TABLE records IN SHARE MODE")
        .execute(&mut blocker)
        .unwrap();
    let pending = {
        let (client, url, doctor, req) = (
            app.client.clone(),
            app.url(&path),
            doctor.clone(),
            req.clone(),
        );
        actix_rt::spawn(async move {
            client
                .post(url)
                .bearer_auth(doctor)
                .header(KEY, "killed-key")
                .json(&req)
                .send()
                .await
                .unwrap()
        })
    };
    #[derive(QueryableByName)]
    struct Killed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut admin = app.conn();
    let mut killed = 0;
    for _ in 0..100 {
        killed = diesel::sql_query(format!(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = '{}' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            app.db_name
        ))
        .get_result::<Killed>(&mut admin)
        .unwrap()
        .n;
        if killed > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(killed, 1, "the api's write was waiting on the lock");
    diesel::sql_query("COMMIT").execute(&mut blocker).unwrap();

    let lost = pending.await.unwrap();
    assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(lost.headers()["retry-after"], "1");
    assert_eq!(error_code(lost).await, "unavailable");
    assert_eq!(records_titled(&app, "Killed Rx"), 0);

    let retry = post_keyed(&app, &path, &doctor, "killed-key", &req).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    let replay = post_keyed(&app, &path, &doctor, "killed-key", &req).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(records_titled(&app, "Killed Rx"), 1);
}

/// Every pooled connection dies at once (all the api's backends killed, as
/// in a database restart): the next requests are served on fresh
/// connections, none answers 500 or 503.
#[actix_rt::test]
async fn dead_pooled_connections_are_replaced_before_use() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    // Fill the pool: concurrent reads check out several connections.
    let list = format!("/api/v1/patients/{p1}/records");
    let reads = (0..8).map(|_| app.get(&list, Some(&doctor)));
    for resp in futures_util::future::join_all(reads).await {
        assert_eq!(resp.status(), StatusCode::OK);
    }
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND pid <> pg_backend_pid()",
        app.db_name
    ))
    .execute(&mut app.conn())
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let path = format!("/api/v1/patients/{p1}/records");
    for n in 0..6 {
        let write = post_keyed(
            &app,
            &path,
            &doctor,
            &format!("after-{n}"),
            &prescription("After"),
        )
        .await;
        assert_eq!(write.status(), StatusCode::CREATED, "write {n}");
        let read = app.get(&path, Some(&doctor)).await;
        assert_eq!(read.status(), StatusCode::OK, "read {n}");
    }
}
