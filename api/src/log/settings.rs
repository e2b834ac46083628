//! Which witnesses the log asks to cosign, and how many must (the k-of-n
//! policy that makes a checkpoint *published*). From the environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CARELEDGER_WITNESSES` | none | `;`-separated `<add-checkpoint URL prefix> <cosigner vkey>` |
//! | `CARELEDGER_WITNESS_QUORUM` | number of witnesses | cosignatures a checkpoint needs to be published |
//! | `CARELEDGER_WITNESS_PUSH_MS` | `1000` | how often new checkpoints are pushed |
//!
//! Clients must pin the same keys and quorum themselves (see
//! `shared::ledger::policy`); this is only the log's side.

use std::time::Duration;

use anyhow::{bail, Context};
use shared::ledger::cosignature::CosignerKey;

#[derive(Debug, Clone)]
pub struct Witness {
    /// Submission prefix; `add-checkpoint` is appended.
    pub url: String,
    pub key: CosignerKey,
}

#[derive(Debug, Clone)]
pub struct WitnessSettings {
    pub witnesses: Vec<Witness>,
    pub quorum: usize,
    pub push_interval: Duration,
}

impl Default for WitnessSettings {
    fn default() -> Self {
        Self {
            witnesses: Vec::new(),
            quorum: 0,
            push_interval: Duration::from_secs(1),
        }
    }
}

impl WitnessSettings {
    pub fn new(witnesses: Vec<Witness>, quorum: usize) -> anyhow::Result<Self> {
        if quorum > witnesses.len() {
            bail!(
                "witness quorum {quorum} is larger than the {} witnesses",
                witnesses.len()
            );
        }
        Ok(Self {
            witnesses,
            quorum,
            ..Self::default()
        })
    }

    pub fn from_env(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut witnesses = Vec::new();
        if let Some(list) = var("CARELEDGER_WITNESSES") {
            for item in list.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                let (url, key) = item
                    .split_once(char::is_whitespace)
                    .context("CARELEDGER_WITNESSES items are `<url> <cosigner key>`")?;
                let key = CosignerKey::parse(key.trim())
                    .map_err(|e| anyhow::anyhow!("CARELEDGER_WITNESSES key for {url}: {e}"))?;
                witnesses.push(Witness {
                    url: url.trim_end_matches('/').to_owned(),
                    key,
                });
            }
        }
        let quorum = match var("CARELEDGER_WITNESS_QUORUM") {
            Some(q) => q
                .parse()
                .context("CARELEDGER_WITNESS_QUORUM must be a number")?,
            None => witnesses.len(),
        };
        let mut s = Self::new(witnesses, quorum)?;
        if let Some(ms) = var("CARELEDGER_WITNESS_PUSH_MS") {
            let ms: u64 = ms
                .parse()
                .context("CARELEDGER_WITNESS_PUSH_MS must be a number")?;
            s.push_interval = Duration::from_millis(ms.max(10));
        }
        Ok(s)
    }
}
