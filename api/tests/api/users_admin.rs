//! Account administration is for admins only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

fn new_nurse() -> Value {
    json!({"username": "nurse_new", "password": "a-long-enough-pw", "role": "nurse", "display_name": "New Nurse"})
}

#[actix_rt::test]
async fn admin_creates_accounts_that_can_sign_in() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let resp = app
        .post_json("/api/v1/users", Some(&admin), &new_nurse())
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["role"], "nurse");
    assert_eq!(body["disabled"], false);
    assert_eq!(
        app.login_response("nurse_new", "a-long-enough-pw")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(app.ledger_count("user_created"), 8);
}

#[actix_rt::test]
async fn only_admins_may_create_accounts() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    for who in ["dr_smith", "nurse_kim", "patient1"] {
        let token = app.token(who).await;
        let resp = app
            .post_json("/api/v1/users", Some(&token), &new_nurse())
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
        assert_eq!(error_code(resp).await, "forbidden");
    }
    let resp = app.post_json("/api/v1/users", None, &new_nurse()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login_response("nurse_new", "a-long-enough-pw")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_rt::test]
async fn create_rejects_bad_fields_and_duplicates() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let mut bad = new_nurse();
    bad["role"] = json!("superuser");
    assert_eq!(
        app.post_json("/api/v1/users", Some(&admin), &bad)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let mut bad = new_nurse();
    bad["username"] = json!("x");
    let resp = app.post_json("/api/v1/users", Some(&admin), &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut dup = new_nurse();
    dup["username"] = json!("dr_smith");
    assert_eq!(
        app.post_json("/api/v1/users", Some(&admin), &dup)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    let mut extra = new_nurse();
    extra["id"] = json!(uuid::Uuid::new_v4());
    assert_eq!(
        app.post_json("/api/v1/users", Some(&admin), &extra)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_rt::test]
async fn user_list_is_paged_filtered_and_admin_only() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let page: Value = app
        .get("/api/v1/users?limit=3", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["total"], 7);
    assert_eq!(page["items"][0]["username"], "admin");
    let next: Value = app
        .get("/api/v1/users?limit=3&offset=3", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["username"], "guardian1");
    let doctors: Value = app
        .get("/api/v1/users?role=doctor", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doctors["total"], 2);
    assert_eq!(
        app.get("/api/v1/users?limit=1000", Some(&admin))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/users?limit=abc", Some(&admin))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let doctor = app.token("dr_smith").await;
    assert_eq!(
        app.get("/api/v1/users", Some(&doctor)).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[actix_rt::test]
async fn get_user_and_bad_ids() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let id = app.user_id("patient2");
    let user: Value = app
        .get(&format!("/api/v1/users/{id}"), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["username"], "patient2");
    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        app.get(&format!("/api/v1/users/{missing}"), Some(&admin))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/users/not-a-uuid", Some(&admin))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[actix_rt::test]
async fn seed_refuses_a_database_with_real_accounts() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "real_person", "password": "a-long-enough-pw", "display_name": "Real"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(api::seed::seed_demo(&mut app.conn()).is_err());
}

/// `(action, outcome)` of each ledger entry by `actor`, oldest first.
fn entries_by(app: &TestApp, actor: uuid::Uuid) -> Vec<(String, String)> {
    use api::db::schema::ledger_entries::dsl;
    use diesel::prelude::*;
    dsl::ledger_entries
        .filter(dsl::actor_id.eq(actor))
        .order(dsl::id)
        .select((dsl::action, dsl::outcome))
        .load(&mut app.conn())
        .unwrap()
}

#[actix_rt::test]
async fn refusals_of_admin_only_routes_are_ledger_events() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let actor = app.user_id("dr_smith");
    let nurse = app.user_id("nurse_kim");
    let p2 = app.patient_id("patient2");
    let calls: [(reqwest::Method, String, Option<Value>, &str); 9] = [
        (
            reqwest::Method::GET,
            "/api/v1/users".into(),
            None,
            "user_viewed",
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/users/{nurse}"),
            None,
            "user_viewed",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/users".into(),
            Some(new_nurse()),
            "user_created",
        ),
        (
            reqwest::Method::PATCH,
            format!("/api/v1/users/{nurse}"),
            Some(json!({"disabled": true})),
            "user_changed",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/admin/access-overview".into(),
            None,
            "oversight_viewed",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/admin/stats/demographics".into(),
            None,
            "oversight_viewed",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/ledger/checkpoint".into(),
            Some(json!({})),
            "checkpoint_signed",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/ledger/verify".into(),
            None,
            "ledger_verified",
        ),
        (
            reqwest::Method::GET,
            format!("/api/v1/patients/{p2}/guardians"),
            None,
            "guardians_viewed",
        ),
    ];
    for (method, path, body, action) in calls {
        let before = entries_by(&app, actor);
        let resp = app
            .send(method.clone(), &path, Some(&doctor), body.as_ref())
            .await;
        let status = resp.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{method} {path}: {status}"
        );
        let after = entries_by(&app, actor);
        assert_eq!(
            after[before.len()..],
            [(action.to_owned(), "denied".to_owned())],
            "{method} {path}"
        );
    }
    // Nothing was done: the nurse is still enabled, no account was made.
    let resp = app
        .login_response("nurse_kim", crate::helpers::DEMO_PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.ledger_count_outcome("user_created", "allowed"), 7);
}

#[actix_rt::test]
async fn allowed_admin_views_are_ledger_events_with_their_basis() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let actor = app.user_id("admin");
    let nurse = app.user_id("nurse_kim");
    let p1 = app.patient_id("patient1");
    let views = [
        ("/api/v1/users".to_owned(), "user_viewed"),
        (format!("/api/v1/users/{nurse}"), "user_viewed"),
        (
            "/api/v1/admin/access-overview".to_owned(),
            "oversight_viewed",
        ),
        (
            "/api/v1/admin/stats/demographics".to_owned(),
            "oversight_viewed",
        ),
        (
            format!("/api/v1/patients/{p1}/guardians"),
            "guardians_viewed",
        ),
    ];
    for (path, action) in views {
        let before = entries_by(&app, actor);
        let resp = app
            .send(reqwest::Method::GET, &path, Some(&admin), None)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let after = entries_by(&app, actor);
        assert_eq!(
            after[before.len()..],
            [(action.to_owned(), "allowed".to_owned())],
            "{path}"
        );
    }
    // The basis is the admin's role.
    use api::db::schema::ledger_entries::dsl;
    use diesel::prelude::*;
    let bases: Vec<Option<String>> = dsl::ledger_entries
        .filter(dsl::actor_id.eq(actor))
        .filter(dsl::outcome.eq("allowed"))
        .filter(dsl::action.eq_any(["user_viewed", "oversight_viewed", "guardians_viewed"]))
        .select(dsl::basis_kind)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(bases.len(), 5);
    assert!(
        bases.iter().all(|b| b.as_deref() == Some("role")),
        "{bases:?}"
    );
}
