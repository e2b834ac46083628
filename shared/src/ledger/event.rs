//! The ledger event model and its canonical, versioned byte encoding.
//!
//! Owns what an event *is* ([`EventBody`], [`SequencedEvent`], [`Basis`]) and
//! the exact bytes its leaf hash commits to. It must never depend on storage or
//! JSON: the canonical bytes are built here by hand, never through serde, so a
//! serde attribute change can never change a hash.
//!
//! # Canonical encoding, version 1 (a public format)
//!
//! Third parties re-implement this to verify the ledger without our code.
//! `canonical_bytes(event)` is the concatenation, in this order, with no
//! padding, separators or trailing data:
//!
//! | # | field             | encoding                                                        |
//! |---|-------------------|-----------------------------------------------------------------|
//! | 1 | version           | `u8` = `0x01`                                                   |
//! | 2 | `seq`             | `u64`                                                           |
//! | 3 | `prev_hash`       | 32 raw bytes                                                    |
//! | 4 | `time`            | `i64`: microseconds since 1970-01-01T00:00:00Z, rounded toward −∞ |
//! | 5 | `actor_id`        | `opt(uuid)`                                                     |
//! | 6 | `actor_role`      | `opt(str)`: `admin`, `doctor`, `nurse` or `patient`             |
//! | 7 | `action`          | `str`: the action's snake_case name (e.g. `record_viewed`)      |
//! | 8 | `outcome`         | `str`: `allowed` or `denied`                                    |
//! | 9 | `patient_id`      | `opt(uuid)`                                                     |
//! |10 | `record_id`       | `opt(uuid)`                                                     |
//! |11 | `subject_user_id` | `opt(uuid)`                                                     |
//! |12 | `basis`           | `opt(str kind ‖ opt(uuid id))`; kind is `role`, `own_chart`, `guardian`, `consent` or `emergency` |
//! |13 | `request_id`      | `opt(str)`                                                      |
//! |14 | `source_addr`     | `opt(str)`                                                      |
//! |15 | `content_digest`  | `opt(32 raw bytes)`                                             |
//! |16 | `prior_digest`    | `opt(32 raw bytes)`                                             |
//!
//! where all integers are big-endian two's complement; `opt(x)` is the byte
//! `0x00` when absent, or `0x01` followed by `x` when present; `str` is the
//! UTF-8 byte length as `u32` followed by the UTF-8 bytes (no terminator, no
//! normalisation); `uuid` is the 16 bytes of the UUID in RFC 9562 order (the
//! hex digits of its text form, read left to right). Every field is either
//! fixed-width or self-delimiting, so the encoding is injective.
//!
//! The leaf hash is `SHA-256(0x00 ‖ canonical_bytes)` (RFC 6962 leaf hash).
//! The hash chain: `prev_hash` of `seq` 0 is 32 zero bytes; otherwise it is
//! the leaf hash of the event with `seq - 1`.
//!
//! Times are stored by PostgreSQL at microsecond precision, so only whole
//! microseconds are encoded; [`truncate_to_micros`] gives the value that
//! survives a database round trip. Strings longer than `u32::MAX` bytes
//! cannot occur (PostgreSQL text is capped at 1 GiB). Names used in the
//! encoding (actions, roles, outcomes, basis kinds) must never be renamed; a
//! change to this layout needs a new version byte.
//!
//! # Example
//!
//! An event with `seq` 0, zero `prev_hash`, `time` 1970-01-01T00:00:00.000001Z,
//! action `login`, outcome `allowed` and every optional field absent encodes
//! to (hex, spaces added):
//!
//! ```text
//! 01 0000000000000000 00…00 (32 bytes) 0000000000000001 00
//! 00 00000005 6c6f67696e 00000007 616c6c6f776564 00 00 00 00 00 00 00 00
//! ```

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::hash::hash_leaf;
use super::{serde_hex, Action, Outcome};
use crate::Role;

use super::hash::Hash;

/// The version byte that starts every canonical encoding produced here.
pub const ENCODING_VERSION: u8 = 1;

/// Why an access decision allowed something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BasisKind {
    Role,
    OwnChart,
    Guardian,
    Consent,
    Emergency,
}

impl BasisKind {
    pub const ALL: [BasisKind; 5] = [
        BasisKind::Role,
        BasisKind::OwnChart,
        BasisKind::Guardian,
        BasisKind::Consent,
        BasisKind::Emergency,
    ];

