//! Typed settings, read once from the environment and passed explicitly —
//! there is no global settings static. Secrets are wrapped in `Secret`.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | required | PostgreSQL connection string |
//! | `CARELEDGER_ENV` | `development` | `production` requires every key file to exist |
//! | `CARELEDGER_HOST` / `CARELEDGER_PORT` | `127.0.0.1` / `8080` | bind address (port 0 picks a free port) |
//! | `CARELEDGER_DATA_DIR` | `./.data` | where development keys are generated |
//! | `CARELEDGER_JWT_KEY_FILE` | `<data>/jwt.key` | HMAC secret for access tokens (≥ 32 bytes, hex) |
//! | `CARELEDGER_SEAL_KEY_FILE` | `<data>/seal.keys` | record-sealing key ring (`<id> <hex key>` per line) |
//! | `CARELEDGER_SIGNING_KEY_FILE` | `<data>/ledger-signing.key` | Ed25519 PKCS#8 key (hex) for checkpoints |
//! | `CARELEDGER_STATIC_DIR` | `./web/dist` if present | the built SPA |
//! | `CARELEDGER_POOL_SIZE` | `16` | database connections |
//! | `CARELEDGER_COOKIE_SECURE` | `true` in production | mark the refresh cookie `Secure` |
//! | `CARELEDGER_RATE_LIMITS` | `on` | `off` disables per-process rate limits (benchmarks only) |
//! | `CARELEDGER_REQUIRE_ADMIN_TOTP` | `true` in production | admins must use two-factor sign-in |
//! | `CARELEDGER_TRUSTED_PROXIES` | none | reverse proxies (addresses/CIDRs) whose `X-Forwarded-For` is believed (`client_addr`) |
//! | `LOG_FORMAT` | text | `json` for JSON lines |
//! | `CARELEDGER_LEDGER_ORIGIN` | `careledger.local/ledger` | checkpoint origin and signing key name |
//! | `CARELEDGER_SEQUENCER` | `on` | `off`: this process never sequences (another process must) |
//! | `CARELEDGER_SEQUENCER_INTERVAL_MS` | `100` | sequencer poll interval (bounds commit → integration delay) |
//! | `CARELEDGER_CHECKPOINT_EVERY` | `1000` | sign a checkpoint after this many new events … |
//! | `CARELEDGER_CHECKPOINT_SECS` | `10` | … or this many seconds after the last one (if events arrived) |
//! | `CARELEDGER_CONSENT_EXPIRY_SECS` | `30` | how often expired consents get their `consent_expired` event |
//! | `CARELEDGER_WITNESSES`, `…_WITNESS_QUORUM`, `…_WITNESS_PUSH_MS` | none | witnesses and their quorum: see `log::settings` |
//! | `CARELEDGER_NEXT_SIGNING_KEY_FILE` | none | key rotation: a second Ed25519 key (hex PKCS#8) that co-signs every new checkpoint |
//! | `CARELEDGER_PREVIOUS_LEDGER_KEYS` | none | key rotation: `;`-separated verifier keys that signed older checkpoints |

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::auth::throttle::GuardSettings;
use crate::client_addr::TrustedProxies;
use crate::rate_limit::RateLimits;
use crate::secret::Secret;

/// Largest accepted request body (the JSON extractor's limit, and the
/// idempotency middleware's when it reads a body to digest it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub host: String,
    pub port: u16,
    pub database_url: Secret<String>,
    pub pool_size: u32,
    pub data_dir: PathBuf,
    pub jwt_key_file: PathBuf,
    pub seal_key_file: PathBuf,
    pub signing_key_file: PathBuf,
    pub static_dir: Option<PathBuf>,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub cookie_secure: bool,
    pub log_json: bool,
    pub rate_limits: RateLimits,
    /// The credential guard's delays and ceilings (`auth::throttle`).
    pub guard: GuardSettings,
    /// Proxies whose `X-Forwarded-For` names the client (`client_addr`).
    pub trusted_proxies: TrustedProxies,
    pub require_admin_totp: bool,
    pub ledger: LedgerSettings,
}

/// The ledger's sequencer and checkpoint settings.
#[derive(Debug, Clone)]
pub struct LedgerSettings {
    /// Checkpoint origin line and signed-note key name (no spaces or `+`).
    pub origin: String,
    /// Run the sequencer election in this process.
    pub sequencer_enabled: bool,
    pub sequencer_interval: Duration,
    /// Entries integrated per sequencing transaction at most.
    pub batch_size: usize,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
    /// How often this process records `consent_expired` events.
    pub consent_expiry_interval: Duration,
    /// Witnesses to push checkpoints to and their quorum (`log::settings`).
    pub witnesses: crate::log::settings::WitnessSettings,
    /// Key rotation: a second checkpoint key that signs alongside.
    pub next_signing_key_file: Option<PathBuf>,
    /// Key rotation: earlier checkpoint keys, to verify old checkpoints.
    pub previous_keys: Vec<shared::ledger::VerifierKey>,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        Self {
            origin: "careledger.local/ledger".into(),
            sequencer_enabled: true,
            sequencer_interval: Duration::from_millis(100),
            batch_size: 5000,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(10),
            consent_expiry_interval: Duration::from_secs(30),
            witnesses: Default::default(),
            next_signing_key_file: None,
            previous_keys: Vec::new(),
        }
    }
}

