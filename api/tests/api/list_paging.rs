//! Every list endpoint is paged, derived from the spec rather than a list
//! kept by hand: a GET whose 200 body is a list must take `limit` (at most
//! 100) and `offset`, and every GET that takes `limit` answers `limit=101`
//! with a JSON error while `limit=100` works for a caller allowed to list.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

fn spec() -> Value {
    serde_json::to_value(api::startup::spec()).unwrap()
}

/// `(path, operation)` for every GET in the spec.
fn get_operations(spec: &Value) -> Vec<(String, Value)> {
    spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(path, item)| item.get("get").map(|op| (path.clone(), op.clone())))
        .collect()
}

fn query_param<'a>(op: &'a Value, name: &str) -> Option<&'a Value> {
    op["parameters"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && p["in"] == "query")
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Whether a 200 JSON body is a list: a bare array, or an object whose
/// `items` is an array (a page).
fn returns_list(spec: &Value, op: &Value) -> bool {
    let Some(schema) = op["responses"]["200"]["content"]["application/json"].get("schema") else {
        return false;
    };
    let schema = resolve(spec, schema);
    schema["type"] == "array" || schema["properties"]["items"]["type"] == "array"
}

#[test]
fn every_list_operation_takes_a_bounded_limit_and_an_offset() {
    let spec = spec();
    let mut lists = 0;
    for (path, op) in get_operations(&spec) {
        if !returns_list(&spec, &op) {
            continue;
        }
        lists += 1;
        let limit = query_param(&op, "limit")
            .unwrap_or_else(|| panic!("GET {path} returns a list but takes no `limit`"));
        assert_eq!(limit["schema"]["maximum"], 100, "GET {path}: {limit}");
        assert!(
            query_param(&op, "offset").is_some(),
            "GET {path} returns a list but takes no `offset`"
        );
        let body = resolve(
            &spec,
            &op["responses"]["200"]["content"]["application/json"]["schema"],
        );
        for field in ["items", "total", "limit", "offset"] {
            assert!(
                body["properties"].get(field).is_some(),
                "GET {path} is not answered as a page (no `{field}`)"
            );
        }
    }
    assert!(lists >= 12, "only {lists} list operations found");
}

/// The path with its parameters filled from the demo data: patient1's
/// chart, one of its records, patient1's account.
fn concrete(app: &TestApp, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .iter()
        .enumerate()
        .map(|(i, seg)| {
            if !seg.starts_with('{') {
                return (*seg).to_owned();
            }
            let p1 = app.patient_id("patient1");
            match segments[i - 1] {
                "patients" => p1.to_string(),
                "records" => app.record_of_kind(p1, "diagnosis").to_string(),
                "users" => app.user_id("patient1").to_string(),
                other => panic!("no demo value for {seg} after /{other}/ in {path}"),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_rt::test]
async fn limit_over_100_is_refused_by_every_paged_operation() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let spec = spec();
    let mut callers = Vec::new();
    for name in ["admin", "dr_smith", "patient1"] {
        callers.push((name, app.token(name).await));
    }
    let mut checked = 0;
    for (path, op) in get_operations(&spec) {
        if query_param(&op, "limit").is_none() {
            continue;
        }
        let base = concrete(&app, &path);
        // Search text where the operation takes it (the directory needs it).
        let extra = if query_param(&op, "q").is_some() {
            "&q=pa"
        } else {
            ""
        };
        let mut tried = Vec::new();
        let mut caller = None;
        for (name, token) in &callers {
            let resp = app
                .get(&format!("{base}?limit=100{extra}"), Some(token))
                .await;
            let status = resp.status();
            tried.push(format!("{name}: {status}"));
            if status == StatusCode::OK {
                let page: Value = resp.json().await.unwrap();
                assert_eq!(page["limit"], 100, "GET {path}");
                assert!(page["items"].as_array().unwrap().len() <= 100);
                caller = Some((name, token));
                break;
            }
        }
        let (name, token) =
            caller.unwrap_or_else(|| panic!("GET {path}: nobody may list it ({tried:?})"));
        let resp = app
            .get(&format!("{base}?limit=101{extra}"), Some(token))
            .await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(
            status.is_client_error(),
            "GET {path}?limit=101 as {name}: {status} {text}"
        );
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("GET {path}?limit=101: not JSON: {text}"));
        assert!(
            body["error"]["code"].is_string(),
            "GET {path}?limit=101: not the error envelope: {text}"
        );
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} paged operations checked");
}
