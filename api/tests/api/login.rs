#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, DEMO_PASSWORD};

#[actix_rt::test]
async fn login_returns_a_bearer_token_and_the_user() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let resp = app.login_response("admin", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("careledger_refresh="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 900);
    assert_eq!(body["user"]["username"], "admin");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(app.ledger_count("login"), 1);
}

#[actix_rt::test]
async fn usernames_are_normalised_at_login() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let resp = app.login_response("  Dr_Smith ", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The error body minus its `request_id` (which differs per request by design).
async fn without_request_id(resp: reqwest::Response) -> Value {
    let mut body: Value = resp.json().await.unwrap();
    let removed = body["error"]
        .as_object_mut()
        .and_then(|e| e.remove("request_id"));
    assert!(removed.is_some(), "{body}");
    body
}

#[actix_rt::test]
async fn unknown_user_and_wrong_password_answer_alike() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let wrong = app.login_response("admin", "not-the-password").await;
    let unknown = app.login_response("nobody_here", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let wrong_body = without_request_id(wrong).await;
    let unknown_body = without_request_id(unknown).await;
    assert_eq!(wrong_body, unknown_body);
    // A name no account can hold (NUL) is an unknown user too, not a 400.
    let impossible = app.login_response("adm\u{0}in", "not-the-password").await;
    assert_eq!(impossible.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(without_request_id(impossible).await, unknown_body);
    assert_eq!(app.ledger_count("login_failed"), 3);
}

/// Five failures from one address make that address wait before its next
/// attempt for this account (30 s, doubling with each further failure);
/// nobody else waits.
#[actix_rt::test]
async fn five_failures_make_the_address_wait_with_retry_after() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    for _ in 0..5 {
        let resp = app.login_response("dr_smith", "wrong-password-1").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // Waiting now: even the right password is not checked, with Retry-After.
    let resp = app.login_response("dr_smith", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 25 && retry <= 30, "retry-after {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "locked");
    // Other accounts are unaffected.
    assert_eq!(
        app.login_response("dr_jones", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn the_wait_ends_and_a_success_clears_the_count() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    for _ in 0..5 {
        app.login_response("nurse_kim", "wrong-password-1").await;
    }
    assert_eq!(
        app.login_response("nurse_kim", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Move the wait's end into the past, as 30 seconds passing would.
    app.sql(
        "UPDATE credential_throttle SET blocked_until = now() - interval '1 second' \
         WHERE account_key = 'nurse_kim'",
    );
    assert_eq!(
        app.login_response("nurse_kim", DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    // The success cleared this address: five more failures are allowed.
    for _ in 0..5 {
        let resp = app.login_response("nurse_kim", "wrong-password-1").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
}

#[actix_rt::test]
async fn admin_unlock_clears_every_count() {
    let app = TestApp::spawn_with(|s| s.guard.account_free = 5).await;
    app.seed_demo();
    let admin = app.token("admin").await;
    for _ in 0..5 {
        app.login_response("patient1", "wrong-password-1").await;
    }
    let users: Value = app
        .get("/api/v1/users?q=patient1", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let id = users["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(users["items"][0]["locked_until"].is_string());
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &serde_json::json!({"unlock": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert!(body["locked_until"].is_null(), "{body}");
    assert_eq!(
        app.login_response("patient1", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn disabled_account_cannot_sign_in() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    diesel::sql_query("UPDATE users SET disabled = true WHERE username = 'patient2'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        app.login_response("patient2", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
