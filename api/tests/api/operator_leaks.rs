//! Operator-proof disclosures (issue 14): every list that shows a patient's
//! profile or name writes one event per chart that the patient sees; admins
//! get no access-request purposes and no emergency reasons in lists (only in
//! the review of one access); a denied probe of a record id does not tell the
//! prober whose record it is; staff source addresses are kept out of the
//! leaves and shown to admins only.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::ledger::api::LedgerEventItem;
use shared::paging::Page;
use uuid::Uuid;

use crate::helpers::{body, TestApp};
use crate::ledger_helpers::wait_integrated;

async fn log(app: &TestApp, token: &str) -> Vec<LedgerEventItem> {
    wait_integrated(app, Duration::from_secs(10)).await;
    let resp = app
        .get("/api/v1/ledger/events?limit=100", Some(token))
        .await;
    let page: Page<LedgerEventItem> = body(resp, StatusCode::OK).await.into_json();
    page.items
}

trait IntoJson {
    fn into_json<T: serde::de::DeserializeOwned>(self) -> T;
}

impl IntoJson for Value {
    fn into_json<T: serde::de::DeserializeOwned>(self) -> T {
        serde_json::from_value(self).unwrap()
    }
}

/// `record_viewed` events by `actor` about `chart` with no record: profile
/// or name disclosures.
fn chart_views(items: &[LedgerEventItem], actor: Uuid, chart: Uuid) -> usize {
    items
        .iter()
        .filter(|i| {
            let b = &i.event.body;
            b.action == shared::ledger::Action::RecordViewed
                && b.actor_id == Some(actor)
                && b.patient_id == Some(chart)
                && b.record_id.is_none()
                && b.outcome == shared::ledger::Outcome::Allowed
        })
        .count()
}

async fn open_emergency(app: &TestApp, doctor: &str, chart: Uuid) -> Value {
    let resp = app
        .post_json(
            &format!("/api/v1/patients/{chart}/emergency-access"),
            Some(doctor),
            &json!({"reason": "Unconscious on arrival, allergy status unknown", "duration_minutes": 30}),
        )
        .await;
    body(resp, StatusCode::CREATED).await
}

