//! Signed checkpoints in the C2SP tlog-checkpoint format.
//!
//! Owns the checkpoint body and its strict parser; the signature envelope is
//! `note`. New checkpoints have exactly the three lines of
//! <https://c2sp.org/tlog-checkpoint>, with no extension lines (strict
//! verifiers such as Sigsum's reject any):
//!
//! ```text
//! <origin>\n
//! <tree size, ASCII decimal, no leading zeros>\n
//! <root hash, standard base64 with padding>\n
//! ```
//!
//! Checkpoints signed before the switch carry a fourth extension line
//! `time <RFC 3339 UTC, whole seconds>` (C2SP: NOT RECOMMENDED). They stay
//! stored exactly as signed, so the parser still accepts that one legacy
//! form ([`Checkpoint::time`] is `Some` only for them) and their signatures
//! keep verifying; nothing new is ever signed with it. When a checkpoint was
//! signed is no part of what the log signs: witnesses timestamp their
//! cosignatures (`cosignature`), and the server's row keeps its own time.
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
/// (and, in legacy checkpoints only, a signed `time` in whole seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Hash,
    /// Only in legacy 4-line checkpoints; `None` for every new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
}

impl Checkpoint {
    /// A C2SP checkpoint (three lines); validates the origin.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        if origin.is_empty() || origin.chars().any(char::is_control) {
            return Err(CheckpointError::MalformedBody(
                "origin must be a non-empty line",
            ));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            time: None,
        })
    }

    /// A legacy checkpoint with a `time` line (truncated to whole seconds):
    /// only for reading and testing stored ones, never for signing anew.
    pub fn legacy(
        origin: &str,
        size: u64,
        root: Hash,
        time: DateTime<Utc>,
    ) -> Result<Self, CheckpointError> {
        if !(0..=9999).contains(&time.year()) {
            return Err(CheckpointError::MalformedBody(
                "time outside years 0000-9999",
            ));
        }
        let mut cp = Self::new(origin, size, root)?;
        cp.time = Some(time.with_nanosecond(0).unwrap_or(time));
        Ok(cp)
    }

    /// The exact bytes that are signed.
    pub fn body_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        if let Some(time) = self.time {
            text.push_str("time ");
            text.push_str(&time.to_rfc3339_opts(SecondsFormat::Secs, true));
            text.push('\n');
        }
        text
    }

    /// Parses a body produced by [`Checkpoint::body_text`], strictly.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedBody as Bad;
        let lines = text
            .strip_suffix('\n')
            .ok_or(Bad("must end in a newline"))?;
        let mut it = lines.split('\n');
        let (Some(origin), Some(size), Some(root), time, None) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(Bad(
                "must have three lines (or four, with a legacy time line)",
            ));
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
        let cp = match time {
            None => Self::new(origin, size, root)?,
            Some(line) => {
                let time_str = line.strip_prefix("time ").ok_or(Bad(
                    "the only extension line accepted is a legacy time line",
                ))?;
                let time = DateTime::parse_from_rfc3339(time_str)
                    .map_err(|_| Bad("time must be RFC 3339"))?
                    .with_timezone(&Utc);
                Self::legacy(origin, size, root, time)?
            }
        };
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
