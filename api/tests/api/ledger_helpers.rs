//! Ledger test support: apps with a fast (or no) sequencer, writing events
//! directly, waiting for integration, the app's verifier key, and running
//! the verifier or the sequencer by hand.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use api::config::{Environment, Settings};
use api::keys::Keys;
use api::ledger::sequencer::{self, SequencerConfig, Tip};
use api::ledger::signer::CheckpointSigner;
use api::ledger::{self, verify, NewEvent};
use api::request::RequestContext;
use api::secret::Secret;
use diesel::prelude::*;
use shared::ledger::api::VerifyReport;
use shared::ledger::{Action, VerifierKey};
use shared::{Role, UserId};

use crate::helpers::TestApp;

/// An app whose sequencer polls every 20 ms.
pub async fn spawn_fast() -> TestApp {
    TestApp::spawn_with(|s| s.ledger.sequencer_interval = Duration::from_millis(20)).await
}

/// An app without a sequencer (tests drive [`sequencer::step`] themselves).
pub async fn spawn_without_sequencer() -> TestApp {
    TestApp::spawn_with(|s| s.ledger.sequencer_enabled = false).await
}

/// The app's checkpoint signer (same key files, same origin).
pub fn signer(app: &TestApp) -> CheckpointSigner {
    let settings = Settings::for_data_dir(
        Environment::Development,
        Secret::new(app.db_url.clone()),
        app.data_dir.clone(),
    );
    let keys = Keys::load(&settings).unwrap();
    CheckpointSigner::new(&keys, &settings.ledger.origin).unwrap()
}

pub fn verifier_key(app: &TestApp) -> VerifierKey {
    signer(app).verifier_key().clone()
}

/// The `n`-th test event: varied actions, actors and optional fields.
pub fn event(n: usize) -> NewEvent {
    let ctx = RequestContext::system("test");
    let actions = [Action::Login, Action::RecordViewed, Action::UserChanged];
    let mut e = NewEvent::new(actions[n % actions.len()], &ctx);
    if n.is_multiple_of(2) {
        e = e.actor(UserId(uuid::Uuid::new_v4()), Role::Doctor);
    }
    if n.is_multiple_of(3) {
        e = e.denied();
    }
    if n % 4 == 1 {
        e.patient_id = Some(uuid::Uuid::new_v4());
        e.content_digest = Some([n as u8; 32]);
    }
    e
}

/// Writes one event in its own committed transaction.
pub fn write_event(conn: &mut PgConnection, e: &NewEvent) {
    conn.transaction::<_, api::error::ApiError, _>(|c| ledger::record(c, e))
        .unwrap();
}

pub fn count(conn: &mut PgConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
        .get_result::<N>(conn)
        .unwrap()
        .n
}

/// Waits until every entry is sequenced; panics after `limit`.
pub async fn wait_integrated(app: &TestApp, limit: Duration) {
    let started = Instant::now();
    let mut conn = app.conn();
    loop {
        let (entries, events) = (
            count(&mut conn, "ledger_entries"),
            count(&mut conn, "ledger_events"),
        );
        if entries == events {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "only {events} of {entries} entries integrated after {limit:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Full verification on `conn` (inside whatever transaction it is in).
pub fn verify_on(conn: &mut PgConnection, key: &VerifierKey) -> VerifyReport {
    verify::verify_all(conn, key, |_, _| {}).unwrap()
}

/// Integrates pending entries by hand, `batch` at a time, until none are left.
pub fn sequence_by_hand(
    conn: &mut PgConnection,
    signer: &CheckpointSigner,
    batch: usize,
    checkpoint_every: u64,
) {
    let config = SequencerConfig {
        interval: Duration::from_millis(10),
        batch_size: batch,
        checkpoint_every,
        checkpoint_interval: Duration::from_secs(3600),
    };
    let mut tip = Tip::load(conn).unwrap();
    let started = Instant::now();
    // Entries become eligible once every older transaction in the cluster
    // has ended (other tests' included), so wait for all of them.
    while tip.size < count(conn, "ledger_entries") as u64 {
        let done = sequencer::step(conn, &mut tip, signer, &config).unwrap();
        if done.integrated == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "entries never became eligible"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
