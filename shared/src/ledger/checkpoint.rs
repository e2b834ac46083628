//! Signed checkpoints in the C2SP tlog-checkpoint format.
//!
//! Owns the checkpoint body and its strict parser; the signature envelope is
//! `note`. The body is exactly four lines (<https://c2sp.org/tlog-checkpoint>
//! with one extension line):
//!
//! ```text
//! <origin>\n
//! <tree size, ASCII decimal, no leading zeros>\n
//! <root hash, standard base64 with padding>\n
//! time <RFC 3339 UTC, whole seconds, e.g. 2024-05-01T12:00:00Z>\n
//! ```
//!
//! followed, in a signed checkpoint, by a blank line and signature lines
//! `— <key name> <base64(key id ‖ Ed25519 signature)>\n`. The signature covers
//! the body bytes exactly. The parser accepts only this canonical spelling,
//! so a body has one meaning and one byte string. It never signs: the server
//! signs [`Checkpoint::body_text`] and calls [`format_signed`](super::note::format_signed).

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::hash::Hash;
use super::note::{CheckpointError, SignedNote, VerifierKey};
use super::serde_hex;

/// A tree head: the log `origin` had `size` events with Merkle root `root`
/// at `time` (whole seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
    pub time: DateTime<Utc>,
}

impl Checkpoint {
    /// Validates the origin and truncates `time` to whole seconds.
    pub fn new(
        origin: &str,
        size: u64,
        root: Hash,
        time: DateTime<Utc>,
    ) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedBody as Bad;
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(Bad("origin must be a non-empty line"));
        }
        if !(0..=9999).contains(&time.year()) {
            return Err(Bad("time outside years 0000-9999"));
        }
        let time = time.with_nanosecond(0).unwrap_or(time);
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            time,
        })
    }

    /// The exact bytes that are signed.
    pub fn body_text(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root),
            self.time.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    /// Parses a body produced by [`Checkpoint::body_text`], strictly.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedBody as Bad;
        let lines = text
            .strip_suffix('\n')
            .ok_or(Bad("must end in a newline"))?;
        let mut it = lines.split('\n');
        let (Some(origin), Some(size), Some(root), Some(time), None) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(Bad("must have exactly four lines"));
        };
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size: u64 = match size.parse() {
            Ok(n) if size_ok => n,
            _ => return Err(Bad("tree size must be a decimal number")),
        };
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(Bad("root must be 32 bytes of base64"))?;
        let time_str = time
            .strip_prefix("time ")
            .ok_or(Bad("expected a time line"))?;
        let time = DateTime::parse_from_rfc3339(time_str)
            .map_err(|_| Bad("time must be RFC 3339"))?
            .with_timezone(&Utc);
        let cp = Self::new(origin, size, root, time)?;
        if cp.body_text() != text {
            return Err(Bad("not in canonical form"));
        }
        Ok(cp)
    }
}

/// A checkpoint note as received: body plus signatures, not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    note: SignedNote,
}

impl SignedCheckpoint {
    /// Splits the note and checks the body's syntax (not the signatures).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let note = SignedNote::parse(text)?;
        Checkpoint::parse_body(&note.text)?;
        Ok(Self { note })
    }

    /// The signed body text.
    pub fn body(&self) -> &str {
        &self.note.text
    }

    /// The signature lines as parsed.
    pub fn note(&self) -> &SignedNote {
        &self.note
    }

    /// Checks the Ed25519 signature by `key_name` / `public_key` over the
    /// body; only then returns the checkpoint it states.
    pub fn verify(
        &self,
        key_name: &str,
        public_key: &[u8; 32],
    ) -> Result<Checkpoint, CheckpointError> {
        self.note.verify(key_name, public_key)?;
        Checkpoint::parse_body(&self.note.text)
    }

    /// [`SignedCheckpoint::verify`] with a parsed verifier key.
    pub fn verify_with(&self, key: &VerifierKey) -> Result<Checkpoint, CheckpointError> {
        self.verify(&key.name, &key.public_key)
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.note.fmt(f)
    }
}

#[cfg(test)]
#[path = "checkpoint_tests.rs"]
mod tests;
