//! The credential guard (api/src/auth/guard.rs) on the real stack: every
//! endpoint that checks a password or a code counts failures in one place,
//! throttles per (account, source) with growing delays, answers the same
//! for names with and without an account, spares a clean source, and
//! believes `X-Forwarded-For` only from a trusted proxy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use api::auth::throttle::GuardSettings;
use api::client_addr::TrustedProxies;
use diesel::prelude::*;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, DEMO_PASSWORD};

/// Five free attempts per source, then an hour's wait (long enough that a
/// test never sees it run out); the account-wide ceiling after `account_free`.
fn strict(account_free: i32) -> GuardSettings {
    GuardSettings {
        source_free: 5,
        account_free,
        base_delay: Duration::from_secs(3600),
        max_delay: Duration::from_secs(3600),
        window: Duration::from_secs(3600),
    }
}

async fn spawn_behind_proxy(account_free: i32) -> TestApp {
    let app = TestApp::spawn_with(|s| {
        s.guard = strict(account_free);
        s.trusted_proxies = TrustedProxies::parse("127.0.0.1, ::1").unwrap();
    })
    .await;
    app.seed_demo();
    app
}

/// Signs in as if from `from` (the `X-Forwarded-For` a proxy would add).
async fn login_from(app: &TestApp, from: &str, username: &str, password: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", from)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn change_password(app: &TestApp, token: &str, current: &str) -> Response {
    app.post_json(
        "/api/v1/auth/password",
        Some(token),
        &json!({"current_password": current, "new_password": "A-brand-new-pass-1"}),
    )
    .await
}

async fn assert_locked(resp: Response) -> u64 {
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "locked", "{body}");
    retry
}

