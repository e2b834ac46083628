//! The sequencer thread: leader election by advisory lock, then one batch
//! per interval while leading (see the parent module's notes).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::{step, SequencerConfig, Tip, SEQUENCER_LOCK_KEY};
use crate::ledger::signer::CheckpointSigner;

/// Stops the sequencer thread when dropped (at its next wake-up).
pub struct SequencerHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SequencerHandle {
    /// Stops the thread and waits for it (blocking).
    pub fn stop(mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SequencerHandle {
    fn drop(&mut self) {
        self.stop.take();
    }
}

/// Starts the election/sequencing thread for this process.
pub fn spawn(
    database_url: String,
    signer: Arc<CheckpointSigner>,
    config: SequencerConfig,
) -> anyhow::Result<SequencerHandle> {
    let (tx, rx) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("ledger-sequencer".into())
        .spawn(move || run(&database_url, &signer, &config, &rx))?;
    Ok(SequencerHandle {
        stop: Some(tx),
        thread: Some(thread),
    })
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

enum Role {
    Follower(Option<PgConnection>),
    Leader(PgConnection, Tip),
}

fn run(url: &str, signer: &CheckpointSigner, config: &SequencerConfig, stop: &mpsc::Receiver<()>) {
    let retry = config.interval.max(Duration::from_millis(500));
    let mut role = Role::Follower(None);
    loop {
        let (next, wait) = match role {
            Role::Follower(conn) => match try_lead(url, conn) {
                Ok(Ok((conn, tip))) => {
                    tracing::info!(size = tip.size, "ledger sequencer: leading");
                    (Role::Leader(conn, tip), Duration::ZERO)
                }
                Ok(Err(conn)) => (Role::Follower(Some(conn)), config.interval),
                Err(e) => {
                    tracing::warn!(error = %e, "ledger sequencer: cannot reach the database");
                    (Role::Follower(None), retry)
                }
            },
            Role::Leader(mut conn, mut tip) => match step(&mut conn, &mut tip, signer, config) {
                Ok(out) => {
                    if out.integrated > 0 {
                        tracing::debug!(
                            integrated = out.integrated,
                            size = tip.size,
                            "ledger batch"
                        );
                    }
                    if let Some(size) = out.checkpoint {
                        tracing::info!(size, "ledger checkpoint signed");
                    }
                    let full = out.integrated >= config.batch_size;
                    let wait = if full {
                        Duration::ZERO
                    } else {
                        config.interval
                    };
                    (Role::Leader(conn, tip), wait)
                }
                Err(e) => {
                    // Dropping the connection releases the lock; re-elect.
                    tracing::error!(error = ?e, "ledger sequencer: batch failed; stepping down");
                    drop(conn);
                    (Role::Follower(None), retry)
                }
            },
        };
        role = next;
        match stop.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// `Ok(Ok(leader))` when the lock was won, `Ok(Err(conn))` when another
/// process leads.
fn try_lead(
    url: &str,
    conn: Option<PgConnection>,
) -> anyhow::Result<Result<(PgConnection, Tip), PgConnection>> {
    let mut conn = match conn {
        Some(c) => c,
        None => crate::db::connect_as_app(url)?,
    };
    let won = diesel::sql_query(format!(
        "SELECT pg_try_advisory_lock({SEQUENCER_LOCK_KEY}) AS locked"
    ))
    .get_result::<Locked>(&mut conn)?
    .locked;
    if !won {
        return Ok(Err(conn));
    }
    let tip = Tip::load(&mut conn).map_err(|e| anyhow::anyhow!("loading the ledger tip: {e:?}"))?;
    Ok(Ok((conn, tip)))
}
