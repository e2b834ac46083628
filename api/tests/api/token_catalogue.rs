//! Sixteen-plus kinds of bad access token against every protected operation
//! in the OpenAPI document: each must be answered 401 with the same body, so
//! a caller learns nothing about why. Deriving the operations from the spec
//! means a new route is covered the moment it is registered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, DEMO_PASSWORD};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

struct Forge {
    secret: Vec<u8>,
    base: Value,
}

impl Forge {
    fn claims(&self, changes: Value) -> Value {
        let mut c = self.base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn sign(&self, changes: Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &self.claims(changes),
            &EncodingKey::from_secret(&self.secret),
        )
        .unwrap()
    }
}

/// Every bad token, named.
async fn bad_tokens(app: &TestApp) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    // A real session whose token we then take apart.
    let login: Value = app
        .login_response("dr_smith", DEMO_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let good = login["access_token"].as_str().unwrap().to_owned();
    let parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    let forge = Forge {
        secret: app.jwt_secret(),
        base: payload.clone(),
    };

    // Tokens that were valid once but whose session or account has ended.
    let after_logout = app.token("nurse_kim").await;
    app.client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&after_logout)
        .send()
        .await
        .unwrap();
    let before_password_change = app.token("dr_jones").await;
    app.post_json(
        "/api/v1/auth/password",
        Some(&before_password_change),
        &json!({"current_password": DEMO_PASSWORD, "new_password": "another-long-password"}),
    )
    .await;
    let disabled_users_token = app.token("patient2").await;
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE users SET disabled = true WHERE username = 'patient2'"),
        &mut app.conn(),
    )
    .unwrap();
    let deleted_users_token = app.token("guardian1").await;
    diesel::RunQueryDsl::execute(
        diesel::sql_query(
            "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'disabled' \
             WHERE user_id = (SELECT id FROM users WHERE username = 'guardian1')",
        ),
        &mut app.conn(),
    )
    .unwrap();
    let refresh_cookie_value = {
        let resp = app.login_response("patient1", DEMO_PASSWORD).await;
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .find_map(|v| {
                let v = v.to_str().unwrap();
                v.strip_prefix("careledger_refresh=")
                    .map(|r| r.split(';').next().unwrap().to_owned())
            })
            .unwrap()
    };

    let mut edited = payload.clone();
    edited["role"] = json!("admin");
    let public_key_hs256 = encode(
        &Header::new(Algorithm::HS256),
        &payload,
        &EncodingKey::from_secret(
            b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
        ),
    )
    .unwrap();

    vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                parts[1]
            ),
        ),
        (
            "alg None",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "None", "typ": "JWT"})),
                parts[1]
            ),
        ),
        ("HS256 signed with a public key", public_key_hs256),
        (
            "wrong key",
            encode(
                &Header::new(Algorithm::HS256),
                &payload,
                &EncodingKey::from_secret(&[1u8; 32]),
            )
            .unwrap(),
        ),
        ("no signature", format!("{}.{}", parts[0], parts[1])),
        ("empty signature", format!("{}.{}.", parts[0], parts[1])),
        (
            "edited payload",
            format!("{}.{}.{}", parts[0], b64(&edited), parts[2]),
        ),
        (
            "expired beyond leeway",
            forge.sign(json!({"exp": now - 120, "iat": now - 1000, "nbf": now - 1000})),
        ),
        ("no exp", forge.sign(json!({"exp": null}))),
        (
            "exp as a string",
            forge.sign(json!({"exp": (now + 600).to_string()})),
        ),
        ("future nbf", forge.sign(json!({"nbf": now + 3600}))),
        ("wrong aud", forge.sign(json!({"aud": "another-service"}))),
        ("wrong iss", forge.sign(json!({"iss": "someone-else"}))),
        ("no sid", forge.sign(json!({"sid": null}))),
        ("refresh token as access token", refresh_cookie_value),
        ("deleted user's token", deleted_users_token),
        ("disabled user's token", disabled_users_token),
        (
            "token from before a password change",
            before_password_change,
        ),
        ("token after logout", after_logout),
        ("garbage", "not.a.jwt".to_owned()),
    ]
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_rt::test]
async fn every_bad_token_gets_the_same_401_on_every_protected_operation() {
    let app =
        TestApp::spawn_with(|s| s.rate_limits = api::rate_limit::RateLimits::unlimited()).await;
    app.seed_demo();
    let tokens = bad_tokens(&app).await;
    assert!(tokens.len() >= 16);
    let spec = api::startup::spec();
    let mut expected_body: Option<Value> = None;
    let mut checked = 0;
    for (path, item) in &spec.paths.paths {
        let ops = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                continue;
            }
            let url = app.url(&concrete(path));
            for (name, token) in &tokens {
                let mut req = app.client.request(method.clone(), &url).bearer_auth(token);
                if op.request_body.is_some() {
                    req = req.json(&json!({}));
                }
                let resp = req.send().await.unwrap();
                assert_eq!(
                    resp.status(),
                    StatusCode::UNAUTHORIZED,
                    "{name}: {method} {path}"
                );
                let mut body: Value = resp.json().await.unwrap();
                // The request id differs per request by design; the rest must not.
                let id = body
                    .get_mut("error")
                    .and_then(|e| e.as_object_mut())
                    .and_then(|e| e.remove("request_id"));
                assert!(id.is_some(), "{name}: {method} {path}: no request_id");
                match &expected_body {
                    None => expected_body = Some(body),
                    Some(expected) => assert_eq!(&body, expected, "{name}: {method} {path}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 16 * 8, "only {checked} requests checked");
}
