//! AES-256-GCM sealing with `ring`. Each seal takes a fresh random 96-bit
//! nonce from `SystemRandom` and the newest key of the ring; the key id and
//! nonce are stored next to the ciphertext. The associated data binds a
//! ciphertext to its row (record id + version + patient id, the patient id
//! for contact details, the account id for a TOTP secret), so a ciphertext
//! copied to another row fails to open.
//!
//! The ring is re-read from its file when the file changes (checked at most
//! every [`RELOAD_CHECK`]) and whenever a row names an unknown key id, so a
//! running server picks up a key added by `careledger keys rotate` without a
//! restart. This module must never log or return key bytes or plaintext.

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use ring::aead::{Aad as RingAad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

pub use crate::crypto::aad::Aad;
use crate::keys::{parse_seal_ring, SealKey};

/// Why a value could not be sealed (or the ring not built). Never carries
/// key bytes or plaintext; the api answers every variant as an opaque 500.
/// (`ring` reports its failures as a deliberately empty `Unspecified`, so
/// there is no deeper cause to chain.)
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("seal key {id} is not a valid AES-256 key")]
    InvalidKey { id: i32 },
    #[error("the seal key ring is empty")]
    EmptyRing,
    #[error("the seal key ring's lock is poisoned")]
    Poisoned,
    #[error("the system random source failed")]
    Random,
    #[error("AES-256-GCM sealing failed")]
    Encrypt,
}

/// How often the key file's modification time is checked.
pub const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// A sealed value as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: i32,
    pub nonce: [u8; NONCE_LEN],
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("sealed with key {0}, which this server does not hold")]
    UnknownKey(i32),
    #[error("sealed content failed its integrity check")]
    Integrity,
}

struct Ring {
    /// Sorted by id; the last one seals.
    keys: Vec<(i32, LessSafeKey)>,
    modified: Option<SystemTime>,
}

pub struct Sealer {
    path: Option<PathBuf>,
    ring: RwLock<Ring>,
    last_check: Mutex<Instant>,
    rng: SystemRandom,
}

fn build(keys: &[SealKey]) -> Result<Vec<(i32, LessSafeKey)>, SealError> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let unbound = UnboundKey::new(&AES_256_GCM, k.key.expose())
            .map_err(|_| SealError::InvalidKey { id: k.id })?;
        out.push((k.id, LessSafeKey::new(unbound)));
    }
    out.sort_by_key(|(id, _)| *id);
    if out.is_empty() {
        return Err(SealError::EmptyRing);
    }
    Ok(out)
}

fn modified(path: &Option<PathBuf>) -> Option<SystemTime> {
    path.as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .and_then(|m| m.modified().ok())
}

impl Sealer {
    /// A sealer over `keys`; with `path`, it follows changes to that file.
    pub fn new(keys: &[SealKey], path: Option<PathBuf>) -> Result<Self, SealError> {
        let ring = Ring {
            keys: build(keys)?,
            modified: modified(&path),
        };
        Ok(Self {
            path,
            ring: RwLock::new(ring),
            last_check: Mutex::new(Instant::now()),
            rng: SystemRandom::new(),
        })
    }

