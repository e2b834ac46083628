//! `careledger witness`: an independent C2SP tlog-witness
//! (<https://c2sp.org/tlog-witness>) that anyone — a clinic, a regulator, a
//! patients' association — can run next to (never inside) a CareLedger log.
//!
//! It has its own Ed25519 key (a hex PKCS#8 file, created on first use),
//! its own state directory ([`state`]) and no access to the log's database;
//! it learns about a log only from what the log sends. It follows the logs
//! whose verifier keys it is given, and cosigns ([`add`]) only consistent
//! growth, with timestamped `cosignature/v1` Ed25519 cosignatures.
//!
//! Routes: `POST /add-checkpoint` (submission) and
//! `GET /<sha256(origin) hex>/checkpoint` (monitoring: the latest cosigned
//! checkpoint with our cosignature). On start it prints its cosigner key
//! (`witness <vkey>`) and `listening on http://<host>:<port>` on stdout.

pub mod add;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{bail, Context};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use shared::ledger::cosignature::CosignerKey;
use shared::ledger::witness_api::SIZE_CONTENT_TYPE;
use shared::ledger::VerifierKey;

use add::{Refusal, Witness};
use state::WitnessState;

/// Largest accepted request body.
const MAX_BODY: usize = 64 * 1024;

pub const USAGE: &str = "  witness key --name <name> --key-file <file>
                 create (if missing) a witness key and print its cosigner key
  witness serve --name <name> --key-file <file> --state-dir <dir>
                --log-key <log verifier key> [--log-key ...] [--listen <host:port>]
                 run a C2SP witness for the given logs (default 127.0.0.1:8090)
";

#[derive(Debug, Clone)]
pub struct WitnessConfig {
    pub name: String,
    pub key_file: PathBuf,
    pub state_dir: PathBuf,
    pub log_keys: Vec<VerifierKey>,
    pub listen: String,
}

impl WitnessConfig {
    /// Parses `--flag value` pairs (for `witness key`, only name and key file matter).
    pub fn from_args(args: &[&str]) -> anyhow::Result<Self> {
        let mut c = Self {
            name: String::new(),
            key_file: PathBuf::new(),
            state_dir: PathBuf::new(),
            log_keys: Vec::new(),
            listen: "127.0.0.1:8090".into(),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
            match *flag {
                "--name" => c.name = (*value).to_owned(),
                "--key-file" => c.key_file = value.into(),
                "--state-dir" => c.state_dir = value.into(),
                "--listen" => c.listen = (*value).to_owned(),
                "--log-key" => c.log_keys.push(
                    VerifierKey::parse(value).map_err(|e| anyhow::anyhow!("--log-key: {e}"))?,
                ),
                other => bail!("unknown option {other}"),
            }
        }
        if c.name.is_empty() || c.key_file.as_os_str().is_empty() {
            bail!("--name and --key-file are required");
        }
        Ok(c)
    }
}

/// Loads the witness key, creating it when the file does not exist.
pub fn load_or_create_key(
    path: &Path,
    name: &str,
) -> anyhow::Result<(Ed25519KeyPair, CosignerKey)> {
    if !path.exists() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("generating a witness key"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, hex::encode(pkcs8.as_ref()))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let hex_key =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let pkcs8 = hex::decode(hex_key.trim()).context("witness key file must be hex")?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| anyhow::anyhow!("witness key is not an Ed25519 PKCS#8 key"))?;
    let pk: [u8; 32] = pair
        .public_key()
        .as_ref()
        .try_into()
        .context("witness public key length")?;
    let key = CosignerKey::new(name, pk).map_err(|e| anyhow::anyhow!("witness name: {e}"))?;
    Ok((pair, key))
}

/// Runs the witness until the process is stopped.
pub fn serve(config: WitnessConfig) -> anyhow::Result<()> {
    if config.log_keys.is_empty() {
        bail!("a witness needs at least one --log-key");
    }
    if config.state_dir.as_os_str().is_empty() {
        bail!("--state-dir is required");
    }
    let (pair, key) = load_or_create_key(&config.key_file, &config.name)?;
    let state = WitnessState::open(&config.state_dir)?;
    let witness = Arc::new(Witness::new(key.clone(), pair, config.log_keys, state));
    actix_web::rt::System::new().block_on(async move {
        let data = web::Data::from(witness);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::default().limit(MAX_BODY))
                .route("/add-checkpoint", web::post().to(add_checkpoint))
                .route("/{origin_hash}/checkpoint", web::get().to(checkpoint))
        })
        .workers(2)
        .bind(config.listen.as_str())
        .with_context(|| format!("binding {}", config.listen))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .context("witness bound no address")?;
        println!("witness {key}");
        println!("listening on http://{addr}");
        use std::io::Write;
        std::io::stdout().flush()?;
        server.run().await.context("witness stopped")
    })
}

async fn add_checkpoint(witness: web::Data<Witness>, body: web::Bytes) -> HttpResponse {
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "request body is not UTF-8\n".into(),
        );
    };
    let now = chrono::Utc::now().timestamp().unsigned_abs();
    let w = witness.clone();
    let outcome = web::block(move || w.add_checkpoint(&text, now))
        .await
        .unwrap_or_else(|e| Err(Refusal::Internal(e.to_string())));
    match outcome {
        Ok(line) => plain(StatusCode::OK, line),
        Err(Refusal::Conflict(size)) => HttpResponse::Conflict()
            .content_type(SIZE_CONTENT_TYPE)
            .body(format!("{size}\n")),
        Err(r) => {
            let status = match r {
                Refusal::BadRequest(_) => StatusCode::BAD_REQUEST,
                Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
                Refusal::UnknownOrigin => StatusCode::NOT_FOUND,
                Refusal::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Refusal::Conflict(_) | Refusal::Internal(_) => {
                    tracing::error!(error = %r, "witness failed");
                    return plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n".into());
                }
            };
            plain(status, format!("{r}\n"))
        }
    }
}

async fn checkpoint(witness: web::Data<Witness>, hash: web::Path<String>) -> HttpResponse {
    match witness.latest_by_hash(&hash) {
        Ok(Some(note)) => plain(StatusCode::OK, note),
        Ok(None) => plain(
            StatusCode::NOT_FOUND,
            "no checkpoint cosigned for that log\n".into(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "witness state");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n".into())
        }
    }
}

fn plain(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// `careledger witness ...`.
pub fn run_cli(args: &[&str]) -> anyhow::Result<()> {
    match args {
        ["key", rest @ ..] => {
            let c = WitnessConfig::from_args(rest)?;
            let (_, key) = load_or_create_key(&c.key_file, &c.name)?;
            println!("{key}");
            Ok(())
        }
        ["serve", rest @ ..] => {
            crate::telemetry::init(false);
            serve(WitnessConfig::from_args(rest)?)
        }
        _ => bail!("usage:\n{USAGE}"),
    }
}
