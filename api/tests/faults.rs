//! Faults under a write load: the api is killed with SIGKILL 20 times and
//! PostgreSQL is stopped with `-m immediate` 5 times while clients register
//! accounts. Afterwards: every acknowledged write is present, no account row
//! lacks its ledger event, the ledger verifies, and the api reported 503 on
//! `/health/ready` while the database was down and was ready again within
//! 10 s of its return. Runs its own PostgreSQL cluster (the shared one must
//! not be stopped) with the system's server binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;

fn pg_bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("an initdb binary")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root.
fn pg_tool(bin: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args).output().unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Cluster {
    bin: PathBuf,
    data: String,
    port: u16,
    _dir: PathBuf,
}

impl Cluster {
    fn create() -> Cluster {
        let bin = pg_bindir();
        let dir = std::env::temp_dir().join(format!(
            "careledger-faults-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            Command::new("chown")
                .args(["postgres", dir.to_str().unwrap()])
                .status()
                .unwrap();
        }
        let data = dir.join("data").to_string_lossy().into_owned();
        let out = pg_tool(
            &bin.join("initdb"),
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Cluster {
            bin,
            data,
            port: free_port(),
            _dir: dir,
        };
        cluster.start();
        cluster
    }

    fn start(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=on -c synchronous_commit=on",
            self.port, self.data
        );
        let log = format!("{}/server.log", self.data);
        let out = pg_tool(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data, "-l", &log, "-w", "-o", &opts, "start"],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop_immediate(&self) {
        let out = pg_tool(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data, "-m", "immediate", "stop"],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_tool(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data, "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

struct Api {
    child: Child,
}

fn start_api(db_url: &str, data_dir: &Path, port: u16) -> Api {
    let mut child = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("CARELEDGER_DATA_DIR", data_dir)
        .env("CARELEDGER_PORT", port.to_string())
        .env("CARELEDGER_RATE_LIMITS", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("CareLedger listening") => break,
            Some(Ok(line)) => seen.push(line),
            _ => panic!("api did not start: {seen:?}"),
        }
    }
    // Keep draining its output so a full pipe never blocks it.
    std::thread::spawn(move || for _ in lines {});
    Api { child }
}

impl Api {
    fn kill9(mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

async fn ready_status(client: &reqwest::Client, base: &str) -> Option<u16> {
    client
        .get(format!("{base}/health/ready"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_write_is_lost_across_kills_and_database_crashes() {
    let cluster = Cluster::create();
    let mut admin = PgConnection::establish(&cluster.url("postgres")).unwrap();
    diesel::sql_query("CREATE DATABASE careledger")
        .execute(&mut admin)
        .unwrap();
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    for name in ["fsync", "synchronous_commit"] {
        let s: Setting = diesel::sql_query(format!(
            "SELECT setting FROM pg_settings WHERE name = '{name}'"
        ))
        .get_result(&mut admin)
        .unwrap();
        assert_eq!(s.setting, "on", "{name} must be on");
    }
    drop(admin);
    let db_url = cluster.url("careledger");
    let data_dir = std::env::temp_dir().join(format!(
        "careledger-faults-keys-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (client, base, acknowledged, stop) = (
            client.clone(),
            base.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let username = format!("load_{w}_{n}");
                let resp = client
                    .post(format!("{base}/api/v1/auth/register"))
                    .json(&serde_json::json!({"username": username, "password": "a-long-enough-pw", "display_name": "Load"}))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().as_u16() == 201 => acknowledged.lock().unwrap().push(username),
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    let mut api = start_api(&db_url, &data_dir, port);
    for round in 0..20 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        api.kill9();
        api = start_api(&db_url, &data_dir, port);
        if round % 4 == 3 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            cluster.stop_immediate();
            let mut saw_503 = false;
            for _ in 0..10 {
                if ready_status(&client, &base).await == Some(503) {
                    saw_503 = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            assert!(
                saw_503,
                "readiness must report 503 while PostgreSQL is down"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            cluster.start();
            let back = Instant::now();
            while ready_status(&client, &base).await != Some(200) {
                assert!(
                    back.elapsed() < Duration::from_secs(10),
                    "api not ready 10 s after PostgreSQL returned"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load made only {} writes",
        acknowledged.len()
    );
    let mut conn = PgConnection::establish(&db_url).unwrap();
    use api::db::schema::users::dsl as u;
    let stored: Vec<String> = u::users.select(u::username).load(&mut conn).unwrap();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|name| !stored.contains(name))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let orphans: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM users u WHERE NOT EXISTS \
         (SELECT 1 FROM ledger_entries e WHERE e.subject_user_id = u.id AND e.action = 'patient_registered')",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(orphans.n, 0, "account rows without their ledger event");

    // Everything gets sequenced, and the whole ledger verifies.
    let waited = Instant::now();
    loop {
        let pending: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM ledger_entries e WHERE NOT EXISTS (SELECT 1 FROM ledger_events v WHERE v.entry_id = e.id)",
        )
        .get_result(&mut conn)
        .unwrap();
        if pending.n == 0 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(15),
            "{} entries never sequenced",
            pending.n
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    api.kill9();
    let verify = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args(["ledger", "verify"])
        .env("DATABASE_URL", &db_url)
        .env("CARELEDGER_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "ledger verify failed: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