#[actix_rt::test]
async fn wrong_current_passwords_are_throttled_like_sign_in() {
    let app = TestApp::spawn_with(|s| s.guard = strict(100)).await;
    app.seed_demo();
    let token = app.token("patient1").await;
    let before = stored_hash(&app, "patient1");
    for i in 0..5 {
        let resp = change_password(&app, &token, &format!("wrong-guess-{i}-xx")).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // The right current password is not even checked now …
    let retry = assert_locked(change_password(&app, &token, DEMO_PASSWORD).await).await;
    assert!(retry > 3500 && retry <= 3600, "retry-after {retry}");
    // … and sign-in from the same address shares the count.
    assert_locked(app.login_response("patient1", DEMO_PASSWORD).await).await;
    // Nothing changed.
    assert_eq!(stored_hash(&app, "patient1"), before);
}

fn stored_hash(app: &TestApp, username: &str) -> String {
    use api::db::schema::users::dsl;
    dsl::users
        .filter(dsl::username.eq(username))
        .select(dsl::password_hash)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_rt::test]
async fn totp_and_recovery_code_failures_are_counted() {
    let app = TestApp::spawn_with(|s| s.guard = strict(100)).await;
    app.seed_demo();
    // Confirming an enrolment with wrong codes.
    let token = app.token("nurse_kim").await;
    let resp = app
        .post_json("/api/v1/auth/totp/enroll", Some(&token), &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    for _ in 0..5 {
        let resp = app
            .post_json(
                "/api/v1/auth/totp/confirm",
                Some(&token),
                &json!({"code": "000000"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let resp = app
        .post_json(
            "/api/v1/auth/totp/confirm",
            Some(&token),
            &json!({"code": "000000"}),
        )
        .await;
    assert_locked(resp).await;

    // Wrong recovery codes at sign-in (the password is right).
    let token = app.token("patient2").await;
    crate::two_factor::enrol(&app, &token).await;
    for _ in 0..5 {
        let resp = app
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"username": "patient2", "password": DEMO_PASSWORD,
                        "recovery_code": "aaaa-bbbb-cccc"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_locked(app.login_response("patient2", DEMO_PASSWORD).await).await;

    // Wrong passwords to turn two-factor off.
    let token = app.token("dr_jones").await;
    crate::two_factor::enrol(&app, &token).await;
    for _ in 0..5 {
        let resp = app
            .post_json(
                "/api/v1/auth/totp/disable",
                Some(&token),
                &json!({"password": "not-the-password-1"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let resp = app
        .post_json(
            "/api/v1/auth/totp/disable",
            Some(&token),
            &json!({"password": DEMO_PASSWORD}),
        )
        .await;
    assert_locked(resp).await;
}

/// Status, body without its request id, and every header but the ones
/// that differ per response by design.
async fn shape(resp: Response) -> (StatusCode, Vec<(String, String)>, Value) {
    let status = resp.status();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "x-request-id" | "date"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    let mut body: Value = resp.json().await.unwrap();
    body["error"].as_object_mut().unwrap().remove("request_id");
    (status, headers, body)
}

#[actix_rt::test]
async fn unknown_and_real_names_answer_identically_when_throttled() {
    let app = TestApp::spawn_with(|s| s.guard = strict(100)).await;
    app.seed_demo();
    for i in 0..5 {
        let real = shape(app.login_response("dr_smith", "wrong-password-1").await).await;
        let unknown = shape(app.login_response("dr_nobody", "wrong-password-1").await).await;
        assert_eq!(real.0, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(real, unknown, "attempt {i}");
    }
    // Throttled: the same status, headers (Retry-After included) and body.
    for _ in 0..3 {
        let (real, unknown) = futures_util::future::join(
            app.login_response("dr_smith", DEMO_PASSWORD),
            app.login_response("dr_nobody", DEMO_PASSWORD),
        )
        .await;
        let (real, unknown) = (shape(real).await, shape(unknown).await);
        assert_eq!(real.0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(real.2["error"]["code"], "locked");
        let retry = |s: &(StatusCode, Vec<(String, String)>, Value)| -> i64 {
            s.1.iter()
                .find(|(k, _)| k == "retry-after")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap()
        };
        // Each name waits out its own hour (set by its own fifth failure).
        for r in [retry(&real), retry(&unknown)] {
            assert!(r > 3000 && r <= 3600, "retry-after {r}");
        }
        let strip = |s: (StatusCode, Vec<(String, String)>, Value)| {
            let headers: Vec<_> =
                s.1.into_iter()
                    .filter(|(k, _)| k != "retry-after")
                    .collect();
            (s.0, headers, s.2)
        };
        assert_eq!(strip(real), strip(unknown));
    }
    // And in comparable time: neither is checked (no hash for either). The
    // bound is 10 ms, or a fifth of a typical answer on a loaded machine.
    let (mut differences, mut latencies) = (Vec::new(), Vec::new());
    for i in 0..20 {
        let (real, unknown) = if i % 2 == 0 {
            let r = time_refused(&app, "dr_smith").await;
            (r, time_refused(&app, "dr_nobody").await)
        } else {
            let u = time_refused(&app, "dr_nobody").await;
            (time_refused(&app, "dr_smith").await, u)
        };
        differences.push(unknown - real);
        latencies.extend([unknown, real]);
    }
    differences.sort_by(f64::total_cmp);
    latencies.sort_by(f64::total_cmp);
    let median = differences[differences.len() / 2];
    let typical = latencies[latencies.len() / 2];
    assert!(
        median.abs() < (typical / 5.0).max(10.0),
        "median unknown − real: {median:.1} ms (answers take {typical:.0} ms)"
    );
}

async fn time_refused(app: &TestApp, name: &str) -> f64 {
    let t = Instant::now();
    let r = app.login_response(name, "wrong-password-1").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    t.elapsed().as_secs_f64() * 1000.0
}

#[actix_rt::test]
async fn the_owner_signs_in_from_a_clean_source_while_others_are_throttled() {
    // The account-wide ceiling after 8 attempts over all sources.
    let app = spawn_behind_proxy(8).await;
    let attacker = "198.51.100.7";
    for _ in 0..5 {
        let resp = login_from(&app, attacker, "dr_smith", "wrong-password-1").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_locked(login_from(&app, attacker, "dr_smith", DEMO_PASSWORD).await).await;
    // A second source takes the account over its ceiling: it is refused
    // after its first failure past the ceiling.
    let second = "198.51.100.8";
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            login_from(&app, second, "dr_smith", "wrong-password-1")
                .await
                .status(),
        );
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        3,
        "{statuses:?}"
    );
    // A third source gets one guess, no more.
    let third = "198.51.100.9";
    assert_eq!(
        login_from(&app, third, "dr_smith", "wrong-password-1")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_locked(login_from(&app, third, "dr_smith", DEMO_PASSWORD).await).await;
    // The owner, from an address that has not failed, signs in — twice.
    for _ in 0..2 {
        let resp = login_from(&app, "203.0.113.5", "dr_smith", DEMO_PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // The admin's list shows the account-wide delay.
    let admin = app.token("admin").await;
    let users: Value = app
        .get("/api/v1/users?q=dr_smith", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(users["items"][0]["locked_until"].is_string(), "{users}");
}

#[actix_rt::test]
async fn forwarded_for_is_believed_only_from_a_trusted_peer() {
    // No trusted proxy: the header is ignored, every guess is 127.0.0.1's.
    let app = TestApp::spawn_with(|s| s.guard = strict(100)).await;
    app.seed_demo();
    for i in 0..5 {
        let from = format!("192.0.2.{i}");
        let resp = login_from(&app, &from, "patient1", "wrong-password-1").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_locked(login_from(&app, "192.0.2.77", "patient1", DEMO_PASSWORD).await).await;
    let recorded = source_addrs(&app, "login_failed");
    assert!(recorded.iter().all(|a| a == "127.0.0.1"), "{recorded:?}");

    // Behind a trusted proxy: each forwarded client counts on its own, and
    // the ledger records the client, not the proxy. A client cannot smuggle
    // an address in front of the one the proxy appended.
    let app = spawn_behind_proxy(100).await;
    for i in 0..5 {
        let from = format!("10.9.9.9, 192.0.2.{i}");
        let resp = login_from(&app, &from, "patient1", "wrong-password-1").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = login_from(&app, "192.0.2.77", "patient1", DEMO_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut recorded = source_addrs(&app, "login_failed");
    recorded.sort();
    assert_eq!(
        recorded,
        (0..5).map(|i| format!("192.0.2.{i}")).collect::<Vec<_>>()
    );
    assert_eq!(source_addrs(&app, "login"), vec!["192.0.2.77".to_owned()]);
}

/// The client address recorded for each event with `action`: new events
/// keep it beside the ledger (`ledger_sources`), older ones in the leaf.
fn source_addrs(app: &TestApp, action: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Recorded {
        #[diesel(sql_type = diesel::sql_types::Text)]
        addr: String,
    }
    diesel::sql_query(
        "SELECT coalesce(s.source_addr, e.source_addr, '') AS addr \
         FROM ledger_entries e LEFT JOIN ledger_sources s ON s.entry_id = e.id \
         WHERE e.action = $1 ORDER BY e.id",
    )
    .bind::<diesel::sql_types::Text, _>(action)
    .load::<Recorded>(&mut app.conn())
    .unwrap()
    .into_iter()
    .map(|r| r.addr)
    .collect()
}

#[actix_rt::test]
async fn registration_is_limited_per_source_behind_a_proxy() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = api::rate_limit::RateLimits::default();
        s.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let register = |from: &'static str, i: usize| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("X-Forwarded-For", from)
            .json(&json!({"username": format!("reg{i}"), "password": "x", "display_name": "R"}))
            .send()
    };
    let mut statuses = Vec::new();
    for i in 0..11 {
        statuses.push(register("198.51.100.20", i).await.unwrap().status());
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Another client behind the same proxy has its own allowance.
    let other = register("198.51.100.21", 99).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
