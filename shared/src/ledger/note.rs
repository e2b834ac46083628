//! The C2SP signed-note envelope, for Ed25519 keys only.
//!
//! Owns the parts of <https://c2sp.org/signed-note> that do not depend on
//! what the note says: key names and key ids, verifier-key strings, splitting
//! a note into text and signature lines, formatting a signature line, and
//! checking an Ed25519 signature over the exact text bytes. It never signs:
//! the server signs with its own key (ring) and calls [`format_signed`].
//!
//! - key id = first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte key)
//! - signature line = `— <key name> <base64(key id ‖ 64-byte signature)>\n`
//!   (U+2014 EM DASH, a space; standard base64 with padding)
//! - note = text (ending in `\n`) ‖ `\n` ‖ one or more signature lines
//! - verifier key = `<name>+<8 hex digits key id>+<base64(0x01 ‖ key)>`
//!
//! Signatures by other keys are allowed and ignored, as the spec asks.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature-type byte the spec assigns to Ed25519.
pub const ED25519_ALG: u8 = 0x01;
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note, key or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    #[error("malformed checkpoint body: {0}")]
    MalformedBody(&'static str),
    #[error("invalid key name (empty, or contains whitespace or '+')")]
    InvalidKeyName,
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    #[error("the note has no signature by key {0:?}")]
    NoSignatureForKey(String),
    #[error("the signature by key {0:?} does not verify")]
    BadSignature(String),
}

/// Note key names: non-empty, no Unicode whitespace, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The 4-byte key id of an Ed25519 key with this name.
pub fn key_id(key_name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(key_name.as_bytes());
    h.update([b'\n', ED25519_ALG]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A named Ed25519 verifier key in note format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key_id: [u8; 4],
    pub public_key: [u8; 32],
}

impl VerifierKey {
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, CheckpointError> {
        if !is_valid_key_name(name) {
            return Err(CheckpointError::InvalidKeyName);
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &public_key),
            public_key,
        })
    }

    /// Parses `<name>+<hex key id>+<base64(0x01 ‖ key)>`, checking the id.
    pub fn parse(s: &str) -> Result<Self, CheckpointError> {
        let (name, id, pk) = parse_vkey(s, ED25519_ALG)?;
        let vk = Self::new(name, pk)?;
        if vk.key_id != id {
            return Err(CheckpointError::MalformedVerifierKey(
                "key id does not match name and key",
            ));
        }
        Ok(vk)
    }
}

/// Splits a verifier key `<name>+<hex key id>+<base64(alg ‖ 32-byte key)>`
/// whose algorithm byte must be `alg`; the caller checks the key id.
pub(crate) fn parse_vkey(s: &str, alg: u8) -> Result<(&str, [u8; 4], [u8; 32]), CheckpointError> {
    use CheckpointError::MalformedVerifierKey as Bad;
    let (name, rest) = s.split_once('+').ok_or(Bad("missing '+'"))?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(Bad("missing second '+'"))?;
    if id_hex.len() != 8 {
        return Err(Bad("key id must be 8 hex digits"));
    }
    let mut id = [0u8; 4];
    hex::decode_to_slice(id_hex, &mut id).map_err(|_| Bad("key id is not hex"))?;
    let key = STANDARD
        .decode(key_b64)
        .map_err(|_| Bad("key is not base64"))?;
    let (&got, pk) = key.split_first().ok_or(Bad("empty key"))?;
    if got != alg {
        return Err(Bad("wrong key type"));
    }
    let pk: [u8; 32] = pk.try_into().map_err(|_| Bad("key must be 32 bytes"))?;
    Ok((name, id, pk))
}

/// `<name>+<hex key id>+<base64(alg ‖ key)>`.
pub(crate) fn format_vkey(name: &str, id: [u8; 4], alg: u8, key: &[u8; 32]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.push(alg);
    raw.extend_from_slice(key);
    format!("{name}+{}+{}", hex::encode(id), STANDARD.encode(raw))
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_vkey(
            &self.name,
            self.key_id,
            ED25519_ALG,
            &self.public_key,
        ))
    }
}

impl std::str::FromStr for VerifierKey {
    type Err = CheckpointError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// One signature line of a note (any algorithm; only Ed25519 is checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

/// A note split into its signed text and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The signed text, ending in `\n`.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl SignedNote {
    pub fn parse(note: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::MalformedNote as Bad;
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Bad("control character"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or(Bad("no blank line before signatures"))?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(Bad("signature block must end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs[..sigs.len() - 1].split('\n') {
            let line = line
                .strip_prefix(SIG_PREFIX)
                .ok_or(Bad("signature line must start with \"\u{2014} \""))?;
            let (name, b64) = line
                .split_once(' ')
                .ok_or(Bad("signature line has no space"))?;
            if !is_valid_key_name(name) {
                return Err(CheckpointError::InvalidKeyName);
            }
            let raw = STANDARD
                .decode(b64)
                .map_err(|_| Bad("signature is not base64"))?;
            if raw.len() < 5 {
                return Err(Bad("signature too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id: [raw[0], raw[1], raw[2], raw[3]],
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.len() > 100 {
            return Err(Bad("more than 100 signatures"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Checks the signature by `key_name` / `public_key` over the text.
    pub fn verify(&self, key_name: &str, public_key: &[u8; 32]) -> Result<(), CheckpointError> {
        let id = key_id(key_name, public_key);
        let vk =
            VerifyingKey::from_bytes(public_key).map_err(|_| CheckpointError::InvalidPublicKey)?;
        let mut found = false;
        for s in self
            .signatures
            .iter()
            .filter(|s| s.name == key_name && s.key_id == id)
        {
            found = true;
            let bad = || CheckpointError::BadSignature(key_name.to_owned());
            let sig: [u8; 64] = s.signature.as_slice().try_into().map_err(|_| bad())?;
            vk.verify_strict(self.text.as_bytes(), &Signature::from_bytes(&sig))
                .map_err(|_| bad())?;
        }
        if !found {
            return Err(CheckpointError::NoSignatureForKey(key_name.to_owned()));
        }
        Ok(())
    }
}

impl fmt::Display for SignedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            let mut raw = s.key_id.to_vec();
            raw.extend_from_slice(&s.signature);
            writeln!(f, "{SIG_PREFIX}{} {}", s.name, STANDARD.encode(raw))?;
        }
        Ok(())
    }
}

/// The signed note for `text` (which must end in `\n`) with one Ed25519
/// signature: what the server publishes after signing `text.as_bytes()`.
pub fn format_signed(text: &str, key_name: &str, key_id: [u8; 4], signature: &[u8; 64]) -> String {
    let mut raw = Vec::with_capacity(68);
    raw.extend_from_slice(&key_id);
    raw.extend_from_slice(signature);
    format!("{text}\n{SIG_PREFIX}{key_name} {}\n", STANDARD.encode(raw))
}
