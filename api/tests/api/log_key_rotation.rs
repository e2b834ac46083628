//! Log key rotation, step 1: with `next_signing_key_file` set, every new
//! checkpoint carries a second signature by the next key (same key name,
//! another key id), so verifiers pinning either key accept it — including
//! Go's note package — and the server's own full verification still passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use base64::{engine::general_purpose::STANDARD, Engine};
use ring::signature::{Ed25519KeyPair, KeyPair};
use shared::ledger::{SignedCheckpoint, VerifierKey};

use crate::helpers::TestApp;
use crate::ledger_helpers::*;
use crate::witness_helpers::{go_verifier, run_go};

#[actix_rt::test]
async fn a_next_key_cosigns_every_new_checkpoint_and_either_key_verifies() {
    let dir = std::env::temp_dir().join(format!("careledger-rot-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let next_file = dir.join("next-ledger.key");
    std::fs::write(&next_file, hex::encode(pkcs8.as_ref())).unwrap();
    let next_pk: [u8; 32] = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .unwrap()
        .public_key()
        .as_ref()
        .try_into()
        .unwrap();
    let path = next_file.clone();
    let app = TestApp::spawn_with(move |s| {
        s.ledger.sequencer_interval = Duration::from_millis(20);
        s.ledger.checkpoint_every = 1;
        s.ledger.next_signing_key_file = Some(path);
    })
    .await;
    let old = verifier_key(&app);
    let new = VerifierKey::new(&old.name, next_pk).unwrap();
    assert_ne!(old.key_id, new.key_id);

    let mut conn = app.conn();
    for i in 0..12 {
        write_event(&mut conn, &event(i));
    }
    wait_integrated(&app, Duration::from_secs(20)).await;
    let started = Instant::now();
    let note = loop {
        let resp = app
            .client
            .get(app.url("/log/checkpoint"))
            .send()
            .await
            .unwrap();
        if resp.status().is_success() {
            let note = resp.text().await.unwrap();
            if note.lines().nth(1) == Some("12") {
                break note;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no checkpoint of 12"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    };
    let signed = SignedCheckpoint::parse(&note).unwrap();
    assert_eq!(signed.note().signatures.len(), 2, "{note}");
    let by_old = signed.verify_with(&old).unwrap();
    let by_new = signed.verify_with(&new).unwrap();
    assert_eq!(by_old, by_new);
    // The server's full verification (with its current key) still passes.
    let report = verify_on(&mut conn, &old);
    assert!(report.valid, "{report:?}");

    // Third-party: Go's note package accepts it with either key alone.
    let Some(go) = go_verifier() else { return };
    let leaf = api::ledger::store::event_at(&mut conn, 3)
        .unwrap()
        .unwrap()
        .leaf_hash
        .0;
    for key in [&old, &new] {
        let (ok, out) = run_go(
            &go,
            &[
                format!("-url={}", app.address),
                format!("-log-key={key}"),
                "-index=3".into(),
                format!("-leaf-hash={}", STANDARD.encode(leaf)),
            ],
        );
        assert!(ok, "{key}: {out}");
    }
}

/// `careledger ledger verify` as the server after the swap (the next key is
/// now the signing key), with or without the previous key configured.
fn cli_verify(
    app: &TestApp,
    signing_key: &std::path::Path,
    previous: Option<&VerifierKey>,
) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_careledger"));
    cmd.args(["ledger", "verify"])
        .env("DATABASE_URL", &app.db_url)
        .env("CARELEDGER_DATA_DIR", &app.data_dir)
        .env("CARELEDGER_SIGNING_KEY_FILE", signing_key);
    if let Some(k) = previous {
        cmd.env("CARELEDGER_PREVIOUS_LEDGER_KEYS", k.to_string());
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[actix_rt::test]
async fn after_the_swap_old_checkpoints_verify_with_the_previous_key() {
    let app = spawn_without_sequencer().await;
    let old_signer = signer(&app);
    let old = old_signer.verifier_key().clone();
    let mut conn = app.conn();
    for i in 0..5 {
        write_event(&mut conn, &event(i));
    }
    sequence_by_hand(&mut conn, &old_signer, 5, 1);
    // The swap: the next key becomes the signing key.
    let next_file = app.data_dir.join("next-ledger.key");
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    std::fs::write(&next_file, hex::encode(pkcs8.as_ref())).unwrap();
    let mut settings = api::config::Settings::for_data_dir(
        api::config::Environment::Development,
        api::secret::Secret::new(app.db_url.clone()),
        app.data_dir.clone(),
    );
    settings.signing_key_file = next_file.clone();
    let new_signer = api::ledger::signer::CheckpointSigner::new(
        &api::keys::Keys::load(&settings).unwrap(),
        old_signer.origin(),
    )
    .unwrap();
    for i in 5..10 {
        write_event(&mut conn, &event(i));
    }
    sequence_by_hand(&mut conn, &new_signer, 5, 1);

    let (ok, out) = cli_verify(&app, &next_file, None);
    assert!(!ok, "{out}");
    assert!(out.contains("not validly signed"), "{out}");
    let (ok, out) = cli_verify(&app, &next_file, Some(&old));
    assert!(ok, "{out}");
    assert!(out.contains("10 events, 2 signed checkpoints"), "{out}");
}
