//! Signing checkpoints with the server's Ed25519 key (ring) and storing them.
//!
//! Owns the only use of the ledger signing key: a checkpoint body
//! (`shared::ledger::Checkpoint::body_text`) signed as a C2SP signed note
//! whose key name is the log origin. The key itself stays in `Keys` (loaded
//! from a file, never from the database); only signed notes are stored.
//! Checkpoints are signed by the sequencer (every N events or T seconds) and
//! on demand by any process ([`sign_current`]), from stored tree nodes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use diesel::prelude::*;
use ring::signature::Ed25519KeyPair;
use shared::ledger::api::LedgerPublicKey;
use shared::ledger::{
    compact_range_nodes, format_signed, Checkpoint, CheckpointError, CompactRange, Hash,
    ProofError, VerifierKey,
};

use super::store::{self, CheckpointRow};
use crate::db::schema::ledger_checkpoints;
use crate::keys::Keys;

/// Why a checkpoint could not be signed, stored or read back. Knows
/// nothing of HTTP; every variant but `Store` is a server fault.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("building the checkpoint")]
    Checkpoint(#[source] CheckpointError),
    #[error("the signature is not 64 bytes")]
    SignatureLength,
    #[error("the stored ledger tree is incomplete")]
    Tree(#[source] ProofError),
    #[error("the stored checkpoint vanished")]
    Vanished,
    #[error("a stored checkpoint note does not parse")]
    StoredNote(#[source] CheckpointError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

pub struct CheckpointSigner {
    pair: Ed25519KeyPair,
    verifier: VerifierKey,
    /// During a key rotation: the next key, which signs alongside.
    next: Option<(Ed25519KeyPair, VerifierKey)>,
    /// After a rotation: keys that signed older checkpoints (verify only).
    previous: Vec<VerifierKey>,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("verifier", &self.verifier.to_string())
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// `origin` is both the checkpoint origin line and the note key name.
    pub fn new(keys: &Keys, origin: &str) -> anyhow::Result<Self> {
        let pair = keys.ledger_key_pair()?;
        let verifier = VerifierKey::new(origin, keys.ledger_public_key()?)
            .map_err(|e| anyhow::anyhow!("ledger origin {origin:?}: {e}"))?;
        Ok(Self {
            pair,
            verifier,
            next: None,
            previous: Vec::new(),
        })
    }

    /// The signer the settings describe: the signing key, the next key
    /// during a rotation, and previous keys (for verifying old checkpoints).
    pub fn from_settings(
        keys: &Keys,
        ledger: &crate::config::LedgerSettings,
    ) -> anyhow::Result<Self> {
        let mut signer = Self::new(keys, &ledger.origin)?;
        if let Some(next) = &ledger.next_signing_key_file {
            signer = signer.with_next_key(next)?;
        }
        for key in &ledger.previous_keys {
            if key.name != signer.origin() {
                anyhow::bail!("previous ledger key {key} is not named {}", signer.origin());
            }
        }
        signer.previous = ledger.previous_keys.clone();
        Ok(signer)
    }

    /// Every key a checkpoint of this log may be signed by: current, next,
    /// previous.
    pub fn verifier_keys(&self) -> Vec<VerifierKey> {
        let mut keys = vec![self.verifier.clone()];
        keys.extend(self.next_verifier_key().cloned());
        keys.extend(self.previous.iter().cloned());
        keys
    }

    /// Key rotation, step 1: every new checkpoint is also signed by the key
    /// in `path` (hex PKCS#8, same key name, another key id). Verifiers that
    /// pin either key accept it; once they all pin the new one, it becomes
    /// the signing key and the old one is kept only to check old
    /// checkpoints (`log` lines of a trust policy, `ledger verify --key`).
    pub fn with_next_key(mut self, path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        use ring::signature::KeyPair;
        let hex_key = std::fs::read_to_string(path)
            .with_context(|| format!("reading the next ledger key {}", path.display()))?;
        let pkcs8 = hex::decode(hex_key.trim()).context("next ledger key file must be hex")?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| anyhow::anyhow!("next ledger key is not an Ed25519 PKCS#8 key"))?;
        let pk: [u8; 32] = pair.public_key().as_ref().try_into()?;
        let vk = VerifierKey::new(self.origin(), pk).map_err(|e| anyhow::anyhow!("{e}"))?;
        self.next = Some((pair, vk));
        Ok(self)
    }

    /// The next key during a rotation.
    pub fn next_verifier_key(&self) -> Option<&VerifierKey> {
        self.next.as_ref().map(|(_, vk)| vk)
    }

    pub fn origin(&self) -> &str {
        &self.verifier.name
    }

    pub fn verifier_key(&self) -> &VerifierKey {
        &self.verifier
    }

    pub fn public_key_view(&self) -> LedgerPublicKey {
        LedgerPublicKey {
            key_name: self.verifier.name.clone(),
            algorithm: "ed25519".into(),
            public_key: STANDARD.encode(self.verifier.public_key),
            verifier_key: self.verifier.to_string(),
        }
    }

    /// The signed note (a 3-line C2SP checkpoint) for the tree head
    /// `(size, root)`. When it was signed is kept only in the row.
    pub fn sign(&self, size: u64, root: Hash) -> Result<(Checkpoint, String), SignerError> {
        let cp = Checkpoint::new(self.origin(), size, root).map_err(SignerError::Checkpoint)?;
        let body = cp.body_text();
        let sig = self.pair.sign(body.as_bytes());
        let sig: [u8; 64] = sig
            .as_ref()
            .try_into()
            .map_err(|_| SignerError::SignatureLength)?;
        let mut note = format_signed(&body, self.origin(), self.verifier.key_id, &sig);
        if let Some((pair, vk)) = &self.next {
            let sig: [u8; 64] = pair
                .sign(body.as_bytes())
                .as_ref()
                .try_into()
                .map_err(|_| SignerError::SignatureLength)?;
            let with_next = format_signed(&body, self.origin(), vk.key_id, &sig);
            note.push_str(&with_next[body.len() + 1..]);
        }
        Ok((cp, note))
    }
}

/// Inserts a signed checkpoint unless one for that size exists already.
pub fn store(conn: &mut PgConnection, cp: &Checkpoint, note: &str) -> Result<(), SignerError> {
    diesel::insert_into(ledger_checkpoints::table)
        .values((
            ledger_checkpoints::size.eq(store::to_i64(cp.size)?),
            ledger_checkpoints::root.eq(cp.root.as_slice()),
            ledger_checkpoints::time.eq(cp.time.unwrap_or_else(Utc::now)),
            ledger_checkpoints::note.eq(note),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map_err(store::StoreError::from)?;
    Ok(())
}

/// Root of the first `size` events, from the stored compact-range nodes.
pub fn root_at(conn: &mut PgConnection, size: u64) -> Result<Hash, SignerError> {
    let nodes = store::fetch_nodes(conn, &compact_range_nodes(size))?;
    let range =
        CompactRange::from_nodes(size, &|id| nodes.get(&id).copied()).map_err(SignerError::Tree)?;
    Ok(range.root())
}

/// On demand: the checkpoint for the current sequenced size, signing one
/// when none exists yet. Any process may call this; the sequencer may sign
/// the same size concurrently (the first insert wins, both are valid).
pub fn sign_current(
    conn: &mut PgConnection,
    signer: &CheckpointSigner,
) -> Result<CheckpointRow, SignerError> {
    let size = store::sequenced_size(conn)?;
    if let Some(row) = store::checkpoint(conn, Some(size))? {
        return Ok(row);
    }
    let root = root_at(conn, size)?;
    let (cp, note) = signer.sign(size, root)?;
    store(conn, &cp, &note)?;
    store::checkpoint(conn, Some(size))?.ok_or(SignerError::Vanished)
}

impl CheckpointRow {
    /// Parses the stored note (signature not checked: callers that need
    /// trust check it themselves, as clients do).
    pub fn view(&self) -> Result<shared::ledger::api::SignedCheckpointView, SignerError> {
        let signed =
            shared::ledger::SignedCheckpoint::parse(&self.note).map_err(SignerError::StoredNote)?;
        let checkpoint = Checkpoint::parse_body(signed.body()).map_err(SignerError::StoredNote)?;
        Ok(shared::ledger::api::SignedCheckpointView {
            checkpoint,
            note: self.note.clone(),
        })
    }
}
