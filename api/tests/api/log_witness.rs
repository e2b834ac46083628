//! The log and two real witness processes (`careledger witness serve`) on
//! real PostgreSQL: growth is cosigned by both, a checkpoint counts as
//! published only with the quorum, the pinned policy (and Go's note package
//! with the witness keys) accepts the cosigned checkpoint, and a checkpoint
//! below the quorum is neither published nor accepted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use api::keys::Keys;
use api::ledger::signer::CheckpointSigner;
use api::log::settings::{Witness, WitnessSettings};
use base64::{engine::general_purpose::STANDARD, Engine};
use shared::ledger::cosignature::CosignerKey;
use shared::ledger::policy::{PolicyError, TrustPolicy};
use shared::ledger::VerifierKey;

use crate::helpers::TestApp;
use crate::ledger_helpers::*;
use crate::witness_helpers::*;

async fn published_size(app: &TestApp) -> Option<(u64, String)> {
    let resp = app
        .client
        .get(app.url("/log/checkpoint"))
        .send()
        .await
        .unwrap();
    if !resp.status().is_success() {
        return None;
    }
    let note = resp.text().await.unwrap();
    let size = note.lines().nth(1)?.parse().ok()?;
    Some((size, note))
}

/// Waits until the published checkpoint has `size`; returns its note.
async fn wait_published(app: &TestApp, size: u64) -> String {
    let started = Instant::now();
    loop {
        if let Some((s, note)) = published_size(app).await {
            if s == size {
                return note;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "size {size} never published (now {:?})",
            published_size(app).await.map(|p| p.0)
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn grow(app: &TestApp, from: usize, n: usize) -> u64 {
    let mut conn = app.conn();
    for i in from..from + n {
        write_event(&mut conn, &event(i));
    }
    wait_integrated(app, Duration::from_secs(20)).await;
    let row = api::ledger::signer::sign_current(&mut conn, &signer(app)).unwrap();
    row.size.unsigned_abs()
}

#[actix_rt::test]
async fn two_witnesses_cosign_growth_and_a_checkpoint_below_quorum_is_not_published() {
    let root = std::env::temp_dir().join(format!("careledger-w-{}", uuid::Uuid::new_v4()));
    let mut started: Option<(WitnessProc, WitnessProc, VerifierKey)> = None;
    let app = TestApp::spawn_with(|s| {
        s.ledger.sequencer_interval = Duration::from_millis(20);
        // The log's key exists before the witnesses that pin it.
        let keys = Keys::load(s).unwrap();
        let vk = CheckpointSigner::new(&keys, &s.ledger.origin)
            .unwrap()
            .verifier_key()
            .clone();
        let w1 = start_witness(&root, "w1.clinic.example/witness", &vk);
        let w2 = start_witness(&root, "w2.regulator.example/witness", &vk);
        let list = [&w1, &w2]
            .iter()
            .map(|w| Witness {
                url: w.url.clone(),
                key: w.key.clone(),
            })
            .collect();
        s.ledger.witnesses = WitnessSettings::new(list, 2).unwrap();
        s.ledger.witnesses.push_interval = Duration::from_millis(100);
        started = Some((w1, w2, vk));
    })
    .await;
    let (w1, w2, vk) = started.unwrap();
    let policy = TrustPolicy {
        logs: vec![vk.clone()],
        witnesses: vec![w1.key.clone(), w2.key.clone()],
        quorum: 2,
    };

    // First checkpoint: both witnesses cosign (from size 0).
    let size = grow(&app, 0, 300).await;
    let note = wait_published(&app, size).await;
    let accepted = policy.verify(&note).unwrap();
    assert_eq!(accepted.checkpoint.size, size);
    assert_eq!(accepted.cosigned_by.len(), 2);
    // A policy that wants a witness we never had refuses it.
    let stranger = CosignerKey::new("w3.example/witness", vk.public_key).unwrap();
    let strict = TrustPolicy {
        witnesses: vec![w1.key.clone(), w2.key.clone(), stranger],
        quorum: 3,
        ..policy.clone()
    };
    assert_eq!(
        strict.verify(&note),
        Err(PolicyError::BelowQuorum { have: 2, need: 3 })
    );

    // Go's note package opens it with the log key and both witness keys,
    // and tlog proves an entry from the public tiles.
    if let Some(go) = go_verifier() {
        let leaf = api::ledger::store::event_at(&mut app.conn(), 10)
            .unwrap()
            .unwrap()
            .leaf_hash
            .0;
        let args = vec![
            format!("-url={}", app.address),
            format!("-log-key={vk}"),
            format!("-witness-key={}", w1.key),
            format!("-witness-key={}", w2.key),
            "-quorum=2".into(),
            "-index=10".into(),
            format!("-leaf-hash={}", STANDARD.encode(leaf)),
        ];
        let (ok, out) = run_go(&go, &args);
        assert!(ok, "{out}");
        assert!(out.contains("cosignatures=2"), "{out}");
        let mut three = args.clone();
        three[4] = "-quorum=3".into();
        assert!(!run_go(&go, &three).0);
    }

    // Growth: cosigned with a consistency proof from the witnesses' size.
    let grown = grow(&app, 300, 20).await;
    assert!(grown > size);
    let note = wait_published(&app, grown).await;
    assert_eq!(policy.verify(&note).unwrap().cosigned_by.len(), 2);
    // The witness serves what it cosigned (monitoring endpoint).
    let origin_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(vk.name.as_bytes()));
    let theirs = reqwest::get(format!("{}/{origin_hash}/checkpoint", w1.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        theirs.starts_with(&format!("{}\n{grown}\n", vk.name)),
        "{theirs}"
    );
    w1.key
        .verify(&shared::ledger::note::SignedNote::parse(&theirs).unwrap())
        .unwrap();

    // One witness down: the next checkpoint gets one cosignature, is not
    // published (quorum 2), and the policy refuses it.
    drop(w2);
    let more = grow(&app, 320, 10).await;
    let started_wait = Instant::now();
    while count_cosignatures(&app, more) < 1 {
        assert!(
            started_wait.elapsed() < Duration::from_secs(20),
            "w1 never cosigned"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(published_size(&app).await.unwrap().0, grown);
    let row = api::ledger::store::checkpoint(&mut app.conn(), Some(more))
        .unwrap()
        .unwrap();
    let line = cosignature_line(&app, more);
    assert!(matches!(
        policy.verify(&format!("{}{line}", row.note)),
        Err(PolicyError::BelowQuorum { have: 1, need: 2 })
    ));
    assert!(evidence(&w1).is_empty(), "honest growth left evidence");
}

fn count_cosignatures(app: &TestApp, size: u64) -> i64 {
    count(
        &mut app.conn(),
        &format!("ledger_cosignatures WHERE size = {size}"),
    )
}

fn cosignature_line(app: &TestApp, size: u64) -> String {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct L {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    diesel::sql_query(format!(
        "SELECT line FROM ledger_cosignatures WHERE size = {size}"
    ))
    .get_result::<L>(&mut app.conn())
    .unwrap()
    .line
}