impl LedgerSettings {
    fn from_env(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut s = Self::default();
        if let Some(origin) = var("CARELEDGER_LEDGER_ORIGIN") {
            s.origin = origin;
        }
        s.sequencer_enabled = match var("CARELEDGER_SEQUENCER").as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(other) => bail!("CARELEDGER_SEQUENCER must be on or off, not {other:?}"),
        };
        let number = |name: &str| -> anyhow::Result<Option<u64>> {
            var(name)
                .map(|v| {
                    v.parse::<u64>()
                        .with_context(|| format!("{name} must be a number"))
                })
                .transpose()
        };
        if let Some(ms) = number("CARELEDGER_SEQUENCER_INTERVAL_MS")? {
            s.sequencer_interval = Duration::from_millis(ms.max(1));
        }
        if let Some(n) = number("CARELEDGER_CHECKPOINT_EVERY")? {
            s.checkpoint_every = n.max(1);
        }
        if let Some(secs) = number("CARELEDGER_CHECKPOINT_SECS")? {
            s.checkpoint_interval = Duration::from_secs(secs);
        }
        if let Some(secs) = number("CARELEDGER_CONSENT_EXPIRY_SECS")? {
            s.consent_expiry_interval = Duration::from_secs(secs.max(1));
        }
        s.witnesses = crate::log::settings::WitnessSettings::from_env(var)?;
        s.next_signing_key_file = var("CARELEDGER_NEXT_SIGNING_KEY_FILE").map(PathBuf::from);
        if let Some(list) = var("CARELEDGER_PREVIOUS_LEDGER_KEYS") {
            s.previous_keys = list
                .split([';', ' ', '\n'])
                .filter(|k| !k.is_empty())
                .map(|k| {
                    shared::ledger::VerifierKey::parse(k)
                        .map_err(|e| anyhow::anyhow!("CARELEDGER_PREVIOUS_LEDGER_KEYS: {e}"))
                })
                .collect::<anyhow::Result<_>>()?;
        }
        Ok(s)
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let environment = match var("CARELEDGER_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => bail!("CARELEDGER_ENV must be development or production, not {other:?}"),
        };
        let database_url = var("DATABASE_URL").context("DATABASE_URL is not set")?;
        let data_dir =
            PathBuf::from(var("CARELEDGER_DATA_DIR").unwrap_or_else(|| "./.data".into()));
        let port = match var("CARELEDGER_PORT") {
            Some(p) => p.parse().context("CARELEDGER_PORT must be a port number")?,
            None => 8080,
        };
        let pool_size = match var("CARELEDGER_POOL_SIZE") {
            Some(p) => p.parse().context("CARELEDGER_POOL_SIZE must be a number")?,
            None => 16,
        };
        let static_dir = var("CARELEDGER_STATIC_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("web/dist")).filter(|p| p.join("index.html").exists()));
        let cookie_secure = match var("CARELEDGER_COOKIE_SECURE").as_deref() {
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => bail!("CARELEDGER_COOKIE_SECURE must be true or false, not {other:?}"),
            None => environment == Environment::Production,
        };
        let mut settings = Self::for_data_dir(environment, Secret::new(database_url), data_dir);
        settings.host = var("CARELEDGER_HOST").unwrap_or_else(|| "127.0.0.1".into());
        settings.port = port;
        settings.pool_size = pool_size;
        settings.static_dir = static_dir;
        settings.cookie_secure = cookie_secure;
        settings.log_json = var("LOG_FORMAT").as_deref() == Some("json");
        settings.require_admin_totp = match var("CARELEDGER_REQUIRE_ADMIN_TOTP").as_deref() {
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                bail!("CARELEDGER_REQUIRE_ADMIN_TOTP must be true or false, not {other:?}")
            }
            None => environment == Environment::Production,
        };
        settings.rate_limits = match var("CARELEDGER_RATE_LIMITS").as_deref() {
            None | Some("on") => RateLimits::default(),
            Some("off") => RateLimits::unlimited(),
            Some(other) => bail!("CARELEDGER_RATE_LIMITS must be on or off, not {other:?}"),
        };
        if let Some(list) = var("CARELEDGER_TRUSTED_PROXIES") {
            settings.trusted_proxies = TrustedProxies::parse(&list)
                .map_err(|e| anyhow::anyhow!("CARELEDGER_TRUSTED_PROXIES: {e}"))?;
        }
        settings.ledger = LedgerSettings::from_env(&var)?;
        if let Some(f) = var("CARELEDGER_JWT_KEY_FILE") {
            settings.jwt_key_file = f.into();
        }
        if let Some(f) = var("CARELEDGER_SEAL_KEY_FILE") {
            settings.seal_key_file = f.into();
        }
        if let Some(f) = var("CARELEDGER_SIGNING_KEY_FILE") {
            settings.signing_key_file = f.into();
        }
        Ok(settings)
    }

    /// Defaults with every key file inside `data_dir`; tests use this with a
    /// temporary directory and port 0.
    pub fn for_data_dir(
        environment: Environment,
        database_url: Secret<String>,
        data_dir: PathBuf,
    ) -> Self {
        Self {
            environment,
            host: "127.0.0.1".into(),
            port: 0,
            database_url,
            pool_size: 16,
            jwt_key_file: data_dir.join("jwt.key"),
            seal_key_file: data_dir.join("seal.keys"),
            signing_key_file: data_dir.join("ledger-signing.key"),
            data_dir,
            static_dir: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 12 * 60 * 60,
            cookie_secure: false,
            log_json: false,
            rate_limits: RateLimits::default(),
            guard: GuardSettings::default(),
            trusted_proxies: TrustedProxies::default(),
            require_admin_totp: environment == Environment::Production,
            ledger: LedgerSettings::default(),
        }
    }
}