    /// The stable name; part of the canonical encoding.
    pub fn as_str(self) -> &'static str {
        match self {
            BasisKind::Role => "role",
            BasisKind::OwnChart => "own_chart",
            BasisKind::Guardian => "guardian",
            BasisKind::Consent => "consent",
            BasisKind::Emergency => "emergency",
        }
    }
}

impl FromStr for BasisKind {
    type Err = UnknownBasisKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BasisKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownBasisKind)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown access basis kind")]
pub struct UnknownBasisKind;

/// The reason an access decision allowed something, with the id of the
/// consent, emergency access or guardian link it rests on (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Basis {
    pub kind: BasisKind,
    pub id: Option<Uuid>,
}

/// What the writer supplies for one event; the sequencer adds `seq` and
/// `prev_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventBody {
    pub time: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<Role>,
    pub action: Action,
    pub outcome: Outcome,
    pub patient_id: Option<Uuid>,
    pub record_id: Option<Uuid>,
    pub subject_user_id: Option<Uuid>,
    pub basis: Option<Basis>,
    pub request_id: Option<String>,
    pub source_addr: Option<String>,
    /// SHA-256 of any content the action touched (never the content).
    #[serde(with = "serde_hex::option_hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub content_digest: Option<Hash>,
    /// For amendments: the digest of the version it supersedes.
    #[serde(with = "serde_hex::option_hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub prior_digest: Option<Hash>,
}

/// An event in its place in the log: the leaf the Merkle tree commits to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SequencedEvent {
    pub seq: u64,
    /// Leaf hash of event `seq - 1`; all zeros for `seq` 0.
    #[serde(with = "serde_hex::hash")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub prev_hash: Hash,
    pub body: EventBody,
}

impl SequencedEvent {
    /// `SHA-256(0x00 ‖ canonical_bytes(self))`.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(self)
    }
}

/// The `prev_hash` of event 0.
pub const GENESIS_PREV_HASH: Hash = [0u8; 32];

/// Drops sub-microsecond digits (toward −∞), as PostgreSQL storage does.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

/// The canonical version-1 encoding documented in the module doc.
pub fn canonical_bytes(event: &SequencedEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(event, &mut out);
    out
}

/// Appends the canonical encoding to `out` (clears nothing); lets a verifier
/// reuse one buffer for millions of events.
pub fn encode_into(event: &SequencedEvent, out: &mut Vec<u8>) {
    let b = &event.body;
    out.push(ENCODING_VERSION);
    out.extend_from_slice(&event.seq.to_be_bytes());
    out.extend_from_slice(&event.prev_hash);
    out.extend_from_slice(&b.time.timestamp_micros().to_be_bytes());
    put_opt(out, b.actor_id.as_ref(), put_uuid);
    put_opt(out, b.actor_role.map(Role::as_str), put_str);
    put_str(out, b.action.as_str());
    put_str(out, b.outcome.as_str());
    put_opt(out, b.patient_id.as_ref(), put_uuid);
    put_opt(out, b.record_id.as_ref(), put_uuid);
    put_opt(out, b.subject_user_id.as_ref(), put_uuid);
    put_opt(out, b.basis.as_ref(), |out, basis| {
        put_str(out, basis.kind.as_str());
        put_opt(out, basis.id.as_ref(), put_uuid);
    });
    put_opt(out, b.request_id.as_deref(), put_str);
    put_opt(out, b.source_addr.as_deref(), put_str);
    put_opt(out, b.content_digest.as_ref(), |out, h| {
        out.extend_from_slice(h)
    });
    put_opt(out, b.prior_digest.as_ref(), |out, h| {
        out.extend_from_slice(h)
    });
}

/// `SHA-256(0x00 ‖ canonical_bytes(event))`.
pub fn leaf_hash(event: &SequencedEvent) -> Hash {
    hash_leaf(&canonical_bytes(event))
}

/// Leaf hash using (and clearing) a caller-owned scratch buffer.
pub(crate) fn leaf_hash_with(event: &SequencedEvent, buf: &mut Vec<u8>) -> Hash {
    buf.clear();
    encode_into(event, buf);
    hash_leaf(buf)
}

fn put_opt<T>(out: &mut Vec<u8>, v: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            put(out, v);
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // PostgreSQL text cannot exceed 1 GiB, so the length always fits.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_uuid(out: &mut Vec<u8>, id: &Uuid) {
    out.extend_from_slice(id.as_bytes());
}

#[cfg(test)]
#[path = "event_tests.rs"]
pub(crate) mod tests;
