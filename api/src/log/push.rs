//! Pushing checkpoints to witnesses (the log's side of C2SP tlog-witness).
//!
//! A background task in each api process that runs the sequencer: every
//! `push_interval` it takes the latest signed checkpoint and, for each
//! configured witness without a stored cosignature for it, sends
//! `add-checkpoint` with a consistency proof from the size that witness
//! last cosigned. That size is remembered in memory, starts at 0, and is
//! corrected by the witness's 409 answer (which states it), so a restarted
//! log or a second api process catches up after one round trip. A returned
//! cosignature is verified against the pinned witness key and this
//! checkpoint's body before it is stored. Failures are logged and retried
//! next round; they never block the log. It never signs and never changes
//! a checkpoint.

use std::time::Duration;

use shared::ledger::note::SignedNote;
use shared::ledger::witness_api::AddCheckpoint;

use super::published;
use super::settings::{Witness, WitnessSettings};
use crate::db::Database;
use crate::ledger::{proofs, store};

/// What one `add-checkpoint` call achieved.
enum Pushed {
    Cosigned,
    /// The witness's latest cosigned size differs from what we sent.
    Conflict(u64),
}

/// Starts the pusher (no-op without witnesses).
pub fn spawn(db: Database, settings: WitnessSettings) {
    if settings.witnesses.is_empty() {
        return;
    }
    actix_web::rt::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "witness pusher: cannot build an HTTP client");
                return;
            }
        };
        let mut known = vec![0u64; settings.witnesses.len()];
        loop {
            actix_web::rt::time::sleep(settings.push_interval).await;
            if let Err(e) = round(&db, &client, &settings, &mut known).await {
                tracing::warn!(error = %e, "witness push round failed; will retry");
            }
        }
    });
}

async fn round(
    db: &Database,
    client: &reqwest::Client,
    settings: &WitnessSettings,
    known: &mut [u64],
) -> anyhow::Result<()> {
    let Some(row) = db.autocommit(|c| Ok(store::checkpoint(c, None)?)).await? else {
        return Ok(());
    };
    let size = row.size.unsigned_abs();
    for (w, last) in settings.witnesses.iter().zip(known.iter_mut()) {
        let name = w.key.name.clone();
        if db
            .autocommit(move |c| published::has_cosignature(c, size, &name))
            .await?
        {
            *last = (*last).max(size);
            continue;
        }
        let mut attempt = push(db, client, w, &row.note, size, *last).await;
        if let Ok(Pushed::Conflict(theirs)) = attempt {
            *last = theirs;
            if theirs > size {
                tracing::error!(
                    witness = %w.key.name, theirs, ours = size,
                    "witness has cosigned a larger tree than our latest checkpoint"
                );
                continue;
            }
            attempt = push(db, client, w, &row.note, size, theirs).await;
        }
        match attempt {
            Ok(Pushed::Cosigned) => *last = size,
            Ok(Pushed::Conflict(theirs)) => *last = theirs,
            Err(e) => {
                tracing::warn!(witness = %w.key.name, error = %e, "witness refused or unreachable")
            }
        }
    }
    Ok(())
}

async fn push(
    db: &Database,
    client: &reqwest::Client,
    w: &Witness,
    note: &str,
    size: u64,
    old: u64,
) -> anyhow::Result<Pushed> {
    let proof = if old == 0 || old == size {
        Vec::new()
    } else {
        db.autocommit(move |c| proofs::consistency(c, old, Some(size)))
            .await?
            .proof
    };
    let body = AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: note.to_owned(),
    }
    .to_body();
    let resp = client
        .post(format!("{}/add-checkpoint", w.url))
        .header("content-type", "text/plain; charset=utf-8")
        .body(body)
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    if status == reqwest::StatusCode::CONFLICT {
        let theirs = text
            .trim_end_matches('\n')
            .parse()
            .map_err(|_| anyhow::anyhow!("409 without a size: {text:?}"))?;
        return Ok(Pushed::Conflict(theirs));
    }
    if !status.is_success() {
        anyhow::bail!("{status}: {}", text.trim());
    }
    let body_end = note
        .find("\n\n")
        .ok_or_else(|| anyhow::anyhow!("stored checkpoint note has no signature block"))?;
    let signed = SignedNote::parse(&format!("{note}{text}"))
        .map_err(|e| anyhow::anyhow!("witness answer is not signature lines: {e}"))?;
    let prefix = format!("\u{2014} {} ", w.key.name);
    for (sig, line) in signed
        .signatures
        .iter()
        .zip(note[body_end + 2..].lines().chain(text.lines()))
    {
        if line.starts_with(&prefix) && w.key.check(&note[..=body_end], sig)?.is_some() {
            let (name, line) = (w.key.name.clone(), format!("{line}\n"));
            db.autocommit(move |c| published::store_cosignature(c, size, &name, &line))
                .await?;
            tracing::info!(witness = %w.key.name, size, "checkpoint cosigned");
            return Ok(Pushed::Cosigned);
        }
    }
    anyhow::bail!("the answer holds no valid cosignature by {}", w.key.name)
}
