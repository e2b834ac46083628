//! Refresh rotation, reuse detection, logout, me, registration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp, DEMO_PASSWORD};

fn refresh_cookie(resp: &reqwest::Response) -> String {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("careledger_refresh="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap()
}

/// POST /refresh presenting exactly `cookie` (no cookie jar).
async fn refresh_with(app: &TestApp, cookie: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/auth/refresh"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[actix_rt::test]
async fn refresh_rotates_the_cookie_and_issues_a_working_token() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let login = app.login_response("patient1", DEMO_PASSWORD).await;
    let first = refresh_cookie(&login);
    let resp = refresh_with(&app, &first).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second = refresh_cookie(&resp);
    assert_ne!(first, second);
    let body: Value = resp.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/auth/me", Some(token)).await.status(),
        StatusCode::OK
    );
    let again = refresh_with(&app, &second).await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let login = app.login_response("patient1", DEMO_PASSWORD).await;
    let first = refresh_cookie(&login);
    let body: Value = login.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();

    let rotated = refresh_with(&app, &first).await;
    let second = refresh_cookie(&rotated);
    // The stolen first token comes back.
    let reuse = refresh_with(&app, &first).await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    // The legitimate holder's newer token dies with the family, and so does
    // the session's access token.
    assert_eq!(
        refresh_with(&app, &second).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&access)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.ledger_count("refresh_reuse_detected"), 1);
    // A fresh sign-in still works.
    assert_eq!(
        app.login_response("patient1", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn refresh_without_a_cookie_is_401() {
    let app = TestApp::spawn().await;
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(resp).await, "unauthorized");
    assert_eq!(
        refresh_with(&app, "careledger_refresh=forged")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_rt::test]
async fn logout_ends_the_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let login = app.login_response("dr_jones", DEMO_PASSWORD).await;
    let cookie = refresh_cookie(&login);
    let body: Value = login.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh_with(&app, &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.ledger_count("logout"), 1);
}

#[actix_rt::test]
async fn me_describes_the_caller() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("nurse_kim").await;
    let me: Value = app
        .get("/api/v1/auth/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "nurse_kim");
    assert_eq!(me["role"], "nurse");
}

#[actix_rt::test]
async fn patients_can_register_and_then_sign_in() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "New.Patient", "password": "a-long-enough-pw", "display_name": "New Patient"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["username"], "new.patient");
    assert_eq!(body["role"], "patient");
    assert_eq!(
        app.login_response("new.patient", "a-long-enough-pw")
            .await
            .status(),
        StatusCode::OK
    );
    // The same name again conflicts.
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "new.patient", "password": "a-long-enough-pw", "display_name": "Again"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
}

#[actix_rt::test]
async fn registration_rejects_weak_passwords_and_role_injection() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "shorty", "password": "short", "display_name": "S"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["field"], "password");

    // An extra `role` field is ignored: self-registration is always a patient.
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "sneaky", "password": "a-long-enough-pw", "display_name": "S", "role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["role"], "patient");
}
