//! The concurrent load spread over three real `careledger serve` processes
//! on one database: 16 writers create records over HTTP (each creation
//! records its `record_created` event in its transaction), round-robin over
//! the three processes. Midway the sequencer leader is killed with SIGKILL;
//! another process must take over the advisory lock and carry on.
//!
//! Afterwards: contiguous sequence numbers, one chain that verifies, every
//! event provable against a signed checkpoint, and the event of every
//! acknowledged creation present and sequenced.
//!
//! Scaled down from the in-process 16 × 1,000 test
//! (`ledger_concurrency.rs`) to a few seconds of load on each side of the
//! kill — a few thousand events in a debug build — so that this test stays
//! well under a minute on two shared cores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::binaries::{free_port, start_binary, wait_healthy};
use crate::helpers::TestApp;
use crate::ledger_concurrency::check_log;
use crate::ledger_helpers::*;

const WRITERS: usize = 16;
const PROCESSES: usize = 3;
/// How long the load runs before the kill, and again after it.
const PHASE: Duration = Duration::from_secs(3);

/// What one writer saw.
#[derive(Default)]
struct Tally {
    /// Ids of the records whose creation was acknowledged (201).
    created: Vec<Uuid>,
    /// Acknowledgements by process.
    by_process: [u64; PROCESSES],
    /// Requests that got no answer (the killed process).
    unanswered: u64,
    /// Any answer other than 201, with its status.
    unexpected: Vec<u16>,
}

/// Creates records as `token` until `stop`, starting at process `first` and
/// moving to the next process after every request.
async fn create_loop(
    bases: Arc<Vec<String>>,
    first: usize,
    path: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> Tally {
    let client = Client::new();
    let rx = json!({"drug": "Amoxicillin", "dose": "500 mg", "route": "oral",
                    "frequency": "tid", "duration": "7 days"});
    let body = json!({"kind": "prescription", "title": "Rx", "body": rx});
    let mut tally = Tally::default();
    let mut i = first;
    while !stop.load(Ordering::Relaxed) {
        let process = i % PROCESSES;
        let base = &bases[process];
        i += 1;
        let sent = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == StatusCode::CREATED => match r.json::<Value>().await {
                Ok(v) => {
                    tally
                        .created
                        .push(v["id"].as_str().unwrap().parse().unwrap());
                    tally.by_process[process] += 1;
                }
                Err(_) => tally.unanswered += 1,
            },
            Ok(r) => tally.unexpected.push(r.status().as_u16()),
            Err(_) => tally.unanswered += 1,
        }
    }
    tally
}

/// The backend pid holding the sequencer's advisory lock, if any.
fn leader_backend(app: &TestApp) -> Option<i32> {
    #[derive(QueryableByName)]
    struct Holder {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    diesel::sql_query(format!(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND ((classid::bigint << 32) | objid::bigint) = {}",
        api::ledger::sequencer::SEQUENCER_LOCK_KEY
    ))
    .get_result::<Holder>(&mut app.conn())
    .optional()
    .unwrap()
    .map(|h| h.pid)
}

/// Waits until some backend other than `not` holds the sequencer lock.
async fn wait_leader(app: &TestApp, not: Option<i32>) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(pid) = leader_backend(app).filter(|p| Some(*p) != not) {
            return pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no sequencer leader"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many of `ids` have a sequenced `record_created` event.
fn sequenced_creations(app: &TestApp, ids: &[Uuid]) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(DISTINCT x.record_id) AS n FROM ledger_events e \
           JOIN ledger_entries x ON x.id = e.entry_id \
          WHERE x.action = 'record_created' AND x.record_id = ANY($1)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .get_result::<N>(&mut app.conn())
    .unwrap()
    .n
}

#[actix_rt::test]
async fn three_processes_share_one_chain_through_a_leader_kill() {
    let started = Instant::now();
    let app = spawn_without_sequencer().await;
    app.seed_demo();
    let token = app.token("dr_smith").await;
    let path = format!("/api/v1/patients/{}/records", app.patient_id("patient1"));

    // The first process starts alone, so it becomes the sequencer leader.
    let ports: Vec<u16> = (0..PROCESSES).map(|_| free_port()).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut servers = vec![start_binary(&app, ports[0])];
    wait_healthy(&bases[0]).await;
    let first_leader = wait_leader(&app, None).await;
    for port in &ports[1..] {
        servers.push(start_binary(&app, *port));
    }
    for base in &bases[1..] {
        wait_healthy(base).await;
    }
    assert_eq!(leader_backend(&app), Some(first_leader));

    let bases = Arc::new(bases);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            actix_rt::spawn(create_loop(
                bases.clone(),
                w % PROCESSES,
                path.clone(),
                token.clone(),
                stop.clone(),
            ))
        })
        .collect();
    actix_rt::time::sleep(PHASE).await;
    let before_kill = count(&mut app.conn(), "ledger_entries");
    servers[0].kill_9();
    // Its connections die with it, the lock with them; another process leads.
    let second_leader = wait_leader(&app, Some(first_leader)).await;
    assert_ne!(second_leader, first_leader);
    actix_rt::time::sleep(PHASE).await;
    stop.store(true, Ordering::Relaxed);
    let mut tallies = Vec::new();
    for w in writers {
        tallies.push(w.await.unwrap());
    }
    let created: Vec<Uuid> = tallies.iter().flat_map(|t| t.created.clone()).collect();
    let unanswered: u64 = tallies.iter().map(|t| t.unanswered).sum();
    let unexpected: Vec<u16> = tallies.iter().flat_map(|t| t.unexpected.clone()).collect();
    println!(
        "{} creations acknowledged, {unanswered} unanswered (killed process); \
         {before_kill} entries before the kill",
        created.len()
    );
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:?}");
    for p in 0..PROCESSES {
        let acked: u64 = tallies.iter().map(|t| t.by_process[p]).sum();
        assert!(acked > 0, "process {p} acknowledged nothing");
    }
    assert!(before_kill > 0, "no load before the kill");
    let after_kill = count(&mut app.conn(), "ledger_entries");
    assert!(after_kill > before_kill, "no load after the kill");

    // The survivors integrate everything; then the whole log is checked.
    wait_integrated(&app, Duration::from_secs(30)).await;
    assert_eq!(leader_backend(&app), Some(second_leader));
    assert_eq!(
        sequenced_creations(&app, &created),
        created.len() as i64,
        "an acknowledged creation's event is missing"
    );
    let total = count(&mut app.conn(), "ledger_entries") as u64;
    check_log(&app, total);
    println!("took {:?}", started.elapsed());
}
