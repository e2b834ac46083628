//! Serde helpers that write 32-byte hashes as lowercase hex strings.
//!
//! Owns only the JSON spelling of [`Hash`](type@super::Hash) values; the canonical
//! byte encoding never goes through serde. Use with
//! `#[serde(with = "shared::ledger::serde_hex::hash")]` (or `option_hash`).
//! Decoding accepts upper- or lowercase hex but insists on exactly 32 bytes.

use serde::{Deserialize, Deserializer, Serializer};

use super::hash::Hash;

fn decode<E: serde::de::Error>(s: &str) -> Result<Hash, E> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out)
        .map_err(|e| E::custom(format_args!("expected 64 hex digits: {e}")))?;
    Ok(out)
}

/// `Hash` as a 64-digit lowercase hex string.
pub mod hash {
    use super::*;

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        decode(&s)
    }
}

/// `Option<Hash>` as a hex string or `null`.
pub mod option_hash {
    use super::*;

    pub fn serialize<S: Serializer>(h: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => s.serialize_some(&hex::encode(h)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hash>, D::Error> {
        match <Option<String>>::deserialize(d)? {
            Some(s) => decode(&s).map(Some),
            None => Ok(None),
        }
    }
}

/// `Vec<Hash>` (a proof) as an array of hex strings.
pub mod hash_vec {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&hex::encode(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let v = <Vec<String>>::deserialize(d)?;
        v.iter().map(|s| decode(s)).collect()
    }
}