    /// Reads the ring from its file.
    pub fn from_file(path: PathBuf) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(&path)?;
        let keys = parse_seal_ring(&text)?;
        Self::new(&keys, Some(path)).map_err(|e| anyhow::anyhow!("{e}"))
    }

    fn reload(&self, force: bool) {
        let Some(path) = &self.path else { return };
        if !force {
            let Ok(mut last) = self.last_check.lock() else {
                return;
            };
            if last.elapsed() < RELOAD_CHECK {
                return;
            }
            *last = Instant::now();
        }
        let now_modified = modified(&self.path);
        let unchanged = self
            .ring
            .read()
            .map(|r| r.modified == now_modified)
            .unwrap_or(false);
        if unchanged && !force {
            return;
        }
        let loaded = std::fs::read_to_string(path)
            .map_err(anyhow::Error::from)
            .and_then(|t| parse_seal_ring(&t))
            .map_err(|e| e.to_string())
            .and_then(|keys| build(&keys).map_err(|e| e.to_string()));
        match loaded {
            Ok(keys) => {
                if let Ok(mut ring) = self.ring.write() {
                    // Never forget a key this process already holds.
                    let mut merged = keys;
                    for (id, key) in std::mem::take(&mut ring.keys) {
                        if !merged.iter().any(|(k, _)| *k == id) {
                            tracing::warn!(
                                key_id = id,
                                "seal key missing from the key file; keeping it"
                            );
                            merged.push((id, key));
                        }
                    }
                    merged.sort_by_key(|(id, _)| *id);
                    ring.keys = merged;
                    ring.modified = now_modified;
                    tracing::info!(keys = ring.keys.len(), "seal key ring reloaded");
                }
            }
            Err(e) => tracing::warn!(error = %e, "seal key file could not be reloaded"),
        }
    }

    /// The id new seals use.
    pub fn current_key_id(&self) -> Result<i32, SealError> {
        self.reload(false);
        let ring = self.ring.read().map_err(|_| SealError::Poisoned)?;
        ring.keys
            .last()
            .map(|(id, _)| *id)
            .ok_or(SealError::EmptyRing)
    }

    /// Seals `plaintext` under the newest key with a fresh random nonce.
    pub fn seal(&self, aad: &Aad, plaintext: &[u8]) -> Result<Sealed, SealError> {
        self.reload(false);
        let ring = self.ring.read().map_err(|_| SealError::Poisoned)?;
        let (key_id, key) = ring.keys.last().ok_or(SealError::EmptyRing)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SealError::Random)?;
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            RingAad::from(aad.bytes()),
            &mut buf,
        )
        .map_err(|_| SealError::Encrypt)?;
        Ok(Sealed {
            key_id: *key_id,
            nonce,
            ciphertext: buf,
        })
    }

    /// Opens a stored value; fails unless it was sealed for exactly `aad`.
    pub fn open(
        &self,
        key_id: i32,
        nonce: &[u8],
        ciphertext: &[u8],
        aad: &Aad,
    ) -> Result<Vec<u8>, OpenError> {
        let first = self.try_open(key_id, nonce, ciphertext, aad);
        if first == Err(OpenError::UnknownKey(key_id)) {
            self.reload(true);
            return self.try_open(key_id, nonce, ciphertext, aad);
        }
        first
    }

    fn try_open(
        &self,
        key_id: i32,
        nonce: &[u8],
        ciphertext: &[u8],
        aad: &Aad,
    ) -> Result<Vec<u8>, OpenError> {
        let ring = self.ring.read().map_err(|_| OpenError::Integrity)?;
        let (_, key) = ring
            .keys
            .iter()
            .find(|(id, _)| *id == key_id)
            .ok_or(OpenError::UnknownKey(key_id))?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Integrity)?;
        let mut buf = ciphertext.to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                RingAad::from(aad.bytes()),
                &mut buf,
            )
            .map_err(|_| OpenError::Integrity)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::collections::HashSet;
    use uuid::Uuid;

    fn sealer(ids: &[i32]) -> Sealer {
        let keys: Vec<SealKey> = ids
            .iter()
            .map(|id| SealKey {
                id: *id,
                key: Secret::new([*id as u8; 32]),
            })
            .collect();
        Sealer::new(&keys, None).unwrap()
    }

    fn body_aad(version: i32) -> Aad {
        Aad::RecordBody {
            record_id: Uuid::from_u128(1),
            version,
            patient_id: Uuid::from_u128(2),
        }
    }

    #[test]
    fn sealed_values_open_only_for_their_own_row() {
        let s = sealer(&[1]);
        let sealed = s.seal(&body_aad(1), b"hello").unwrap();
        assert_eq!(
            s.open(1, &sealed.nonce, &sealed.ciphertext, &body_aad(1)),
            Ok(b"hello".to_vec())
        );
        assert_eq!(
            s.open(1, &sealed.nonce, &sealed.ciphertext, &body_aad(2)),
            Err(OpenError::Integrity)
        );
        let other_patient = Aad::RecordBody {
            record_id: Uuid::from_u128(1),
            version: 1,
            patient_id: Uuid::from_u128(3),
        };
        assert!(s
            .open(1, &sealed.nonce, &sealed.ciphertext, &other_patient)
            .is_err());
        assert_eq!(
            s.open(9, &sealed.nonce, &sealed.ciphertext, &body_aad(1)),
            Err(OpenError::UnknownKey(9))
        );
    }

    #[test]
    fn ten_thousand_seals_never_repeat_a_nonce() {
        let s = sealer(&[1]);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let sealed = s.seal(&body_aad(1), b"x").unwrap();
            assert!(seen.insert(sealed.nonce), "repeated nonce");
        }
        assert_eq!(seen.len(), 10_000);
    }

    #[test]
    fn the_newest_key_seals_and_old_keys_still_open() {
        let old = sealer(&[1]);
        let sealed = old.seal(&body_aad(1), b"v").unwrap();
        let both = sealer(&[2, 1]);
        assert_eq!(both.seal(&body_aad(1), b"v").unwrap().key_id, 2);
        assert!(both
            .open(1, &sealed.nonce, &sealed.ciphertext, &body_aad(1))
            .is_ok());
    }
}
