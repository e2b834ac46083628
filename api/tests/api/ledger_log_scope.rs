//! The access log's listing returns exactly the events the scope rule allows
//! (`actor = me OR patient IN my charts`, then the filters), newest first,
//! with an exact total — checked against the admin's full list, for a
//! patient, a guardian and a clinician, with every filter combination the
//! query planner treats differently (`ledger::log_query::Plan`).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::Value;
use shared::ledger::api::LedgerEventItem;
use shared::ledger::Action;
use shared::paging::Page;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::ledger_helpers::*;

async fn page(app: &TestApp, path: &str, token: &str) -> Page<LedgerEventItem> {
    let resp = app.get(path, Some(token)).await;
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "GET {path}");
    resp.json().await.unwrap()
}

/// Every event, newest first, as the admin sees it.
async fn everything(app: &TestApp, admin: &str) -> Vec<LedgerEventItem> {
    let mut out = Vec::new();
    loop {
        let path = format!("/api/v1/ledger/events?limit=100&offset={}", out.len());
        let p = page(app, &path, admin).await;
        let done = p.items.len() < 100;
        out.extend(p.items);
        if done {
            return out;
        }
    }
}

async fn charts(app: &TestApp, token: &str) -> Vec<Uuid> {
    let body: Value = app
        .get("/api/v1/patients?limit=100", Some(token))
        .await
        .json()
        .await
        .unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn seqs(items: &[LedgerEventItem]) -> Vec<u64> {
    items.iter().map(|i| i.event.seq).collect()
}

/// The listing at `path` shows the first 100 of `want` and counts them all.
async fn check(app: &TestApp, token: &str, path: String, want: Vec<&LedgerEventItem>) {
    let got = page(app, &path, token).await;
    let want: Vec<u64> = want.iter().map(|i| i.event.seq).collect();
    let shown: Vec<u64> = want.iter().copied().take(100).collect();
    assert_eq!(seqs(&got.items), shown, "{path}");
    assert_eq!(got.total as usize, want.len(), "total of {path}");
}

#[actix_rt::test]
async fn each_caller_lists_exactly_its_scope_with_exact_totals() {
    let app = spawn_fast().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let admin_id = app.user_id("admin");
    let mut users = Vec::new();
    for name in ["patient1", "patient2", "guardian1", "dr_smith"] {
        let token = app.token(name).await;
        let mine = if name == "dr_smith" {
            Vec::new()
        } else {
            charts(&app, &token).await
        };
        users.push((token, app.user_id(name), mine));
    }
    let every_chart: Vec<Uuid> = charts(&app, &admin).await;
    // Nothing below writes events: the admin's list is the whole log.
    wait_integrated(&app, Duration::from_secs(10)).await;
    let all = everything(&app, &admin).await;

    for (token, me, mine) in &users {
        let visible: Vec<&LedgerEventItem> = all
            .iter()
            .filter(|i| {
                i.event.body.actor_id == Some(*me)
                    || i.event.body.patient_id.is_some_and(|p| mine.contains(&p))
            })
            .collect();
        let only = |f: &dyn Fn(&LedgerEventItem) -> bool| -> Vec<&LedgerEventItem> {
            visible.iter().copied().filter(|i| f(i)).collect()
        };
        check(
            &app,
            token,
            "/api/v1/ledger/events?limit=100".into(),
            visible.clone(),
        )
        .await;
        let got = page(&app, "/api/v1/ledger/events?limit=3&offset=2", token).await;
        let want: Vec<u64> = visible
            .iter()
            .skip(2)
            .take(3)
            .map(|i| i.event.seq)
            .collect();
        assert_eq!(seqs(&got.items), want, "paging");
        for chart in &every_chart {
            let about = |i: &LedgerEventItem| i.event.body.patient_id == Some(*chart);
            let path = format!("/api/v1/ledger/events?patient={chart}&limit=100");
            check(&app, token, path, only(&about)).await;
            let path = format!("/api/v1/ledger/events?patient={chart}&actor={admin_id}&limit=100");
            let by_admin =
                |i: &LedgerEventItem| about(i) && i.event.body.actor_id == Some(admin_id);
            check(&app, token, path, only(&by_admin)).await;
        }
        for actor in [*me, admin_id] {
            let by = |i: &LedgerEventItem| i.event.body.actor_id == Some(actor);
            let path = format!("/api/v1/ledger/events?actor={actor}&limit=100");
            check(&app, token, path, only(&by)).await;
            let logins = |i: &LedgerEventItem| by(i) && i.event.body.action == Action::Login;
            let path = format!("/api/v1/ledger/events?actor={actor}&action=login&limit=100");
            check(&app, token, path, only(&logins)).await;
        }
    }
}
