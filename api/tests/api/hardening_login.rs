//! Password guessing: the credential guard bounds evaluation, rate limits
//! bound volume, and unknown usernames cost the same time as wrong
//! passwords (more in credential_guard.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, DEMO_PASSWORD};

#[actix_rt::test]
async fn a_thousand_guesses_evaluate_at_most_five() {
    // The first delay outlasts the test however slow the machine is.
    let app = TestApp::spawn_with(|s| {
        s.rate_limits = api::rate_limit::RateLimits::unlimited();
        s.guard.base_delay = std::time::Duration::from_secs(3600);
        s.guard.max_delay = s.guard.base_delay;
    })
    .await;
    app.seed_demo();
    let started = Instant::now();
    let mut statuses = Vec::new();
    for batch in 0..(1000 / 20) {
        let requests = (0..20).map(|i| {
            app.login_response(
                "dr_smith",
                if (batch + i) % 2 == 0 {
                    "wrong-password-1"
                } else {
                    "wrong-password-2"
                },
            )
        });
        for resp in join_all(requests).await {
            statuses.push(resp.status());
        }
    }
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(statuses.len(), 1000);
    assert!(evaluated <= 5, "{evaluated} guesses were evaluated");
    assert_eq!(evaluated + refused, 1000, "only 401 and 429 expected");
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
    // The right password is refused too while locked.
    assert_eq!(
        app.login_response("dr_smith", DEMO_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Per address only: a bucket per account name would let anyone lock its
/// owner out (the guard's account-wide ceiling spares clean sources instead).
#[actix_rt::test]
async fn sign_in_is_rate_limited_per_address_not_per_account() {
    // The default burst (30), refilled slowly enough that a loaded machine
    // cannot refill it while the test runs.
    let app = TestApp::spawn_with(|s| {
        s.rate_limits.login_by_address = api::rate_limit::Rule {
            burst: 30,
            per_minute: 1,
        };
    })
    .await;
    app.seed_demo();
    // 12 quick sign-ins for one name are not refused by a per-account
    // bucket (the guard's delay is what answers after the fifth failure).
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let resp = app
            .login_response("unknown_person", "wrong-password-1")
            .await;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(crate::helpers::error_code(resp).await, "locked");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        5,
        "{statuses:?}"
    );
    // Per address: 30 at once across accounts.
    let mut limited = None;
    for i in 0..40 {
        let resp = app
            .login_response(&format!("nobody{i}"), "wrong-password-1")
            .await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("the address limit applies");
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[actix_rt::test]
async fn registration_is_rate_limited_per_address() {
    let app = TestApp::spawn_with(|s| s.rate_limits = api::rate_limit::RateLimits::default()).await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        let resp = app
            .post_json(
                "/api/v1/auth/register",
                None,
                &json!({"username": format!("reg{i}"), "password": "x", "display_name": "R"}),
            )
            .await;
        statuses.push(resp.status());
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn timed_login(app: &TestApp, username: &str) -> f64 {
    let t = Instant::now();
    let r = app.login_response(username, "wrong-password-1").await;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    ms
}

/// Unknown usernames verify against a dummy hash, so the two failures take
/// the same time. Measured in back-to-back pairs (alternating which goes
/// first) so load from other tests affects both sides alike; the median of
/// the paired differences stays under 10 ms (or a fifth of the median
/// attempt when a loaded machine makes every attempt slow).
#[actix_rt::test]
async fn unknown_user_and_wrong_password_take_the_same_time() {
    let app =
        TestApp::spawn_with(|s| s.rate_limits = api::rate_limit::RateLimits::unlimited()).await;
    app.seed_demo();
    let (mut differences, mut latencies) = (Vec::new(), Vec::new());
    for i in 0..41 {
        // Every pair starts from no counters, so both names pay the same
        // first-attempt cost whichever goes first.
        diesel::sql_query("DELETE FROM credential_throttle")
            .execute(&mut app.conn())
            .unwrap();
        let (unknown, wrong) = if i % 2 == 0 {
            let u = timed_login(&app, "no_such_user_x").await;
            (u, timed_login(&app, "patient1").await)
        } else {
            let w = timed_login(&app, "patient1").await;
            (timed_login(&app, "no_such_user_x").await, w)
        };
        differences.push(unknown - wrong);
        latencies.extend([unknown, wrong]);
    }
    let (d, typical) = (median(differences), median(latencies));
    let allowed = (typical / 5.0).max(10.0);
    assert!(
        d.abs() < allowed,
        "median unknown − wrong password: {d:.1} ms (attempts take {typical:.0} ms)"
    );
}

#[actix_rt::test]
async fn whole_ledger_verification_is_rate_limited_per_admin() {
    let app = TestApp::spawn_with(|s| s.rate_limits = api::rate_limit::RateLimits::default()).await;
    app.seed_demo();
    let admin = app.token("admin").await;
    for attempt in 1..=3 {
        let resp = app.get("/api/v1/ledger/verify", Some(&admin)).await;
        assert_eq!(resp.status(), StatusCode::OK, "verification {attempt}");
    }
    let resp = app.get("/api/v1/ledger/verify", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Other endpoints are not affected by this bucket.
    let resp = app.get("/api/v1/ledger/events?limit=5", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}
