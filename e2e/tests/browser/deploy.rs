//! What the browser tests deploy besides the api: the SPA directory with
//! its trust policy (`trust-policy.txt`, from `careledger ledger policy`)
//! and real witness processes (`careledger witness serve`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context, Result};

/// Runs `cmd` to completion; its stdout.
pub fn output(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("run careledger {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// The log verifier key of the deployment whose keys live in `data`.
pub fn log_key(bin: &Path, db_url: &str, data: &Path) -> Result<String> {
    let mut cmd = Command::new(bin);
    cmd.env("DATABASE_URL", db_url)
        .env("CARELEDGER_DATA_DIR", data)
        .args(["ledger", "policy"]);
    let policy = output(&mut cmd, "ledger policy")?;
    policy
        .lines()
        .find_map(|l| l.strip_prefix("log "))
        .map(str::to_owned)
        .context("the policy names the log's key")
}

/// Starts witness `i` following `log_key`; the child and its
/// `CARELEDGER_WITNESSES` entry (`<url> <cosigner key>`).
pub fn start_witness(bin: &Path, tmp: &Path, i: usize, log_key: &str) -> Result<(Child, String)> {
    let dir = tmp.join(format!("witness{i}"));
    let mut child = Command::new(bin)
        .args([
            "witness",
            "serve",
            "--name",
            &format!("w{i}.example/witness"),
        ])
        .arg("--key-file")
        .arg(dir.join("witness.key"))
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args(["--log-key", log_key, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start careledger witness serve")?;
    let mut lines = BufReader::new(child.stdout.take().context("witness stdout")?).lines();
    let (mut key, mut url) = (None, None);
    while key.is_none() || url.is_none() {
        let line = lines
            .next()
            .context("the witness exited before listening")??;
        if let Some(k) = line.strip_prefix("witness ") {
            key = Some(k.to_owned());
        } else if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.to_owned());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let entry = format!("{} {}", url.unwrap_or_default(), key.unwrap_or_default());
    Ok((child, entry))
}

/// `to` gets a link to every file of the built SPA (a deployment's copy).
pub fn link_dist(dist: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(dist)? {
        let entry = entry?;
        if entry.file_name() == "trust-policy.txt" {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}
