//! A real witness process refuses what it must (C2SP tlog-witness status
//! codes) and keeps evidence of a log that contradicts itself: a rollback
//! (a smaller signed checkpoint), a fork (same size, other root) and growth
//! whose consistency proof fails. Requests are built here with the log's
//! own key, as a misbehaving log would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use api::ledger::signer::CheckpointSigner;
use reqwest::StatusCode;
use shared::ledger::note::SignedNote;
use shared::ledger::witness_api::AddCheckpoint;

use crate::helpers::TestApp;
use crate::ledger_helpers::*;
use crate::witness_helpers::*;

async fn post(w: &WitnessProc, body: String) -> (StatusCode, String, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}/add-checkpoint", w.url))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

fn request(old: u64, proof: Vec<[u8; 32]>, note: &str) -> String {
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: note.to_owned(),
    }
    .to_body()
}

/// The stored signed checkpoint for the current size, after `n` more events.
async fn checkpoint_after(
    app: &TestApp,
    signer: &CheckpointSigner,
    from: usize,
    n: usize,
) -> (u64, String) {
    let mut conn = app.conn();
    for i in from..from + n {
        write_event(&mut conn, &event(i));
    }
    wait_integrated(app, Duration::from_secs(20)).await;
    let row = api::ledger::signer::sign_current(&mut conn, signer).unwrap();
    (row.size.unsigned_abs(), row.note)
}

/// A signer with another key (generated under `root`) and origin `origin`.
fn foreign_signer(root: &std::path::Path, origin: &str) -> CheckpointSigner {
    let settings = api::config::Settings::for_data_dir(
        api::config::Environment::Development,
        api::secret::Secret::new(String::new()),
        root.join("other-log"),
    );
    CheckpointSigner::new(&api::keys::Keys::load(&settings).unwrap(), origin).unwrap()
}

#[actix_rt::test]
async fn a_witness_refuses_rollback_fork_and_bad_proofs_and_keeps_the_evidence() {
    let app = spawn_fast().await;
    let signer = signer(&app);
    let vk = signer.verifier_key().clone();
    let root = std::env::temp_dir().join(format!("careledger-w-{}", uuid::Uuid::new_v4()));
    let w = start_witness(&root, "witness.example/w", &vk);

    let (s1, note1) = checkpoint_after(&app, &signer, 0, 10).await;
    let (status, _, line) = post(&w, request(0, vec![], &note1)).await;
    assert_eq!(status, StatusCode::OK, "{line}");
    let cosigned = SignedNote::parse(&format!("{note1}{line}")).unwrap();
    assert!(w.key.verify(&cosigned).unwrap() > 1_700_000_000);

    let (s2, note2) = checkpoint_after(&app, &signer, 10, 10).await;
    // Stale old size: 409 with the witness's size, in its content type.
    let (status, ct, body) = post(&w, request(0, vec![], &note2)).await;
    assert_eq!(
        (status, ct.as_str(), body.clone()),
        (StatusCode::CONFLICT, "text/x.tlog.size", format!("{s1}\n"))
    );
    let proof = api::ledger::proofs::consistency(&mut app.conn(), s1, Some(s2))
        .unwrap()
        .proof;
    let (status, _, line) = post(&w, request(s1, proof.clone(), &note2)).await;
    assert_eq!(status, StatusCode::OK, "{line}");
    assert!(evidence(&w).is_empty());

    // Rollback: the log's older checkpoint again → refused, evidence kept.
    let (status, ct, body) = post(&w, request(s1, vec![], &note1)).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::CONFLICT, "text/x.tlog.size")
    );
    assert_eq!(body, format!("{s2}\n"));
    // Fork: same size, another root, validly signed by the log.
    let (_, forked) = signer.sign(s2, [0x66; 32]).unwrap();
    let (status, _, _) = post(&w, request(s2, vec![], &forked)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Growth that is not an extension: the proof fails.
    let (_, bogus) = signer.sign(s2 + 5, [0x77; 32]).unwrap();
    let (status, _, _) = post(&w, request(s2, proof.clone(), &bogus)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let kept = evidence(&w);
    assert_eq!(kept.len(), 3, "{kept:?}");
    for reason in ["rollback", "fork", "inconsistent"] {
        let file = kept.iter().find(|n| n.contains(reason)).unwrap();
        let text = std::fs::read_to_string(w.state_dir.join("evidence").join(file)).unwrap();
        // The refused, log-signed checkpoint and what the witness had.
        assert!(
            text.contains(&note2[..note2.find("\n\n").unwrap()]),
            "{text}"
        );
        assert!(text.contains("\u{2014} "), "{text}");
    }

    // Not the log's key, unknown origin, malformed: 403, 404, 400.
    let other = foreign_signer(&root, &vk.name);
    let (_, impostor) = other.sign(s2 + 1, [1; 32]).unwrap();
    assert_eq!(
        post(&w, request(s2, vec![], &impostor)).await.0,
        StatusCode::FORBIDDEN
    );
    let stranger = foreign_signer(&root, "someone.else/log");
    let (_, unknown) = stranger.sign(1, [1; 32]).unwrap();
    assert_eq!(
        post(&w, request(0, vec![], &unknown)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        post(&w, "old 01\n\nx".into()).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(&w, request(s2 + 1, vec![], &note2)).await.0,
        StatusCode::BAD_REQUEST
    );

    // Through all of it the witness still stands by the honest size.
    let (status, ct, body) = post(&w, request(0, vec![], &note2)).await;
    assert_eq!(
        (status, ct.as_str(), body),
        (StatusCode::CONFLICT, "text/x.tlog.size", format!("{s2}\n"))
    );
    // And its state survives a restart.
    let state_dir = w.state_dir.clone();
    drop(w);
    let w = start_witness(&root, "witness.example/w", &vk);
    assert_eq!(w.state_dir, state_dir);
    let (status, _, body) = post(&w, request(0, vec![], &note2)).await;
    assert_eq!((status, body), (StatusCode::CONFLICT, format!("{s2}\n")));
}
