//! `kill -9` of the real `careledger` binary during a write load: 16 clients
//! (one account each) rotate their refresh tokens as fast as they can, each
//! acknowledged rotation having recorded a `token_refreshed` event in its
//! transaction. After SIGKILL and a restart, every acknowledged action's
//! event must be present, sequenced and provable, and verification passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use api::ledger::log::LogScope;
use api::ledger::{proofs, signer as ledger_signer};
use diesel::prelude::*;
use reqwest::{Client, StatusCode};
use serde_json::json;
use shared::ledger::SignedCheckpoint;

use crate::binaries::{free_port, start_binary, wait_healthy};
use crate::helpers::DEMO_PASSWORD;
use crate::ledger_helpers::*;

const CLIENTS: usize = 16;

fn client() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

/// A client signed in as `username` (holding its refresh cookie).
async fn signed_in(base: String, username: String) -> Client {
    let c = client();
    let resp = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    c
}

/// Refreshes until an error (or `stop`); returns acknowledged refreshes.
async fn refresh_loop(c: Client, base: String, stop: Arc<AtomicBool>) -> u64 {
    let mut acked = 0;
    while !stop.load(Ordering::Relaxed) {
        match c.post(format!("{base}/api/v1/auth/refresh")).send().await {
            Ok(r) if r.status() == StatusCode::OK => acked += 1,
            _ => break,
        }
    }
    acked
}

#[actix_rt::test]
async fn kill_9_during_writes_loses_no_acknowledged_event() {
    let app = spawn_without_sequencer().await;
    app.seed_demo();
    let admin = app.token("admin").await;
    let users: Vec<String> = (0..CLIENTS).map(|i| format!("load{i:02}")).collect();
    for u in &users {
        let body =
            json!({"username": u, "password": DEMO_PASSWORD, "role": "nurse", "display_name": u});
        let resp = app.post_json("/api/v1/users", Some(&admin), &body).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start_binary(&app, port);
    wait_healthy(&base).await;
    let logins: Vec<_> = users
        .iter()
        .map(|u| actix_rt::spawn(signed_in(base.clone(), u.clone())))
        .collect();
    let mut clients = Vec::new();
    for l in logins {
        clients.push(l.await.unwrap());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|c| actix_rt::spawn(refresh_loop(c, base.clone(), stop.clone())))
        .collect();
    actix_rt::time::sleep(Duration::from_millis(2000)).await;
    child.kill_9();
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    let total_acked: u64 = acked.iter().sum();
    println!("acknowledged refreshes before SIGKILL: {total_acked}");
    assert!(total_acked > 0, "no load reached the server");

    let _restarted = start_binary(&app, port);
    wait_healthy(&base).await;
    wait_integrated(&app, Duration::from_secs(30)).await;

    let mut conn = app.conn();
    let signer = signer(&app);
    let key = signer.verifier_key().clone();
    for (user, acked) in users.iter().zip(&acked) {
        let id = app.user_id(user);
        let sequenced: i64 = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM ledger_events e JOIN ledger_entries x ON x.id = e.entry_id \
             WHERE x.action = 'token_refreshed' AND x.actor_id = '{id}'"
        ))
        .get_result::<CountRow>(&mut conn)
        .unwrap()
        .n;
        assert!(
            sequenced >= *acked as i64,
            "{user}: {acked} acknowledged, {sequenced} sequenced"
        );
    }
    let report = verify_on(&mut conn, &key);
    assert!(report.valid, "{report:?}");
    let cp = ledger_signer::sign_current(&mut conn, &signer).unwrap();
    let cp = SignedCheckpoint::parse(&cp.note)
        .unwrap()
        .verify_with(&key)
        .unwrap();
    assert_eq!(cp.size, report.checked);
    for seq in 0..cp.size {
        // Every event here is an acknowledged (or at least committed) action.
        let proof =
            proofs::inclusion(&mut conn, &LogScope::All, &signer, seq, Some(cp.size)).unwrap();
        assert_eq!(proof.verify(&key).unwrap(), cp, "seq {seq}");
    }
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
