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
use chrono::{DateTime, Utc};
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
        Ok(Self { pair, verifier })
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

    /// The signed note for the tree head `(size, root)` at `time`.
    pub fn sign(
        &self,
        size: u64,
        root: Hash,
        time: DateTime<Utc>,
    ) -> Result<(Checkpoint, String), SignerError> {
        let cp =
            Checkpoint::new(self.origin(), size, root, time).map_err(SignerError::Checkpoint)?;
        let body = cp.body_text();
        let sig = self.pair.sign(body.as_bytes());
        let sig: [u8; 64] = sig
            .as_ref()
            .try_into()
            .map_err(|_| SignerError::SignatureLength)?;
        let note = format_signed(&body, self.origin(), self.verifier.key_id, &sig);
        Ok((cp, note))
    }
}

/// Inserts a signed checkpoint unless one for that size exists already.
pub fn store(conn: &mut PgConnection, cp: &Checkpoint, note: &str) -> Result<(), SignerError> {
    diesel::insert_into(ledger_checkpoints::table)
        .values((
            ledger_checkpoints::size.eq(store::to_i64(cp.size)?),
            ledger_checkpoints::root.eq(cp.root.as_slice()),
            ledger_checkpoints::time.eq(cp.time),
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
    let (cp, note) = signer.sign(size, root, Utc::now())?;
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
