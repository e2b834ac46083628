//! `careledger ledger verify` as an operator runs it: exit status, the
//! one-line summary, no progress bar when stderr is not a terminal, and the
//! tampered seq named.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::helpers::TestApp;
use crate::ledger_helpers::*;

fn run_verify(app: &TestApp, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args(["ledger", "verify"])
        .args(extra)
        .env("DATABASE_URL", &app.db_url)
        .env("CARELEDGER_DATA_DIR", &app.data_dir)
        .output()
        .unwrap()
}

#[actix_rt::test]
async fn cli_verify_summarises_and_fails_on_tampering() {
    let app = spawn_fast().await;
    let mut conn = app.conn();
    for n in 0..20 {
        write_event(&mut conn, &event(n));
    }
    wait_integrated(&app, Duration::from_secs(10)).await;
    api::ledger::signer::sign_current(&mut conn, &signer(&app)).unwrap();

    let out = run_verify(&app, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("ledger valid: 20 events"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
    assert!(out.stderr.is_empty(), "no progress bar off a terminal");

    // A third party needs only the published verifier key.
    let key = verifier_key(&app).to_string();
    assert!(run_verify(&app, &["--key", &key]).status.success());

    conn.batch_execute(
        "SET session_replication_role = replica; \
         UPDATE ledger_events SET prev_hash = sha256(prev_hash) WHERE seq = 7",
    )
    .unwrap();
    let out = run_verify(&app, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("ledger INVALID at seq 7:"), "{stdout}");
}
