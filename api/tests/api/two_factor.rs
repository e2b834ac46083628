//! Two-factor sign-in: enrolment, codes at sign-in, replay, recovery codes,
//! lockout, and the admin requirement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use api::auth::totp;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, DEMO_PASSWORD};

pub(crate) fn now_step() -> i64 {
    totp::current_step(chrono::Utc::now().timestamp())
}

/// Enrols `username`'s authenticator; returns (secret, recovery codes).
pub(crate) async fn enrol(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let resp = app
        .post_json("/api/v1/auth/totp/enroll", Some(token), &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert!(body["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/CareLedger:"));
    let secret = totp::base32_decode(body["secret"].as_str().unwrap()).unwrap();
    let code = totp::code_at(&secret, now_step());
    let resp = app
        .post_json(
            "/api/v1/auth/totp/confirm",
            Some(token),
            &json!({ "code": code }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let codes: Vec<String> = body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

async fn login_with(app: &TestApp, user: &str, extra: Value) -> reqwest::Response {
    let mut body = json!({"username": user, "password": DEMO_PASSWORD});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.post_json("/api/v1/auth/login", None, &body).await
}

#[actix_rt::test]
async fn enrolled_accounts_need_a_current_code_to_get_a_token() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("dr_smith").await;
    let (secret, codes) = enrol(&app, &token).await;
    assert_eq!(codes.len(), 10);

    let resp = login_with(&app, "dr_smith", json!({})).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(
        resp.headers().get("set-cookie").is_none(),
        "no refresh cookie before the second factor"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "mfa_required");
    assert!(body.get("access_token").is_none());

    let wrong = login_with(&app, "dr_smith", json!({"totp_code": "000000"})).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // The confirmation used this step's code; the next step's is still in the window.
    let code = totp::code_at(&secret, now_step() + 1);
    let ok = login_with(&app, "dr_smith", json!({ "totp_code": code })).await;
    assert_eq!(ok.status(), StatusCode::OK);
    // The same code again is a replay.
    let replay = login_with(&app, "dr_smith", json!({ "totp_code": code })).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn recovery_codes_work_once_each() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("nurse_kim").await;
    let (_, codes) = enrol(&app, &token).await;
    let first = &codes[0];
    let resp = login_with(
        &app,
        "nurse_kim",
        json!({ "recovery_code": first.to_uppercase() }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let again = login_with(&app, "nurse_kim", json!({ "recovery_code": first })).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let status: Value = app
        .get("/api/v1/auth/totp", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 9);
}

#[actix_rt::test]
async fn wrong_codes_count_toward_lockout() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("dr_jones").await;
    let (secret, _) = enrol(&app, &token).await;
    for _ in 0..5 {
        let resp = login_with(&app, "dr_jones", json!({"totp_code": "123456"})).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let code = totp::code_at(&secret, now_step() + 1);
    let resp = login_with(&app, "dr_jones", json!({ "totp_code": code })).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[actix_rt::test]
async fn the_totp_secret_is_sealed_at_rest() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("patient1").await;
    let (secret, _) = enrol(&app, &token).await;
    use api::db::schema::user_totp::dsl;
    let stored: Vec<u8> = dsl::user_totp
        .select(dsl::secret_sealed)
        .first(&mut app.conn())
        .unwrap();
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_slice()));
}

#[actix_rt::test]
async fn admins_must_enrol_when_required() {
    let app = TestApp::spawn_with(|s| s.require_admin_totp = true).await;
    app.seed_demo();
    let token = app.token("admin").await;
    // A password-only admin session can enrol but do nothing else.
    assert_eq!(
        app.get("/api/v1/users", Some(&token)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&token)).await.status(),
        StatusCode::OK
    );
    let (secret, _) = enrol(&app, &token).await;
    // Still a password-only session until signing in again with a code.
    assert_eq!(
        app.get("/api/v1/users", Some(&token)).await.status(),
        StatusCode::FORBIDDEN
    );
    let code = totp::code_at(&secret, now_step() + 1);
    let resp = login_with(&app, "admin", json!({ "totp_code": code })).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let full = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/users", Some(&full)).await.status(),
        StatusCode::OK
    );
    // And it cannot be turned off.
    let resp = app
        .post_json(
            "/api/v1/auth/totp/disable",
            Some(&full),
            &json!({"password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Other roles are not forced.
    let doctor = app.token("dr_smith").await;
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&doctor)).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn two_factor_can_be_turned_off_with_the_password() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("patient2").await;
    enrol(&app, &token).await;
    let resp = app
        .post_json(
            "/api/v1/auth/totp/disable",
            Some(&token),
            &json!({"password": "wrong-password-9"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .post_json(
            "/api/v1/auth/totp/disable",
            Some(&token),
            &json!({"password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        login_with(&app, "patient2", json!({})).await.status(),
        StatusCode::OK
    );
}