#[actix_rt::test]
async fn every_list_that_names_a_patient_writes_a_per_chart_event_the_patient_sees() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let (p1, p2) = (app.patient_id("patient1"), app.patient_id("patient2"));
    let (smith, jones) = (app.user_id("dr_smith"), app.user_id("dr_jones"));
    let smith_t = app.token("dr_smith").await;
    let jones_t = app.token("dr_jones").await;
    open_emergency(&app, &jones_t, p2).await;
    let patient1 = app.token("patient1").await;
    let guardian = app.token("guardian1").await;
    let before_smith = chart_views(&log(&app, &patient1).await, smith, p1);
    let before_jones = chart_views(&log(&app, &guardian).await, jones, p2);

    // dr_smith (consent from patient1) lists profiles and consents: two
    // requests, one event each for patient1's chart.
    for path in ["/api/v1/patients", "/api/v1/consents"] {
        let page = body(app.get(path, Some(&smith_t)).await, StatusCode::OK).await;
        assert!(page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["patient_name"]
                .as_str()
                .or(i["full_name"].as_str())
                .is_some()));
    }
    // dr_jones lists his access requests (patient1) and emergency accesses (patient2).
    body(
        app.get("/api/v1/access-requests", Some(&jones_t)).await,
        StatusCode::OK,
    )
    .await;
    body(
        app.get("/api/v1/emergency-access", Some(&jones_t)).await,
        StatusCode::OK,
    )
    .await;

    let seen_by_patient1 = log(&app, &patient1).await;
    assert_eq!(chart_views(&seen_by_patient1, smith, p1) - before_smith, 2);
    assert_eq!(
        chart_views(&seen_by_patient1, jones, p1),
        1,
        "the request list"
    );
    let seen_by_guardian = log(&app, &guardian).await;
    assert_eq!(
        chart_views(&seen_by_guardian, jones, p2) - before_jones,
        1,
        "the emergency list"
    );
    // The basis is the one that made the chart visible.
    let e = seen_by_patient1
        .iter()
        .find(|i| i.event.body.actor_id == Some(smith) && i.event.body.record_id.is_none())
        .unwrap();
    assert_eq!(
        e.event.body.basis.as_ref().unwrap().kind,
        shared::ledger::BasisKind::Consent
    );

    // One page of many charts: one event per chart, none for an empty page.
    let admin = app.token("admin").await;
    let entries = |app: &TestApp| -> i64 {
        use api::db::schema::ledger_entries::dsl as x;
        use diesel::prelude::*;
        x::ledger_entries
            .filter(x::action.eq("record_viewed"))
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    let n0 = entries(&app);
    let page = body(
        app.get("/api/v1/patients?limit=100", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    let shown = page["items"].as_array().unwrap().len() as i64;
    assert!(shown >= 2);
    assert_eq!(entries(&app) - n0, shown);
    let n1 = entries(&app);
    body(
        app.get("/api/v1/patients?q=nobody-has-this-name", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(entries(&app), n1);
}

#[actix_rt::test]
async fn admins_see_no_purposes_or_reasons_in_lists_and_a_reason_only_in_its_review() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let jones = app.token("dr_jones").await;
    let opened = open_emergency(&app, &jones, app.patient_id("patient2")).await;
    let id = opened["id"].as_str().unwrap();
    assert!(opened["reason"]
        .as_str()
        .unwrap()
        .starts_with("Unconscious"));
    let admin = app.token("admin").await;

    let requests = body(
        app.get("/api/v1/access-requests", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    let items = requests["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|r| r["purpose"].is_null() && r["decision_note"].is_null()),
        "{items:?}"
    );
    let list = body(
        app.get("/api/v1/emergency-access", Some(&admin)).await,
        StatusCode::OK,
    )
    .await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["reason"].is_null()));
    let text = serde_json::to_string(&list).unwrap() + &serde_json::to_string(&requests).unwrap();
    assert!(!text.contains("Unconscious") && !text.contains("Second opinion"));

    // The patient side and the requester still see them.
    for who in ["patient1", "dr_jones"] {
        let t = app.token(who).await;
        let r = body(
            app.get("/api/v1/access-requests", Some(&t)).await,
            StatusCode::OK,
        )
        .await;
        assert!(
            r["items"][0]["purpose"]
                .as_str()
                .unwrap()
                .contains("Second opinion"),
            "{who}"
        );
    }
    let guardian = app.token("guardian1").await;
    let g = body(
        app.get("/api/v1/emergency-access", Some(&guardian)).await,
        StatusCode::OK,
    )
    .await;
    assert!(g["items"][0]["reason"].as_str().is_some());

    // The review: the admin opens the one access (logged), then reviews it.
    let one = body(
        app.get(&format!("/api/v1/emergency-access/{id}"), Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(one["reason"].as_str().unwrap().starts_with("Unconscious"));
    let resp = app
        .get(&format!("/api/v1/emergency-access/{id}"), Some(&jones))
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(app.ledger_count("oversight_viewed") >= 1);
}

#[actix_rt::test]
async fn a_denied_probe_does_not_tell_the_prober_whose_record_it_is() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let record = app.record_of_kind(p1, "allergy");
    let nurse = app.token("nurse_kim").await;
    let resp = app
        .get(&format!("/api/v1/records/{record}"), Some(&nurse))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let mine = log(&app, &nurse).await;
    let probe = mine
        .iter()
        .find(|i| i.event.body.record_id == Some(record))
        .expect("the prober's own denied event");
    assert_eq!(probe.event.body.outcome, shared::ledger::Outcome::Denied);
    assert_eq!(probe.event.body.patient_id, None);
    let text = serde_json::to_string(&mine).unwrap();
    assert!(
        !text.contains(&p1.to_string()),
        "no event the prober sees names the chart"
    );
}

#[actix_rt::test]
async fn patients_see_no_staff_addresses_and_admins_do() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let smith = app.token("dr_smith").await;
    let record = app.record_of_kind(p1, "allergy");
    body(
        app.get(&format!("/api/v1/records/{record}"), Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;
    body(
        app.get(&format!("/api/v1/patients/{p1}/records"), Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;

    let patient = app.token("patient1").await;
    let seen = log(&app, &patient).await;
    assert!(seen
        .iter()
        .any(|i| i.event.body.actor_id == Some(app.user_id("dr_smith"))));
    assert!(seen
        .iter()
        .all(|i| i.event.body.source_addr.is_none() && i.source_addr.is_none()));
    let raw = serde_json::to_string(&seen).unwrap();
    assert!(!raw.contains("127.0.0.1"));
    // Not in any leaf: the entries hold none; the side table holds them.
    assert_eq!(
        app.sql("SELECT 1 FROM ledger_entries WHERE source_addr IS NOT NULL"),
        0
    );
    assert!(app.sql("SELECT 1 FROM ledger_sources WHERE source_addr = '127.0.0.1'") > 0);
    // Admins see where each staff request came from.
    let admin = app.token("admin").await;
    let all = log(&app, &admin).await;
    // (dr_smith's seeded records have no request behind them, so no address.)
    let reads: Vec<_> = all
        .iter()
        .filter(|i| {
            i.event.body.actor_id == Some(app.user_id("dr_smith"))
                && i.event.body.action == shared::ledger::Action::RecordViewed
        })
        .collect();
    assert!(!reads.is_empty());
    assert!(reads
        .iter()
        .all(|i| i.source_addr.as_deref() == Some("127.0.0.1")));
}
