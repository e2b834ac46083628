//! Witness cosignatures in the C2SP tlog-cosignature format (Ed25519,
//! timestamped, `cosignature/v1`: <https://c2sp.org/tlog-cosignature>).
//!
//! Owns the cosigner key (a note verifier key with signature type 0x04), the
//! exact message a witness signs, and checking one cosignature line of a
//! checkpoint note. A cosignature says: "as of `time`, the largest
//! consistent tree I have seen for this origin has this root". It never
//! signs (the witness signs with its own key, ring) and never decides
//! whether enough witnesses signed (see `policy`).
//!
//! - key id = SHA-256(name ‖ `\n` ‖ 0x04 ‖ 32-byte key)[..4]
//! - signed message = `cosignature/v1\ntime <POSIX seconds>\n` ‖ checkpoint body
//! - signature line = `— <name> base64(key id ‖ u64 BE timestamp ‖ 64-byte sig)`
//!
//! Ed25519 rather than the ML-DSA-44 type the spec now prefers: it is the
//! type deployed witnesses (Sigsum, Go's sumdb, Tessera) verify today, and
//! the only signature algorithm in our dependency tree.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use super::note::{
    format_vkey, is_valid_key_name, parse_vkey, CheckpointError, NoteSignature, SignedNote,
    SIG_PREFIX,
};

/// The signature-type byte of timestamped Ed25519 cosignatures.
pub const COSIGNATURE_ALG: u8 = 0x04;

/// The 4-byte key id of a cosigner key with this name.
pub fn cosigner_key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_ALG]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The exact bytes a cosigner signs for `checkpoint_body` at `timestamp`.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
}

/// A witness's public key: `<name>+<hex id>+<base64(0x04 ‖ key)>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerKey {
    pub name: String,
    pub key_id: [u8; 4],
    pub public_key: [u8; 32],
}

impl CosignerKey {
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, CheckpointError> {
        if !is_valid_key_name(name) {
            return Err(CheckpointError::InvalidKeyName);
        }
        VerifyingKey::from_bytes(&public_key).map_err(|_| CheckpointError::InvalidPublicKey)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: cosigner_key_id(name, &public_key),
            public_key,
        })
    }

    pub fn parse(s: &str) -> Result<Self, CheckpointError> {
        let (name, id, pk) = parse_vkey(s, COSIGNATURE_ALG)?;
        let key = Self::new(name, pk)?;
        if key.key_id != id {
            return Err(CheckpointError::MalformedVerifierKey(
                "key id does not match name and key",
            ));
        }
        Ok(key)
    }

    /// The cosignature line for `signature` over
    /// [`signed_message`]`(body, timestamp)`.
    pub fn line(&self, timestamp: u64, signature: &[u8; 64]) -> String {
        let mut raw = Vec::with_capacity(76);
        raw.extend_from_slice(&self.key_id);
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(signature);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }

    /// Checks one signature line (as parsed from a note) over `body`:
    /// `Ok(Some(timestamp))` when it is ours and valid, `Ok(None)` when it
    /// is another key's, an error when it claims our name and id but fails.
    pub fn check(&self, body: &str, sig: &NoteSignature) -> Result<Option<u64>, CheckpointError> {
        if sig.name != self.name || sig.key_id != self.key_id {
            return Ok(None);
        }
        let bad = || CheckpointError::BadSignature(self.name.clone());
        if sig.signature.len() != 72 {
            return Err(bad());
        }
        let (ts, s) = sig.signature.split_at(8);
        let timestamp = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
        if timestamp == 0 || timestamp > i64::MAX as u64 {
            return Err(bad());
        }
        let s: [u8; 64] = s.try_into().map_err(|_| bad())?;
        let vk = VerifyingKey::from_bytes(&self.public_key)
            .map_err(|_| CheckpointError::InvalidPublicKey)?;
        vk.verify_strict(
            signed_message(body, timestamp).as_bytes(),
            &Signature::from_bytes(&s),
        )
        .map_err(|_| bad())?;
        Ok(Some(timestamp))
    }

    /// The timestamp of this cosigner's valid cosignature on `note`.
    pub fn verify(&self, note: &SignedNote) -> Result<u64, CheckpointError> {
        let mut found = None;
        for sig in &note.signatures {
            if let Some(ts) = self.check(&note.text, sig)? {
                found = Some(ts);
            }
        }
        found.ok_or_else(|| CheckpointError::NoSignatureForKey(self.name.clone()))
    }
}

impl fmt::Display for CosignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(
            &self.name,
            self.key_id,
            COSIGNATURE_ALG,
            &self.public_key,
        ))
    }
}

impl std::str::FromStr for CosignerKey {
    type Err = CheckpointError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    const BODY: &str = "example.com/log\n5\nERERERERERERERERERERERERERERERERERERERERERE=\n";

    fn cosign(sk: &SigningKey, key: &CosignerKey, ts: u64) -> String {
        let sig = sk.sign(signed_message(BODY, ts).as_bytes()).to_bytes();
        key.line(ts, &sig)
    }

    #[test]
    fn message_has_the_spec_shape() {
        assert_eq!(
            signed_message(BODY, 1_679_315_147),
            format!("cosignature/v1\ntime 1679315147\n{BODY}")
        );
    }

    #[test]
    fn a_cosignature_round_trips_and_binds_body_and_time() {
        let sk = SigningKey::from_bytes(&[3; 32]);
        let key = CosignerKey::new("witness.example/w1", sk.verifying_key().to_bytes()).unwrap();
        assert_eq!(CosignerKey::parse(&key.to_string()).unwrap(), key);
        let line = cosign(&sk, &key, 1_700_000_000);
        let note = SignedNote::parse(&format!("{BODY}\n{line}")).unwrap();
        assert_eq!(key.verify(&note).unwrap(), 1_700_000_000);
        // Another body, or another claimed time, breaks it.
        let other = SignedNote::parse(&format!("{}\n{line}", BODY.replace('5', "6"))).unwrap();
        assert!(matches!(
            key.verify(&other),
            Err(CheckpointError::BadSignature(_))
        ));
        let mut forged = note.clone();
        forged.signatures[0].signature[7] ^= 1;
        assert!(key.verify(&forged).is_err());
        // The log-key type (0x01) id does not match a cosigner key.
        assert_ne!(
            key.key_id,
            super::super::note::key_id(&key.name, &key.public_key)
        );
        let stranger = CosignerKey::new("witness.example/w2", [0x3b; 32]);
        if let Ok(stranger) = stranger {
            assert!(matches!(
                stranger.verify(&note),
                Err(CheckpointError::NoSignatureForKey(_))
            ));
        }
    }

    #[test]
    fn a_zero_timestamp_or_a_log_vkey_is_refused() {
        let sk = SigningKey::from_bytes(&[4; 32]);
        let key = CosignerKey::new("w", sk.verifying_key().to_bytes()).unwrap();
        let note = SignedNote::parse(&format!("{BODY}\n{}", cosign(&sk, &key, 0))).unwrap();
        assert!(key.verify(&note).is_err());
        let log_vkey = super::super::note::VerifierKey::new("w", key.public_key).unwrap();
        assert!(CosignerKey::parse(&log_vkey.to_string()).is_err());
    }
}
