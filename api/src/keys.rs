//! Key material kept outside the database: the access-token HMAC secret, the
//! record-sealing key ring and the ledger's Ed25519 checkpoint key.
//!
//! In development a missing key file is generated (mode 0600) with a warning;
//! in production every key file must already exist. Key bytes never reach a
//! log line: they live in `Secret`.

use std::path::Path;

use anyhow::{bail, Context};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::config::{Environment, Settings};
use crate::secret::Secret;

/// One AES-256 key of the sealing key ring.
pub struct SealKey {
    pub id: i32,
    pub key: Secret<[u8; 32]>,
}

pub struct Keys {
    pub jwt_secret: Secret<Vec<u8>>,
    /// Newest key last; new seals use the last one.
    pub seal_ring: Vec<SealKey>,
    pub ledger_signing: Secret<Vec<u8>>,
}

impl Keys {
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let dev = settings.environment == Environment::Development;
        let rng = SystemRandom::new();
        let jwt_hex = read_or_generate(&settings.jwt_key_file, dev, || {
            Ok(hex::encode(random_bytes::<32>(&rng)?))
        })?;
        let jwt_secret = hex::decode(jwt_hex.trim()).context("JWT key file must be hex")?;
        if jwt_secret.len() < 32 {
            bail!("JWT key must be at least 32 bytes");
        }
        let seal_text = read_or_generate(&settings.seal_key_file, dev, || {
            Ok(format!("1 {}\n", hex::encode(random_bytes::<32>(&rng)?)))
        })?;
        let seal_ring = parse_seal_ring(&seal_text)?;
        let signing_hex = read_or_generate(&settings.signing_key_file, dev, || {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
                .map_err(|_| anyhow::anyhow!("could not generate Ed25519 key"))?;
            Ok(hex::encode(pkcs8.as_ref()))
        })?;
        let ledger_signing =
            hex::decode(signing_hex.trim()).context("ledger signing key file must be hex")?;
        Ed25519KeyPair::from_pkcs8(&ledger_signing)
            .map_err(|_| anyhow::anyhow!("ledger signing key is not an Ed25519 PKCS#8 key"))?;
        Ok(Self {
            jwt_secret: Secret::new(jwt_secret),
            seal_ring,
            ledger_signing: Secret::new(ledger_signing),
        })
    }

    pub fn ledger_key_pair(&self) -> anyhow::Result<Ed25519KeyPair> {
        Ed25519KeyPair::from_pkcs8(self.ledger_signing.expose())
            .map_err(|_| anyhow::anyhow!("ledger signing key is invalid"))
    }

    pub fn ledger_public_key(&self) -> anyhow::Result<[u8; 32]> {
        let pair = self.ledger_key_pair()?;
        let mut out = [0u8; 32];
        out.copy_from_slice(pair.public_key().as_ref());
        Ok(out)
    }
}

pub fn random_bytes<const N: usize>(rng: &SystemRandom) -> anyhow::Result<[u8; N]> {
    let mut buf = [0u8; N];
    rng.fill(&mut buf)
        .map_err(|_| anyhow::anyhow!("system random source failed"))?;
    Ok(buf)
}

pub fn parse_seal_ring(text: &str) -> anyhow::Result<Vec<SealKey>> {
    let mut ring = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, key_hex) = line
            .split_once(char::is_whitespace)
            .with_context(|| format!("seal key file line {}: expected `<id> <hex key>`", n + 1))?;
        let id: i32 = id
            .parse()
            .with_context(|| format!("seal key file line {}: bad key id", n + 1))?;
        let bytes = hex::decode(key_hex.trim())
            .with_context(|| format!("seal key file line {}: key must be hex", n + 1))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("seal key file line {}: key must be 32 bytes", n + 1))?;
        ring.push(SealKey {
            id,
            key: Secret::new(key),
        });
    }
    if ring.is_empty() {
        bail!("seal key file holds no keys");
    }
    ring.sort_by_key(|k| k.id);
    Ok(ring)
}

fn read_or_generate(
    path: &Path,
    dev: bool,
    generate: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dev => {
            tracing::warn!(path = %path.display(), "key file missing; generating a development key");
            let text = generate()?;
            write_private(path, &text)?;
            Ok(text)
        }
        Err(e) => Err(e).with_context(|| format!("reading key file {}", path.display())),
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing key file {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_ring_parses_and_sorts_by_id() {
        let text = format!("# ring\n2 {}\n1 {}\n", "ab".repeat(32), "cd".repeat(32));
        let ring = parse_seal_ring(&text).unwrap_or_default();
        assert_eq!(ring.iter().map(|k| k.id).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn seal_ring_rejects_short_keys() {
        assert!(parse_seal_ring("1 abcd\n").is_err());
        assert!(parse_seal_ring("\n").is_err());
    }
}
