//! The bad-input catalogue: oversized and deeply nested bodies, invalid
//! UTF-8, NUL bytes, huge numbers, out-of-range paging, invalid ids and
//! dates, unknown enum values, SQL and script payloads. Every answer is a
//! 4xx with the JSON envelope (never a 500), nothing is half-written, and
//! hostile text that is accepted is stored and returned verbatim as data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn counts(app: &TestApp) -> (i64, i64, i64) {
    use api::db::schema::{consents, records, users};
    let mut c = app.conn();
    (
        users::table.count().get_result(&mut c).unwrap(),
        records::table.count().get_result(&mut c).unwrap(),
        consents::table.count().get_result(&mut c).unwrap(),
    )
}

async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[actix_rt::test]
async fn hostile_input_gets_4xx_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let doctor = app.token("dr_smith").await;
    let chart = app.patient_id("patient1");
    let before = counts(&app);

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = "x".repeat(70 * 1024);
    let user_body = |extra: Value| {
        let mut b = json!({"username": "mallory", "password": "a-long-enough-pw", "role": "nurse", "display_name": "M"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        serde_json::to_vec(&b).unwrap()
    };
    let records_path = format!("/api/v1/patients/{chart}/records");
    let record = |kind: &str, title: &str, body: Value| {
        serde_json::to_vec(&json!({"kind": kind, "title": title, "body": body})).unwrap()
    };
    let cases: Vec<(&str, Method, String, Option<Vec<u8>>)> = vec![
        ("deep nesting", Method::POST, "/api/v1/users".into(), Some(deep.into_bytes())),
        ("oversized body", Method::POST, "/api/v1/users".into(), Some(user_body(json!({"display_name": huge})))),
        ("invalid UTF-8", Method::POST, "/api/v1/users".into(), Some(b"{\"username\": \"\xff\xfe\", \"password\": \"x\"}".to_vec())),
        ("NUL in username", Method::POST, "/api/v1/users".into(), Some(user_body(json!({"username": "mal\u{0}lory"})))),
        ("NUL in display name", Method::POST, "/api/v1/users".into(), Some(user_body(json!({"display_name": "M\u{0}"})))),
        ("unknown role", Method::POST, "/api/v1/users".into(), Some(user_body(json!({"role": "superuser"})))),
        ("number as username", Method::POST, "/api/v1/users".into(), Some(user_body(json!({"username": 1e308})))),
        ("unknown record kind", Method::POST, records_path.clone(), Some(record("xray", "t", json!({})))),
        ("huge vitals number", Method::POST, records_path.clone(), Some(record("vitals", "v", json!({"heart_rate_bpm": 1e30})))),
        ("negative vitals number", Method::POST, records_path.clone(), Some(record("vitals", "v", json!({"heart_rate_bpm": -5})))),
        ("NUL in record title", Method::POST, records_path.clone(), Some(record("diagnosis", "a\u{0}b", json!({"condition": "x"})))),
        ("record body of another kind", Method::POST, records_path.clone(), Some(record("prescription", "t", json!({"condition": "x"})))),
        ("invalid date in consent", Method::POST, "/api/v1/consents".into(), Some(serde_json::to_vec(&json!({"patient_id": chart, "grantee_id": app.user_id("dr_jones"), "access": "read", "scope": {"type": "chart"}, "expires_at": "2026-13-45T99:00:00Z"})).unwrap())),
        ("invalid uuid in body", Method::POST, "/api/v1/consents".into(), Some(serde_json::to_vec(&json!({"patient_id": "not-a-uuid", "grantee_id": "x", "access": "read", "scope": {"type": "chart"}})).unwrap())),
        ("invalid uuid in path", Method::GET, "/api/v1/records/not-a-uuid".into(), None),
        ("NUL in path", Method::GET, "/api/v1/patients/%00".into(), None),
        ("NUL in clinician search", Method::GET, "/api/v1/clinicians?q=a%00b".into(), None),
        ("NUL in directory search", Method::GET, "/api/v1/patients/directory?q=a%00b".into(), None),
        ("NUL in user search", Method::GET, "/api/v1/users?q=a%00b".into(), None),
        ("NUL in login", Method::POST, "/api/v1/auth/login".into(), Some(serde_json::to_vec(&json!({"username": "adm\u{0}in", "password": "x"})).unwrap())),
        ("huge checkpoint size", Method::GET, "/api/v1/ledger/checkpoint?size=18446744073709551615".into(), None),
        ("negative limit", Method::GET, "/api/v1/users?limit=-1".into(), None),
        ("huge limit", Method::GET, "/api/v1/users?limit=99999999999999999999999".into(), None),
        ("negative offset", Method::GET, "/api/v1/users?offset=-7".into(), None),
        ("invalid date filter", Method::GET, "/api/v1/ledger/events?from=yesterday".into(), None),
        ("unknown action filter", Method::GET, "/api/v1/ledger/events?action=drop_tables".into(), None),
        ("huge proof seq", Method::GET, "/api/v1/ledger/events/99999999999999999999999/proof".into(), None),
    ];
    for (name, method, path, body) in cases {
        let token = if path.contains("/records") || path.contains("consents") {
            &doctor
        } else {
            &admin
        };
        let (status, body) = send(&app, token, method, &path, body).await;
        assert!(status.is_client_error(), "{name}: {status} {body}");
        assert!(
            body["error"]["code"].is_string(),
            "{name}: no error envelope: {body}"
        );
        let text = body.to_string();
        assert!(
            !text.contains("panicked") && !text.contains("diesel") && !text.contains("src/"),
            "{name}: internals leaked: {text}"
        );
    }
    assert_eq!(counts(&app), before, "nothing half-written");
}

#[actix_rt::test]
async fn sql_and_script_payloads_are_stored_and_returned_verbatim() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let chart = app.patient_id("patient1");
    let payloads = [
        "'; DROP TABLE users; --",
        "<script>alert(document.cookie)</script>",
        "\" OR 1=1 --",
        "{{7*7}} ${7*7} %00 \\u0000",
    ];
    for p in payloads {
        let resp = app
            .post_json(
                &format!("/api/v1/patients/{chart}/records"),
                Some(&doctor),
                &json!({"kind": "diagnosis", "title": p, "body": {"condition": p, "notes": p}}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{p}");
        let created: Value = resp.json().await.unwrap();
        let read: Value = app
            .get(
                &format!("/api/v1/records/{}", created["id"].as_str().unwrap()),
                Some(&doctor),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["title"], p);
        assert_eq!(read["body"]["condition"], p);
        // Searching with the payload is a search, not a statement.
        let resp = app
            .get(
                &format!("/api/v1/patients/directory?q={}", urlencode(p)),
                Some(&doctor),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{p}");
    }
    // The users table is still there and whole.
    assert_eq!(counts(&app).0, 7);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
