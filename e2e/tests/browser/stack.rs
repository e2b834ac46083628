//! One private copy of the whole stack per test: a fresh database on the
//! `DATABASE_URL` server, the real `careledger` binary (seeded with the demo
//! data, serving the built SPA on a free port), optionally real witness
//! processes (`careledger witness serve`) that the log asks to cosign,
//! chromedriver and a headless Chromium with its own profile. Everything is
//! torn down on drop.
//!
//! The SPA is served from a per-test directory that links every file of
//! `web/dist` and adds this deployment's `trust-policy.txt` (the pinned log
//! key, witness keys and quorum, from `careledger ledger policy`), as an
//! operator deploys it; [`Stack::set_policy`] replaces it.
//!
//! Missing pieces (SPA not built, api binary not built, no browser) fail the
//! test with a message saying how to fix it; only
//! `CARELEDGER_E2E_SKIP_IF_NO_DIST=1` turns a missing `web/dist` into a skip.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use diesel::prelude::*;
use diesel::sql_query;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::browser::Browser;
use crate::deploy::{link_dist, log_key, output, start_witness};

pub struct Stack {
    pub base: String,
    pub browser: Browser,
    app: Child,
    bin: PathBuf,
    db_url: String,
    driver: Child,
    db_name: String,
    admin_url: String,
    tmp: PathBuf,
    witnesses: Vec<Child>,
}

/// What to run besides the api.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Witness processes the log pushes checkpoints to; all must cosign.
    pub witnesses: usize,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn dist_ready(dist: &Path) -> bool {
    let wasm = std::fs::read_dir(dist)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("app_bg") && name.ends_with(".wasm")
        });
    dist.join("index.html").is_file() && wasm
}

