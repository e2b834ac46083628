//! Appends under concurrency: 16 writers × 1,000 events, each in its own
//! transaction on its own connection, while one app's sequencer — or the
//! elected one of three apps sharing the database — integrates them. The
//! result must be one contiguous chain in which every event is provable
//! against a signed checkpoint, and full verification must pass. The same
//! load through three real `careledger serve` processes, with the leader
//! killed midway, is in `ledger_processes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use api::config::{Environment, Settings};
use api::ledger::log::LogScope;
use api::ledger::{proofs, signer as ledger_signer};
use api::secret::Secret;
use api::startup::Application;
use diesel::prelude::*;
use shared::ledger::{build_inclusion_proof, verify_inclusion, Hash, NodeId, SignedCheckpoint};

use crate::helpers::TestApp;
use crate::ledger_endpoints::max_delay_ms;
use crate::ledger_helpers::*;

const WRITERS: usize = 16;
const PER_WRITER: usize = 1000;

/// 16 threads, each writing `PER_WRITER` events on its own connection.
fn write_load(db_url: &str) -> Duration {
    let started = Instant::now();
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = db_url.to_owned();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                for n in 0..PER_WRITER {
                    write_event(&mut conn, &event(w * PER_WRITER + n));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    started.elapsed()
}

/// Contiguous, one verified chain, every event provable against a signed
/// checkpoint (through the same code the proof endpoint uses).
pub(crate) fn check_log(app: &TestApp, expected: u64) {
    let mut conn = app.conn();
    let signer = signer(app);
    let key = signer.verifier_key().clone();
    #[derive(QueryableByName)]
    struct Span {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        lo: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        hi: i64,
    }
    let span = diesel::sql_query(
        "SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM ledger_events",
    )
    .get_result::<Span>(&mut conn)
    .unwrap();
    assert_eq!(
        (span.n, span.lo, span.hi),
        (expected as i64, 0, expected as i64 - 1)
    );

    let started = Instant::now();
    let report = verify_on(&mut conn, &key);
    println!("verify: {expected} events in {:?}", started.elapsed());
    assert!(report.valid, "{report:?}");
    assert_eq!(report.checked, expected);
    assert!(report.checkpoints_checked > 0);

    let cp = ledger_signer::sign_current(&mut conn, &signer).unwrap();
    let cp = SignedCheckpoint::parse(&cp.note)
        .unwrap()
        .verify_with(&key)
        .unwrap();
    assert_eq!(cp.size, expected);
    // Every event: its proof, assembled from the stored nodes exactly as the
    // proof endpoint does, leads to the signed root (verify_on has already
    // tied each stored leaf node to its re-hashed event).
    let started = Instant::now();
    let nodes = all_nodes(&mut conn);
    let lookup = |id: NodeId| nodes.get(&id).copied();
    for seq in 0..expected {
        let proof = build_inclusion_proof(seq, cp.size, &lookup).unwrap();
        let leaf = nodes[&NodeId::new(0, seq)];
        verify_inclusion(&leaf, seq, cp.size, &proof, &cp.root).unwrap();
    }
    // And a sample through the served path, re-hashing the event itself.
    for seq in (0..expected).step_by(97).chain([expected - 1]) {
        let proof =
            proofs::inclusion(&mut conn, &LogScope::All, &signer, seq, Some(cp.size)).unwrap();
        assert_eq!(proof.verify(&key).unwrap(), cp, "seq {seq}");
    }
    println!(
        "{expected} inclusion proofs checked in {:?}",
        started.elapsed()
    );
}

fn all_nodes(conn: &mut PgConnection) -> HashMap<NodeId, Hash> {
    #[derive(QueryableByName)]
    struct Node {
        #[diesel(sql_type = diesel::sql_types::SmallInt)]
        level: i16,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        idx: i64,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        hash: Vec<u8>,
    }
    diesel::sql_query("SELECT level, idx, hash FROM ledger_nodes")
        .load::<Node>(conn)
        .unwrap()
        .into_iter()
        .map(|n| {
            let id = NodeId::new(n.level as u8, n.idx as u64);
            (id, n.hash.try_into().unwrap())
        })
        .collect()
}

#[actix_rt::test]
async fn sixteen_writers_make_one_contiguous_provable_chain() {
    let app = spawn_fast().await;
    let url = app.db_url.clone();
    let took = actix_rt::task::spawn_blocking(move || write_load(&url))
        .await
        .unwrap();
    let total = (WRITERS * PER_WRITER) as u64;
    println!("{total} appends by {WRITERS} writers in {took:?}");
    wait_integrated(&app, Duration::from_secs(60)).await;
    println!(
        "max commit-to-integration delay: {:.0} ms",
        max_delay_ms(&mut app.conn())
    );
    check_log(&app, total);
}

#[actix_rt::test]
async fn three_apps_on_one_database_elect_one_sequencer_and_share_one_chain() {
    let app = spawn_fast().await;
    app.seed_demo();
    // Two more api processes on the same database and key files.
    let mut ports = vec![];
    for _ in 0..2 {
        let mut settings = Settings::for_data_dir(
            Environment::Development,
            Secret::new(app.db_url.clone()),
            app.data_dir.clone(),
        );
        settings.pool_size = 4;
        settings.ledger.sequencer_interval = Duration::from_millis(20);
        let other = Application::build(settings).await.unwrap();
        ports.push(other.port());
        actix_rt::spawn(other.run_until_stopped());
    }
    // Actions through every instance land in the same log.
    for port in &ports {
        let resp = app
            .client
            .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "nurse_kim", "password": crate::helpers::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
    }
    let url = app.db_url.clone();
    actix_rt::task::spawn_blocking(move || write_load(&url))
        .await
        .unwrap();
    wait_integrated(&app, Duration::from_secs(60)).await;

    // Exactly one process holds the sequencer lock.
    #[derive(QueryableByName)]
    struct Holders {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let holders = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND ((classid::bigint << 32) | objid::bigint) = {}",
        api::ledger::sequencer::SEQUENCER_LOCK_KEY
    ))
    .get_result::<Holders>(&mut app.conn())
    .unwrap();
    assert_eq!(holders.n, 1);

    let total = count(&mut app.conn(), "ledger_entries") as u64;
    assert!(total >= (WRITERS * PER_WRITER) as u64 + 2);
    check_log(&app, total);
}
