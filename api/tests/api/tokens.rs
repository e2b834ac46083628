//! Access tokens that must not work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, DEMO_PASSWORD};

fn claims(app: &TestApp, sid: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "sub": app.user_id("admin"), "role": "admin", "sid": sid,
        "jti": uuid::Uuid::new_v4(), "iat": now, "nbf": now, "exp": now + 600,
        "aud": "careledger-api", "iss": "careledger",
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(secret: &[u8], claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn session_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

async fn assert_rejected(app: &TestApp, token: &str, what: &str) {
    let resp = app.get("/api/v1/auth/me", Some(token)).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{what}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{what}");
}

#[actix_rt::test]
async fn a_genuine_token_works_and_forged_ones_do_not() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let good = app.token("admin").await;
    let sid = session_of(&good);
    let secret = app.jwt_secret();
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&good)).await.status(),
        StatusCode::OK
    );

    // Control: a token we sign with the real key and valid claims works, so
    // each rejection below is due to the one thing changed.
    let control = sign(&secret, &claims(&app, &sid, json!({})));
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&control)).await.status(),
        StatusCode::OK
    );

    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                &secret,
                &claims(
                    &app,
                    &sid,
                    json!({"exp": now - 60, "iat": now - 960, "nbf": now - 960}),
                ),
            ),
        ),
        (
            "wrong audience",
            sign(&secret, &claims(&app, &sid, json!({"aud": "someone-else"}))),
        ),
        (
            "wrong issuer",
            sign(&secret, &claims(&app, &sid, json!({"iss": "evil"}))),
        ),
        (
            "future nbf",
            sign(&secret, &claims(&app, &sid, json!({"nbf": now + 3600}))),
        ),
        (
            "no exp",
            sign(&secret, &claims(&app, &sid, json!({"exp": null}))),
        ),
        (
            "exp as string",
            sign(&secret, &claims(&app, &sid, json!({"exp": "9999999999"}))),
        ),
        (
            "wrong key",
            sign(&[9u8; 32], &claims(&app, &sid, json!({}))),
        ),
        (
            "unknown session",
            sign(
                &secret,
                &claims(&app, &uuid::Uuid::new_v4().to_string(), json!({})),
            ),
        ),
        (
            "role escalation",
            sign(&secret, &claims(&app, &sid, json!({"role": "doctor"}))),
        ),
    ];
    for (what, token) in &cases {
        assert_rejected(&app, token, what).await;
    }

    // alg: none, with the payload of a valid token.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = good.split('.').nth(1).unwrap();
    assert_rejected(&app, &format!("{header}.{payload}."), "alg none").await;
    // No signature at all.
    let parts: Vec<&str> = good.split('.').collect();
    assert_rejected(&app, &format!("{}.{}", parts[0], parts[1]), "no signature").await;
    // Edited payload under the original signature.
    let mut edited: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    edited["exp"] = json!(now + 999_999);
    let edited = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&edited).unwrap());
    assert_rejected(
        &app,
        &format!("{}.{}.{}", parts[0], edited, parts[2]),
        "edited payload",
    )
    .await;
    // Garbage and a missing header.
    assert_rejected(&app, "not-a-token", "garbage").await;
    let resp = app.get("/api/v1/auth/me", None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn password_change_stops_every_earlier_token() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let first = app.token("dr_smith").await;
    let second = app.token("dr_smith").await;
    let resp = app
        .post_json(
            "/api/v1/auth/password",
            Some(&first),
            &json!({"current_password": DEMO_PASSWORD, "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_rejected(&app, &first, "token used to change the password").await;
    assert_rejected(&app, &second, "other session's token").await;
    assert_eq!(
        app.login_response("dr_smith", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_response("dr_smith", "a-brand-new-password")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.ledger_count("password_changed"), 1);
}

#[actix_rt::test]
async fn password_change_needs_the_current_password() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let token = app.token("patient1").await;
    let resp = app
        .post_json(
            "/api/v1/auth/password",
            Some(&token),
            &json!({"current_password": "wrong-password-x", "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&token)).await.status(),
        StatusCode::OK
    );
}

#[actix_rt::test]
async fn disabling_an_account_stops_its_tokens_at_once() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let nurse = app.token("nurse_kim").await;
    let id = app.user_id("nurse_kim");
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_rejected(&app, &nurse, "disabled account").await;
}
