//! `careledger ledger policy`: the trust policy an operator ships with the
//! SPA names exactly this deployment's log key (the one its checkpoints are
//! signed with), its configured witnesses and their quorum, and reads back
//! through the same parser the browser and `verify-receipt` use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use shared::ledger::policy::{PolicyError, TrustPolicy};
use shared::ledger::SignedCheckpoint;

use crate::ledger_helpers::*;

fn policy(app: &crate::helpers::TestApp, witnesses: Option<&str>) -> TrustPolicy {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_careledger"));
    cmd.args(["ledger", "policy"])
        .env("DATABASE_URL", &app.db_url)
        .env("CARELEDGER_DATA_DIR", &app.data_dir)
        .env_remove("CARELEDGER_WITNESSES")
        .env_remove("CARELEDGER_WITNESS_QUORUM");
    if let Some(w) = witnesses {
        cmd.env("CARELEDGER_WITNESSES", w);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    TrustPolicy::parse(&String::from_utf8(out.stdout).unwrap()).unwrap()
}

#[actix_rt::test]
async fn ledger_policy_pins_this_logs_key_and_its_witnesses() {
    let app = spawn_fast().await;
    app.seed_demo();
    let key: serde_json::Value = app
        .get("/api/v1/ledger/public-key", Some(&app.token("admin").await))
        .await
        .json()
        .await
        .unwrap();

    let alone = policy(&app, None);
    assert_eq!(alone.logs.len(), 1);
    assert_eq!(
        alone.logs[0].to_string(),
        key["verifier_key"].as_str().unwrap()
    );
    assert!(alone.witnesses.is_empty());
    assert_eq!(alone.quorum, 0);
    // A checkpoint this log signed verifies under it.
    let row = api::ledger::signer::sign_current(&mut app.conn(), &signer(&app)).unwrap();
    let accepted = alone.verify(&row.note).unwrap();
    assert_eq!(accepted.checkpoint.size, row.size.unsigned_abs());

    // With a witness configured, the policy requires its cosignature, which
    // this checkpoint lacks.
    let out = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args([
            "witness",
            "key",
            "--name",
            "w1.example/witness",
            "--key-file",
        ])
        .arg(app.data_dir.join("w1.key"))
        .output()
        .unwrap();
    let witness = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let with_witness = policy(&app, Some(&format!("http://127.0.0.1:9 {witness}")));
    assert_eq!(with_witness.logs, alone.logs);
    assert_eq!(with_witness.witnesses.len(), 1);
    assert_eq!(with_witness.quorum, 1);
    assert!(SignedCheckpoint::parse(&row.note).is_ok());
    assert!(matches!(
        with_witness.verify(&row.note),
        Err(PolicyError::BelowQuorum { have: 0, need: 1 })
    ));
}
