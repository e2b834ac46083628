//! Running the real `careledger serve` binary on a test app's database and
//! key files (for kill -9 and multi-process tests).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::TestApp;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The child process, killed if the test ends early.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// SIGKILL, and reap it.
    pub fn kill_9(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

/// `careledger serve` on `port`, sharing `app`'s database and key files,
/// with a 20 ms sequencer and no rate limits.
pub fn start_binary(app: &TestApp, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .arg("serve")
        .env("DATABASE_URL", &app.db_url)
        .env("CARELEDGER_DATA_DIR", &app.data_dir)
        .env("CARELEDGER_PORT", port.to_string())
        .env("CARELEDGER_POOL_SIZE", "8")
        .env("CARELEDGER_SEQUENCER_INTERVAL_MS", "20")
        .env("CARELEDGER_RATE_LIMITS", "off")
        .env_remove("CARELEDGER_STATIC_DIR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server(child)
}

pub async fn wait_healthy(base: &str) {
    let started = Instant::now();
    while !reqwest::get(format!("{base}/health"))
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "binary did not start"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}
