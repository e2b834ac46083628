//! Receipts: a patient downloads their chart's access log with proofs and
//! the published checkpoint as one file, and `careledger verify-receipt`
//! checks it offline against a pinned policy — refusing a checkpoint below
//! the policy's witness quorum and any edited event.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use shared::ledger::cosignature::CosignerKey;

use crate::ledger_helpers::*;

fn verify_receipt(file: &Path, policy: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .arg("verify-receipt")
        .arg(file)
        .arg("--policy")
        .arg(policy)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[actix_rt::test]
async fn a_patient_downloads_a_receipt_that_verifies_offline_only_under_the_policy() {
    let app = spawn_fast().await;
    app.seed_demo();
    let patient1 = app.patient_id("patient1");
    let patient2 = app.patient_id("patient2");
    let token = app.token("patient1").await;
    let doctor = app.token("dr_smith").await;
    wait_integrated(&app, Duration::from_secs(20)).await;
    api::ledger::signer::sign_current(&mut app.conn(), &signer(&app)).unwrap();

    let path = format!("/api/v1/ledger/receipt?patient={patient1}");
    assert_eq!(
        app.get(&path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Another patient's chart is invisible; the consenting doctor sees the
    // chart but does not act for it. Both refusals are ledger events.
    let denied = app.ledger_count_outcome("export", "denied");
    for (who, p, status) in [
        (&token, patient2, StatusCode::NOT_FOUND),
        (&doctor, patient1, StatusCode::FORBIDDEN),
    ] {
        let resp = app
            .get(&format!("/api/v1/ledger/receipt?patient={p}"), Some(who))
            .await;
        assert_eq!(resp.status(), status);
    }
    assert_eq!(app.ledger_count_outcome("export", "denied"), denied + 2);
    let exports = app.ledger_count_outcome("export", "allowed");
    let resp = app.get(&path, Some(&token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.ledger_count_outcome("export", "allowed"), exports + 1);
    let receipt: Value = resp.json().await.unwrap();
    assert_eq!(receipt["format"], "careledger-receipt/v1");
    let events = receipt["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|e| e["event"]["body"]["patient_id"] == patient1.to_string()));

    let dir = app.data_dir.join("receipt-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("receipt.json");
    std::fs::write(&file, serde_json::to_string_pretty(&receipt).unwrap()).unwrap();
    let vk = verifier_key(&app);

    // Pinned log key, no witnesses required: verifies.
    let open = dir.join("open.policy");
    std::fs::write(&open, format!("log {vk}\nquorum 0\n")).unwrap();
    let (ok, out) = verify_receipt(&file, &open);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("receipt OK: {} events", events.len())),
        "{out}"
    );

    // A policy that requires a witness cosignature: this checkpoint has
    // none, so the receipt is refused.
    let witness = CosignerKey::new("w.example/witness", [0x5a; 32])
        .or_else(|_| CosignerKey::new("w.example/witness", vk.public_key))
        .unwrap();
    let strict = dir.join("strict.policy");
    std::fs::write(&strict, format!("log {vk}\nwitness {witness}\nquorum 1\n")).unwrap();
    let (ok, out) = verify_receipt(&file, &strict);
    assert!(!ok, "{out}");
    assert!(
        out.contains("only 0 of the 1 witness cosignatures"),
        "{out}"
    );

    // Another log key (the server's word is not enough): refused.
    let other = shared::ledger::VerifierKey::new(&vk.name, signer_key_of_other_log(&dir)).unwrap();
    let wrong = dir.join("wrong.policy");
    std::fs::write(&wrong, format!("log {other}\nquorum 0\n")).unwrap();
    assert!(!verify_receipt(&file, &wrong).0);

    // An edited event, or an event moved to another position: refused.
    let mut edited = receipt.clone();
    edited["events"][0]["event"]["body"]["action"] = Value::from("login");
    if edited == receipt {
        edited["events"][0]["event"]["body"]["action"] = Value::from("logout");
    }
    std::fs::write(&file, edited.to_string()).unwrap();
    let (ok, out) = verify_receipt(&file, &open);
    assert!(!ok, "{out}");
    let mut moved = receipt.clone();
    let seq = moved["events"][0]["event"]["seq"].as_u64().unwrap();
    moved["events"][0]["event"]["seq"] = Value::from(seq + 1);
    std::fs::write(&file, moved.to_string()).unwrap();
    assert!(!verify_receipt(&file, &open).0);
    // Not a receipt at all, or no policy: usage errors (status 2).
    std::fs::write(&file, "{}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args(["verify-receipt"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The public key of a freshly generated, unrelated log key.
fn signer_key_of_other_log(dir: &Path) -> [u8; 32] {
    let settings = api::config::Settings::for_data_dir(
        api::config::Environment::Development,
        api::secret::Secret::new(String::new()),
        dir.join("other-log"),
    );
    api::keys::Keys::load(&settings)
        .unwrap()
        .ledger_public_key()
        .unwrap()
}
