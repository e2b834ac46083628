//! The ledger's HTTP surface: proofs that verify with `shared::ledger` and
//! nothing but the published key, the scoped event list, checkpoints, and
//! the verify endpoint before and after tampering.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::ledger::api::{
    ConsistencyProofResponse, InclusionProofResponse, LedgerEventItem, LedgerPublicKey,
    SignedCheckpointView, VerifyReport,
};
use shared::ledger::VerifierKey;
use shared::paging::Page;

use crate::helpers::TestApp;
use crate::ledger_helpers::*;

async fn get_json<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str, token: &str) -> T {
    let resp = app.get(path, Some(token)).await;
    assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
    resp.json().await.unwrap()
}

async fn sign_now(app: &TestApp, token: &str) -> SignedCheckpointView {
    let resp = app
        .post_json("/api/v1/ledger/checkpoint", Some(token), &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[actix_rt::test]
async fn proofs_from_the_api_verify_against_signed_checkpoints() {
    let app = spawn_fast().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let published: LedgerPublicKey = get_json(&app, "/api/v1/ledger/public-key", &admin).await;
    let key = VerifierKey::parse(&published.verifier_key).unwrap();
    assert_eq!(key, verifier_key(&app));

    let mut conn = app.conn();
    for n in 0..12 {
        write_event(&mut conn, &event(n));
    }
    wait_integrated(&app, Duration::from_secs(10)).await;
    let old = sign_now(&app, &admin).await.verify(&key).unwrap();
    for n in 12..30 {
        write_event(&mut conn, &event(n));
    }
    wait_integrated(&app, Duration::from_secs(10)).await;
    let new = sign_now(&app, &admin).await.verify(&key).unwrap();
    assert!(new.size > old.size);

    for seq in 0..new.size {
        let path = format!("/api/v1/ledger/events/{seq}/proof?tree_size={}", new.size);
        let proof: InclusionProofResponse = get_json(&app, &path, &admin).await;
        assert_eq!(proof.verify(&key).unwrap(), new, "seq {seq}");
        assert_eq!(proof.event.leaf_hash(), proof.leaf_hash);
        // A proof with one flipped bit does not verify.
        if let Some(first) = proof.proof.first() {
            let mut bad = proof.clone();
            bad.proof[0] = {
                let mut h = *first;
                h[0] ^= 1;
                h
            };
            assert!(bad.verify(&key).is_err());
        }
    }
    // Default tree size: the latest checkpoint.
    let proof: InclusionProofResponse =
        get_json(&app, "/api/v1/ledger/events/3/proof", &admin).await;
    assert_eq!(proof.verify(&key).unwrap().size, new.size);

    let path = format!(
        "/api/v1/ledger/consistency?from={}&to={}",
        old.size, new.size
    );
    let cons: ConsistencyProofResponse = get_json(&app, &path, &admin).await;
    assert_eq!(cons.verify(&key).unwrap(), (old.clone(), new.clone()));

    let latest: SignedCheckpointView = get_json(&app, "/api/v1/ledger/checkpoint", &admin).await;
    assert!(latest.verify(&key).unwrap().size >= new.size);
    let path = format!("/api/v1/ledger/checkpoint?size={}", old.size);
    let at: SignedCheckpointView = get_json(&app, &path, &admin).await;
    assert_eq!(at.verify(&key).unwrap(), old);

    // Out of range.
    let beyond = format!(
        "/api/v1/ledger/events/0/proof?tree_size={}",
        new.size + 1000
    );
    assert_eq!(
        app.get(&beyond, Some(&admin)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let missing = format!("/api/v1/ledger/events/{}/proof", new.size + 1000);
    assert_eq!(
        app.get(&missing, Some(&admin)).await.status(),
        StatusCode::NOT_FOUND
    );
    let backwards = format!(
        "/api/v1/ledger/consistency?from={}&to={}",
        new.size, old.size
    );
    assert_eq!(
        app.get(&backwards, Some(&admin)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/v1/ledger/checkpoint", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_rt::test]
async fn the_event_list_is_scoped_filtered_and_paged() {
    let app = spawn_fast().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let doctor = app.token("dr_smith").await;
    let doctor_id = app.user_id("dr_smith");
    let _ = app.token("dr_smith").await;
    wait_integrated(&app, Duration::from_secs(10)).await;

    let all: Page<LedgerEventItem> =
        get_json(&app, "/api/v1/ledger/events?limit=100", &admin).await;
    assert_eq!(all.total as usize, all.items.len());
    assert!(
        all.items
            .windows(2)
            .all(|w| w[0].event.seq > w[1].event.seq),
        "newest first"
    );
    for item in &all.items {
        assert_eq!(item.event.leaf_hash(), item.leaf_hash);
    }

    // A doctor sees only their own actions (sign-ins and the seeded records).
    let own: Page<LedgerEventItem> = get_json(&app, "/api/v1/ledger/events", &doctor).await;
    let performed = all
        .items
        .iter()
        .filter(|i| i.event.body.actor_id == Some(doctor_id))
        .count();
    assert!(performed >= 2);
    assert_eq!(own.total as usize, performed);
    assert!(own
        .items
        .iter()
        .all(|i| i.event.body.actor_id == Some(doctor_id)));
    let admin_event = all
        .items
        .iter()
        .find(|i| i.event.body.actor_id != Some(doctor_id))
        .unwrap();
    let path = format!("/api/v1/ledger/events/{}/proof", admin_event.event.seq);
    assert_eq!(
        app.get(&path, Some(&doctor)).await.status(),
        StatusCode::NOT_FOUND
    );
    let path = format!("/api/v1/ledger/events/{}/proof", own.items[0].event.seq);
    assert_eq!(app.get(&path, Some(&doctor)).await.status(), StatusCode::OK);

    // Filters and paging.
    let path = format!("/api/v1/ledger/events?actor={doctor_id}&action=login&limit=1");
    let page: Page<LedgerEventItem> = get_json(&app, &path, &admin).await;
    assert_eq!((page.total, page.items.len()), (2, 1));
    let path = format!("/api/v1/ledger/events?actor={doctor_id}&action=login&limit=1&offset=1");
    let next: Page<LedgerEventItem> = get_json(&app, &path, &admin).await;
    assert!(next.items[0].event.seq < page.items[0].event.seq);
    let future = "/api/v1/ledger/events?from=2999-01-01T00:00:00Z";
    let none: Page<LedgerEventItem> = get_json(&app, future, &admin).await;
    assert_eq!(none.total, 0);
    let bad = app
        .get("/api/v1/ledger/events?limit=101", Some(&admin))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_rt::test]
async fn verify_endpoint_is_admin_only_and_names_the_tampered_event() {
    let app = spawn_fast().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let doctor = app.token("dr_smith").await;
    let mut conn = app.conn();
    for n in 0..10 {
        write_event(&mut conn, &event(n));
    }
    wait_integrated(&app, Duration::from_secs(10)).await;
    sign_now(&app, &admin).await;

    let resp = app.get("/api/v1/ledger/verify", Some(&doctor)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let report: VerifyReport = get_json(&app, "/api/v1/ledger/verify", &admin).await;
    assert!(report.valid, "{report:?}");
    assert!(report.checked >= 10);

    use diesel::connection::SimpleConnection;
    conn.batch_execute(
        "SET session_replication_role = replica; \
         UPDATE ledger_entries SET source_addr = '10.6.6.6' \
          WHERE id = (SELECT entry_id FROM ledger_events WHERE seq = 3)",
    )
    .unwrap();
    let report: Value = get_json(&app, "/api/v1/ledger/verify", &admin).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_invalid_seq"], 3);
    assert_eq!(report["checked"], 3);
    assert!(report["reason"].as_str().unwrap().contains("altered"));
}

#[actix_rt::test]
async fn events_are_integrated_well_within_a_second_of_commit() {
    // Default settings: 100 ms sequencer interval.
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    for n in 0..40 {
        write_event(&mut conn, &event(n));
        actix_rt::time::sleep(Duration::from_millis(7)).await;
    }
    wait_integrated(&app, Duration::from_secs(5)).await;
    let worst = max_delay_ms(&mut conn);
    println!("max commit-to-integration delay: {worst:.1} ms");
    assert!(worst < 1000.0, "{worst} ms");
}

/// Largest `integrated_at - time` over all events, in milliseconds.
pub fn max_delay_ms(conn: &mut diesel::PgConnection) -> f64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct D {
        #[diesel(sql_type = diesel::sql_types::Double)]
        ms: f64,
    }
    diesel::sql_query(
        "SELECT COALESCE(max(extract(epoch FROM e.integrated_at - x.time) * 1000), 0)::float8 AS ms \
         FROM ledger_events e JOIN ledger_entries x ON x.id = e.entry_id",
    )
    .get_result::<D>(conn)
    .unwrap()
    .ms
}
