//! `careledger ledger verify`: runs [`super::verify::verify_all`] against the
//! configured database in one read-only snapshot, draws a progress bar on
//! stderr when stderr is a terminal, and ends with a one-line summary on
//! stdout. Exit status 0 when valid, 1 when invalid (or on error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use diesel::Connection;
use shared::ledger::VerifierKey;

use super::signer::CheckpointSigner;
use super::verify;
use crate::config::Settings;
use crate::db;
use crate::keys::Keys;

/// Verifies with the given C2SP verifier keys (a checkpoint may be signed by
/// any of them), or with the server's own keys (current, next, previous).
pub fn run(given: &[&str]) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    let keys: Vec<VerifierKey> = if given.is_empty() {
        let keys = Keys::load(&settings)?;
        CheckpointSigner::from_settings(&keys, &settings.ledger)?.verifier_keys()
    } else {
        given
            .iter()
            .map(|k| VerifierKey::parse(k).context("--key must be a C2SP verifier key"))
            .collect::<anyhow::Result<_>>()?
    };
    let mut conn = db::connect_as_app(settings.database_url.expose())?;
    let started = Instant::now();
    let mut bar = Progress::new();
    let report = conn
        .transaction(|c| {
            verify::begin_snapshot(c)?;
            verify::verify_all_with(c, &keys, |done, total| bar.draw(done, total))
        })
        .map_err(|e| anyhow::anyhow!("verification could not run: {e:?}"))?;
    bar.clear();
    let secs = started.elapsed().as_secs_f64();
    let rate = report.checked as f64 / secs.max(1e-9);
    if report.valid {
        println!(
            "ledger valid: {} events, {} signed checkpoints, root {} ({secs:.2} s, {rate:.0} events/s)",
            report.checked,
            report.checkpoints_checked,
            hex::encode(report.root)
        );
        Ok(ExitCode::SUCCESS)
    } else {
        let at = report
            .first_invalid_seq
            .map_or_else(|| "in a checkpoint".to_owned(), |s| format!("at seq {s}"));
        println!(
            "ledger INVALID {at}: {} ({} events verified before it, {secs:.2} s)",
            report.reason.as_deref().unwrap_or("unknown reason"),
            report.checked
        );
        Ok(ExitCode::FAILURE)
    }
}

/// A one-line progress bar, drawn only when stderr is a terminal.
struct Progress {
    enabled: bool,
    started: Instant,
}

impl Progress {
    fn new() -> Self {
        Self {
            enabled: std::io::stderr().is_terminal(),
            started: Instant::now(),
        }
    }

    fn draw(&mut self, done: u64, total: u64) {
        if !self.enabled {
            return;
        }
        const WIDTH: u64 = 40;
        let filled = (done * WIDTH)
            .checked_div(total)
            .unwrap_or(WIDTH)
            .min(WIDTH) as usize;
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {pct:>3}% {done}/{total} events ({rate:.0}/s)",
            "#".repeat(filled),
            ".".repeat(WIDTH as usize - filled)
        );
        let _ = err.flush();
    }

    fn clear(&mut self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r{:80}\r", "");
        }
    }
}