fn careledger_bin() -> Result<PathBuf> {
    if let Ok(bin) = std::env::var("CARELEDGER_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    let bin = target.join("debug").join("careledger");
    if !bin.is_file() {
        bail!(
            "{} is missing: build the api first (`cargo build -p api`), or set CARELEDGER_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

fn with_database(url: &str, db: &str) -> Result<String> {
    let (base, _) = url
        .rsplit_once('/')
        .context("DATABASE_URL has no database name")?;
    Ok(format!("{base}/{db}"))
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Stack {
    /// Starts everything, or returns `None` (after saying why) when the SPA
    /// is not built and the environment allows skipping.
    pub async fn start() -> Result<Option<Stack>> {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Result<Option<Stack>> {
        let dist = root().join("web").join("dist");
        if !dist_ready(&dist) {
            if std::env::var("CARELEDGER_E2E_SKIP_IF_NO_DIST").as_deref() == Ok("1") {
                eprintln!(
                    "SKIPPED: {} is not built and CARELEDGER_E2E_SKIP_IF_NO_DIST=1",
                    dist.display()
                );
                return Ok(None);
            }
            bail!(
                "{} is not built: run ./scripts/build-web.sh (or set CARELEDGER_E2E_SKIP_IF_NO_DIST=1 to skip)",
                dist.display()
            );
        }
        let bin = careledger_bin()?;
        let admin_url = std::env::var("DATABASE_URL")
            .context("DATABASE_URL must name a PostgreSQL server for the browser tests")?;
        let db_name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).context("connect to DATABASE_URL")?;
        sql_query(format!("CREATE DATABASE {db_name}")).execute(&mut admin)?;
        let db_url = with_database(&admin_url, &db_name)?;
        let tmp = std::env::temp_dir().join(format!("careledger-{db_name}"));
        std::fs::create_dir_all(&tmp)?;
        link_dist(&dist, &tmp.join("dist"))?;

        let mut seed = command(&bin, &db_url, &tmp, "0");
        seed.args(["seed", "--demo"]);
        output(&mut seed, "seed --demo")?;
        let mut witnesses = Vec::new();
        if options.witnesses > 0 {
            let log_key = log_key(&bin, &db_url, &tmp.join("data"))?;
            let mut list = Vec::new();
            for i in 1..=options.witnesses {
                let (child, entry) = start_witness(&bin, &tmp, i, &log_key)?;
                witnesses.push(child);
                list.push(entry);
            }
            std::fs::write(tmp.join("witnesses"), list.join(";"))?;
        }
        let mut policy = command(&bin, &db_url, &tmp, "0");
        policy.args(["ledger", "policy"]);
        std::fs::write(
            tmp.join("dist").join("trust-policy.txt"),
            output(&mut policy, "ledger policy")?,
        )?;
        let (app, base) = serve(&bin, &db_url, &tmp, "0")?;

        let port = free_port()?;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("start chromedriver (apt-get install chromium-driver)")?;
        let client = connect(port, &tmp.join("profile")).await?;
        Ok(Some(Stack {
            base: base.clone(),
            browser: Browser::new(client, base, port),
            app,
            bin,
            db_url,
            driver,
            db_name,
            admin_url,
            tmp,
            witnesses,
        }))
    }

    /// The trust policy the SPA is deployed with now.
    pub fn policy(&self) -> Result<String> {
        Ok(std::fs::read_to_string(
            self.tmp.join("dist").join("trust-policy.txt"),
        )?)
    }

    /// Deploys the SPA with another trust policy (seen on the next load).
    /// A new file (new inode, so a new validator), not an edit in place.
    pub fn set_policy(&self, text: &str) -> Result<()> {
        let next = self.tmp.join("trust-policy.next");
        std::fs::write(&next, text)?;
        Ok(std::fs::rename(
            next,
            self.tmp.join("dist").join("trust-policy.txt"),
        )?)
    }

    /// A log verifier key of another deployment (a key this log never used).
    pub fn stranger_log_key(&self) -> Result<String> {
        log_key(&self.bin, &self.db_url, &self.tmp.join("stranger"))
    }

    /// The cosigner key of a witness this log never asked.
    pub fn stranger_witness_key(&self) -> Result<String> {
        let mut cmd = Command::new(&self.bin);
        cmd.args([
            "witness",
            "key",
            "--name",
            "stranger.example/witness",
            "--key-file",
        ])
        .arg(self.tmp.join("stranger-witness.key"));
        Ok(output(&mut cmd, "witness key")?.trim().to_owned())
    }

    /// Restarts the api on the same port with a new access-token key, so
    /// every access token the browser holds is now refused (401) while the
    /// refresh cookie, stored in the database, still works.
    pub fn restart_with_new_token_key(&mut self) -> Result<()> {
        let _ = self.app.kill();
        let _ = self.app.wait();
        std::fs::remove_file(self.tmp.join("data").join("jwt.key"))?;
        let port = self
            .base
            .rsplit(':')
            .next()
            .context("base URL has a port")?
            .to_owned();
        let (app, base) = serve(&self.bin, &self.db_url, &self.tmp, &port)?;
        self.app = app;
        self.base = base;
        Ok(())
    }

    /// Runs `sql` on this test's own database as the database owner (for
    /// tampering with what the application may never change).
    pub fn sql(&self, sql: &str) -> Result<()> {
        use diesel::connection::SimpleConnection;
        let mut conn =
            PgConnection::establish(&self.db_url).context("connect to the test database")?;
        conn.batch_execute(sql)
            .with_context(|| format!("run {sql}"))
    }

    /// Closes the browser session cleanly (the drop then stops the rest).
    pub async fn finish(self) {
        let _ = self.browser.client.clone().close().await;
    }
}

fn command(bin: &Path, db_url: &str, tmp: &Path, port: &str) -> Command {
    let mut cmd = Command::new(bin);
    let witnesses = std::fs::read_to_string(tmp.join("witnesses")).unwrap_or_default();
    if !witnesses.is_empty() {
        cmd.env("CARELEDGER_WITNESSES", witnesses)
            .env("CARELEDGER_WITNESS_PUSH_MS", "200");
    }
    cmd.env("DATABASE_URL", db_url)
        .env("CARELEDGER_DATA_DIR", tmp.join("data"))
        .env("CARELEDGER_STATIC_DIR", tmp.join("dist"))
        // Events reach a published checkpoint within about a second.
        .env("CARELEDGER_CHECKPOINT_SECS", "1")
        .env("CARELEDGER_HOST", "127.0.0.1")
        .env("CARELEDGER_PORT", port)
        .env("CARELEDGER_POOL_SIZE", "4")
        .env("RUST_LOG", "warn");
    cmd
}

/// Starts `careledger serve` and returns it with its base URL.
fn serve(bin: &Path, db_url: &str, tmp: &Path, port: &str) -> Result<(Child, String)> {
    let mut cmd = command(bin, db_url, tmp, port);
    cmd.arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut app = cmd.spawn().context("start careledger serve")?;
    let base = read_address(&mut app)?;
    Ok((app, base))
}

/// Reads the server's stdout until it names its address, then keeps draining
/// it on a thread so the pipe never fills.
fn read_address(app: &mut Child) -> Result<String> {
    let stdout = app.stdout.take().context("server stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        match lines.next() {
            Some(line) => {
                let line = line?;
                if let Some(rest) = line.split("listening on ").nth(1) {
                    break rest.trim().to_owned();
                }
            }
            None => bail!("careledger serve exited before listening"),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(address)
}

async fn connect(port: u16, profile: &Path) -> Result<Client> {
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,800",
            ],
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let serde_json::Value::Object(caps) = caps else {
        bail!("capabilities are an object");
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("could not start a browser session through chromedriver: {last:?}")
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.app.kill();
        let _ = self.app.wait();
        for w in &mut self.witnesses {
            let _ = w.kill();
            let _ = w.wait();
        }
        // chromedriver and the Chromium it started share one process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.db_name
            ))
            .execute(&mut admin);
        }
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}
