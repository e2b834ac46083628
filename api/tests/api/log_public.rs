//! The public log (`/log/checkpoint`, `/log/tile/...`): no token needed,
//! C2SP formats byte for byte, tiles equal the stored tree, entry bundles
//! refused, legacy 4-line checkpoints still verify, and Go's sumdb packages
//! verify the checkpoint and prove an entry from the tiles alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use diesel::prelude::*;
use reqwest::StatusCode;
use shared::ledger::{root, Checkpoint, Hash, SignedCheckpoint};

use crate::helpers::TestApp;
use crate::ledger_helpers::*;
use crate::witness_helpers::{go_verifier, run_go};

/// An app with `n` sequenced events and a signed checkpoint for them.
async fn app_with_events(n: usize) -> TestApp {
    let app = spawn_fast().await;
    let mut conn = app.conn();
    for i in 0..n {
        write_event(&mut conn, &event(i));
    }
    wait_integrated(&app, Duration::from_secs(20)).await;
    api::ledger::signer::sign_current(&mut conn, &signer(&app)).unwrap();
    app
}

fn leaf_hashes(app: &TestApp) -> Vec<Hash> {
    #[derive(QueryableByName)]
    struct L {
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        leaf_hash: Vec<u8>,
    }
    diesel::sql_query("SELECT leaf_hash FROM ledger_events ORDER BY seq")
        .load::<L>(&mut app.conn())
        .unwrap()
        .into_iter()
        .map(|l| l.leaf_hash.try_into().unwrap())
        .collect()
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

#[actix_rt::test]
async fn checkpoint_and_tiles_are_public_c2sp_resources() {
    let app = app_with_events(300).await;
    let leaves = leaf_hashes(&app);
    let size = leaves.len();
    assert!(size >= 300, "{size}");

    let resp = get(&app, "/log/checkpoint").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age=2"));
    let note = resp.text().await.unwrap();
    let cp = SignedCheckpoint::parse(&note)
        .unwrap()
        .verify_with(&verifier_key(&app))
        .unwrap();
    // Exactly the three C2SP lines: origin, size, root.
    assert_eq!(
        cp.body_text(),
        format!(
            "{}\n{size}\n{}\n",
            cp.origin,
            STANDARD.encode(root(&leaves))
        )
    );
    assert!(note.starts_with(&cp.body_text()));
    assert_eq!(cp.time, None);

    // Level 0: the leaf hashes; full tiles are immutable.
    let resp = get(&app, "/log/tile/0/000").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(resp.bytes().await.unwrap(), leaves[..256].concat());
    let partial = format!("/log/tile/0/001.p/{}", size - 256);
    let resp = get(&app, &partial).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap(), leaves[256..].concat());
    // Level 1: the root of each full level-0 tile.
    let resp = get(&app, "/log/tile/1/000.p/1").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), root(&leaves[..256]));

    // Tiles the tree has not reached, entry bundles and bad paths.
    for (path, status) in [
        ("/log/tile/0/001", StatusCode::NOT_FOUND),
        ("/log/tile/1/000", StatusCode::NOT_FOUND),
        ("/log/tile/0/001.p/255", StatusCode::NOT_FOUND),
        ("/log/tile/entries/000", StatusCode::NOT_FOUND),
        ("/log/tile/0/0001", StatusCode::BAD_REQUEST),
        ("/log/tile/0/x000/001", StatusCode::BAD_REQUEST),
        ("/log/tile/0/000.p/256", StatusCode::BAD_REQUEST),
        ("/log/tile/9/000", StatusCode::BAD_REQUEST),
    ] {
        let resp = get(&app, path).await;
        assert_eq!(resp.status(), status, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    let body: serde_json::Value = get(&app, "/log/tile/entries/000")
        .await
        .json()
        .await
        .unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not published"));

    // Third-party code: Go's note and tlog packages, from public data only.
    let Some(go) = go_verifier() else { return };
    let base = app.address.clone();
    let vkey = verifier_key(&app).to_string();
    for index in [0usize, 7, 255, 256, size - 1] {
        let (ok, out) = run_go(
            &go,
            &[
                format!("-url={base}"),
                format!("-log-key={vkey}"),
                format!("-index={index}"),
                format!("-leaf-hash={}", STANDARD.encode(leaves[index])),
            ],
        );
        assert!(ok, "entry {index}: {out}");
        assert!(out.contains(&format!("size={size}")), "{out}");
    }
    // A leaf that is not there, or another log's key, fails.
    let (ok, out) = run_go(
        &go,
        &[
            format!("-url={base}"),
            format!("-log-key={vkey}"),
            "-index=3".into(),
            format!("-leaf-hash={}", STANDARD.encode(leaves[4])),
        ],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("CheckRecord"), "{out}");
    let other = shared::ledger::VerifierKey::new(&verifier_key(&app).name, [0x42; 32]);
    if let Ok(other) = other {
        let (ok, out) = run_go(&go, &[format!("-url={base}"), format!("-log-key={other}")]);
        assert!(!ok, "{out}");
    }
}

#[actix_rt::test]
async fn no_checkpoint_yet_is_a_json_404_and_legacy_checkpoints_keep_verifying() {
    let app = spawn_without_sequencer().await;
    let resp = get(&app, "/log/checkpoint").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let mut conn = app.conn();
    for i in 0..5 {
        write_event(&mut conn, &event(i));
    }
    let signer = signer(&app);
    sequence_by_hand(&mut conn, &signer, 3, 1000);
    // A checkpoint stored before the switch: 4-line body, as it was signed.
    let size = 4u64;
    let root4 = api::ledger::signer::root_at(&mut conn, size).unwrap();
    let legacy = Checkpoint::legacy(signer.origin(), size, root4, chrono::Utc::now()).unwrap();
    let keys = api::keys::Keys::load(&api::config::Settings::for_data_dir(
        api::config::Environment::Development,
        api::secret::Secret::new(app.db_url.clone()),
        app.data_dir.clone(),
    ))
    .unwrap();
    let sig = keys
        .ledger_key_pair()
        .unwrap()
        .sign(legacy.body_text().as_bytes());
    let vk = signer.verifier_key().clone();
    let note = shared::ledger::format_signed(
        &legacy.body_text(),
        &vk.name,
        vk.key_id,
        sig.as_ref().try_into().unwrap(),
    );
    diesel::sql_query("INSERT INTO ledger_checkpoints (size, root, time, note) VALUES ($1, $2, now(), $3) ON CONFLICT (size) DO NOTHING")
        .bind::<diesel::sql_types::BigInt, _>(size as i64)
        .bind::<diesel::sql_types::Bytea, _>(root4.to_vec())
        .bind::<diesel::sql_types::Text, _>(&note)
        .execute(&mut conn)
        .unwrap();
    api::ledger::signer::sign_current(&mut conn, &signer).unwrap();
    let report = verify_on(&mut conn, &vk);
    assert!(report.valid, "{report:?}");
    assert!(report.checkpoints_checked >= 2, "{report:?}");
    // The published one is the newest, in the 3-line form.
    let note = get(&app, "/log/checkpoint").await.text().await.unwrap();
    let cp = SignedCheckpoint::parse(&note)
        .unwrap()
        .verify_with(&vk)
        .unwrap();
    assert_eq!(cp.size, 5);
    assert_eq!(cp.body_text().lines().count(), 3);
    // The legacy one still verifies through the JSON API's parser too.
    let legacy_back = SignedCheckpoint::parse(
        &api::ledger::store::checkpoint(&mut conn, Some(size))
            .unwrap()
            .unwrap()
            .note,
    )
    .unwrap()
    .verify_with(&vk)
    .unwrap();
    assert_eq!(legacy_back, legacy);
}

#[actix_rt::test]
async fn unknown_public_log_paths_are_json_404s_not_the_spa() {
    let app = crate::helpers::TestApp::spawn_with(|s| {
        s.static_dir = Some(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    })
    .await;
    let resp = get(&app, "/log/nothing-here").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["message"], "no such endpoint");
    // Writes are not part of the public log.
    let resp = app
        .client
        .post(app.url("/log/checkpoint"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error(), "{}", resp.status());
}
