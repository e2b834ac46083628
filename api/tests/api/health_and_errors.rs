#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

#[actix_rt::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let resp = app.get("/health", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"status": "ok"}));
}

#[actix_rt::test]
async fn readiness_reports_the_database() {
    let app = TestApp::spawn().await;
    let resp = app.get("/health/ready", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn readiness_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn_with(|s| {
        s.database_url = api::secret::Secret::new(s.database_url.expose().clone());
    })
    .await;
    // Take the database away from under the running app.
    let admin_url = std::env::var("DATABASE_URL").unwrap();
    {
        use diesel::prelude::*;
        let mut admin = PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", app.db_name))
            .execute(&mut admin)
            .unwrap();
    }
    let resp = app.get("/health/ready", None).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[actix_rt::test]
async fn oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(70 * 1024);
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": big, "password": "p"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(resp).await, "payload_too_large");
}

#[actix_rt::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "text/plain")
        .body(r#"{"username":"admin","password":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(resp).await, "unsupported_media_type");
}

#[actix_rt::test]
async fn malformed_json_is_400_and_names_the_problem() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body(r#"{"username": "admin", "password": "#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("JSON"));

    let resp = app
        .post_json("/api/v1/auth/login", None, &json!({"username": "admin"}))
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("password"));
}

#[actix_rt::test]
async fn unknown_method_on_known_path_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "POST");
    assert_eq!(error_code(resp).await, "method_not_allowed");
    let resp = app.client.put(app.url("/health")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_rt::test]
async fn unknown_api_path_is_json_404() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(resp).await, "not_found");
}

#[actix_rt::test]
async fn responses_carry_security_headers() {
    let app = TestApp::spawn().await;
    let resp = app.get("/health", None).await;
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
}

#[actix_rt::test]
async fn openapi_document_is_served() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let spec: Value = resp.json().await.unwrap();
    assert!(spec["paths"]["/api/v1/auth/login"]["post"].is_object());
}
