//! Test support for the public log and witnesses: running the real
//! `careledger witness serve` binary with its own key and state directory,
//! and building the Go third-party verifier (api/tests/go/careledger-verify).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use shared::ledger::cosignature::CosignerKey;
use shared::ledger::VerifierKey;

use crate::binaries::Server;

/// A running witness process (killed on drop).
pub struct WitnessProc {
    pub server: Server,
    pub url: String,
    pub key: CosignerKey,
    pub state_dir: PathBuf,
}

/// Starts `careledger witness serve` following `log_key`, in a fresh
/// directory under `root` (key file and state), on a free port.
pub fn start_witness(root: &Path, name: &str, log_key: &VerifierKey) -> WitnessProc {
    let dir = root.join(name.replace('/', "_"));
    std::fs::create_dir_all(&dir).unwrap();
    let state_dir = dir.join("state");
    let mut child = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args(["witness", "serve", "--name", name, "--key-file"])
        .arg(dir.join("witness.key"))
        .arg("--state-dir")
        .arg(&state_dir)
        .args(["--log-key", &log_key.to_string(), "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut key, mut url) = (None, None);
    while key.is_none() || url.is_none() {
        let line = lines
            .next()
            .expect("witness exited before listening")
            .unwrap();
        if let Some(k) = line.strip_prefix("witness ") {
            key = Some(CosignerKey::parse(k).unwrap());
        } else if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.to_owned());
        }
    }
    // Keep draining stdout so the witness never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    WitnessProc {
        server: Server(child),
        url: url.unwrap(),
        key: key.unwrap(),
        state_dir,
    }
}

/// Files in a witness's evidence directory.
pub fn evidence(w: &WitnessProc) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.state_dir.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Builds the Go verifier, or `None` when Go is not installed — which
/// fails the test under CI (`CI` set) and is reported loudly otherwise.
pub fn go_verifier() -> Option<PathBuf> {
    let go_present = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !go_present {
        assert!(
            std::env::var_os("CI").is_none(),
            "go is required in CI (scripts/ensure-tools.sh go installs golang-go and golang-golang-x-mod-dev)"
        );
        eprintln!(
            "\n*** SKIPPED: the Go third-party verification needs `go` and golang-golang-x-mod-dev \
             (scripts/ensure-tools.sh go) ***\n"
        );
        return None;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/careledger-verify");
    let out = std::env::temp_dir().join(format!("careledger-verify-{}", std::process::id()));
    let gopath = std::env::var("CARELEDGER_GOPATH").unwrap_or_else(|_| "/usr/share/gocode".into());
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        .env("GOFLAGS", "")
        .env("GOCACHE", std::env::temp_dir().join("careledger-go-cache"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "building the Go verifier failed (is golang-golang-x-mod-dev installed?)"
    );
    Some(out)
}

/// Runs the Go verifier; `(success, stdout + stderr)`.
pub fn run_go(bin: &Path, args: &[String]) -> (bool, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
