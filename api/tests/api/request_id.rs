//! One id per request: the `X-Request-Id` response header, the error body's
//! `request_id` and the `request_id` of the ledger event the request
//! recorded are the same server-issued id; a client's own `X-Request-Id` is
//! not adopted.
#![allow(clippy::unwrap_used)]

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, DEMO_PASSWORD};

/// `(action, outcome)` of every ledger entry recorded with `request_id`.
fn entries_of(app: &TestApp, request_id: &str) -> Vec<(String, String)> {
    use api::db::schema::ledger_entries::dsl;
    dsl::ledger_entries
        .filter(dsl::request_id.eq(request_id))
        .select((dsl::action, dsl::outcome))
        .load(&mut app.conn())
        .unwrap()
}

fn header_id(resp: &reqwest::Response) -> String {
    let id = resp
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "a server-issued UUID: {id}"
    );
    id
}

#[actix_rt::test]
async fn a_denied_read_has_one_id_in_header_error_body_and_ledger_event() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let jones = app.token("dr_jones").await;
    let record = app.record_of_kind(app.patient_id("patient1"), "diagnosis");
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/records/{record}")))
        .bearer_auth(&jones)
        .header("X-Request-Id", "client-chosen-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let id = header_id(&resp);
    assert_ne!(id, "client-chosen-1", "a client's id is not adopted");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], json!(id), "{body}");
    assert_eq!(
        entries_of(&app, &id),
        vec![("record_viewed".to_owned(), "denied".to_owned())],
        "exactly the denied event carries the request's id"
    );
    assert!(entries_of(&app, "client-chosen-1").is_empty());
}

#[actix_rt::test]
async fn a_successful_sign_in_has_its_id_in_header_and_ledger_event() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let resp = app.login_response("dr_smith", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let id = header_id(&resp);
    assert_eq!(
        entries_of(&app, &id),
        vec![("login".to_owned(), "allowed".to_owned())]
    );
}

#[actix_rt::test]
async fn every_response_gets_a_fresh_id_and_errors_repeat_it_in_the_body() {
    let app = TestApp::spawn().await;
    let first = app.get("/health", None).await;
    let second = app.get("/health", None).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_ne!(header_id(&first), header_id(&second));
    // Errors from the router, the authentication middleware and extractors.
    let cases = [
        app.get("/api/v1/no-such-thing", None).await,
        app.get("/api/v1/users", Some("not-a-token")).await,
        app.get("/api/v1/users", None).await,
        app.post_json("/api/v1/auth/login", None, &json!({"username": 1}))
            .await,
    ];
    for resp in cases {
        assert!(resp.status().is_client_error(), "{}", resp.status());
        let id = header_id(&resp);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["request_id"], json!(id), "{body}");
    }
}
