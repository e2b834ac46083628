//! Measurements, not checks (ignored by default; run with
//! `cargo nextest run -p api --run-ignored only ledger_bench --no-capture`):
//! sequencing throughput, full verification and inclusion-proof latency on a
//! log of `LEDGER_BENCH_EVENTS` events (default 1,000,000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use api::ledger::log::LogScope;
use api::ledger::proofs;
use diesel::prelude::*;

use crate::ledger_helpers::*;

#[actix_rt::test]
#[ignore = "benchmark: minutes of work"]
async fn ledger_bench() {
    let n: u64 = std::env::var("LEDGER_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let app = spawn_without_sequencer().await;
    let mut conn = app.conn();
    let signer = signer(&app);
    let key = signer.verifier_key().clone();

    let t = Instant::now();
    diesel::sql_query(format!(
        "INSERT INTO ledger_entries (time, actor_id, actor_role, action, outcome, patient_id, request_id, source_addr, content_digest) \
         SELECT now() - (g || ' microseconds')::interval, gen_random_uuid(), 'doctor', 'record_viewed', 'allowed', \
                gen_random_uuid(), gen_random_uuid()::text, '10.0.0.1', sha256(g::text::bytea) \
         FROM generate_series(1, {n}) g"
    ))
    .execute(&mut conn)
    .unwrap();
    println!("insert {n} entries: {:?}", t.elapsed());

    let t = Instant::now();
    sequence_by_hand(&mut conn, &signer, 5000, 1000);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "sequence {n}: {secs:.1} s ({:.0} events/s)",
        n as f64 / secs
    );

    for _ in 0..2 {
        let t = Instant::now();
        let report = conn
            .transaction::<_, api::error::ApiError, _>(|c| {
                api::ledger::verify::begin_snapshot(c)?;
                api::ledger::verify::verify_all(c, &key, |_, _| {})
            })
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(report.valid, "{report:?}");
        println!(
            "verify {} events, {} checkpoints: {secs:.2} s ({:.0} events/s)",
            report.checked,
            report.checkpoints_checked,
            report.checked as f64 / secs
        );
    }

    let mut lat = Vec::new();
    for i in 0..1000u64 {
        let seq = (i * 7919) % n;
        let t = Instant::now();
        let proof = proofs::inclusion(&mut conn, &LogScope::All, &signer, seq, None).unwrap();
        lat.push(t.elapsed());
        assert!(proof.verify(&key).is_ok());
    }
    lat.sort();
    println!(
        "inclusion proof (library, incl. DB): p50 {:?} p99 {:?} max {:?}",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100],
        lat[lat.len() - 1]
    );
}
