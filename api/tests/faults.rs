//! Faults under a write load: the api is killed with SIGKILL 20 times and
//! PostgreSQL is stopped with `-m immediate` 5 times while clients register
//! accounts. Afterwards: every acknowledged write is present, no account row
//! lacks its ledger event, the ledger verifies, and the api reported 503 on
//! `/health/ready` while the database was down and was ready again within
//! 10 s of its return. No write was answered 500, and none answered 503
//! `unavailable` ("nothing was saved") was saved; the answers are counted in
//! the output.
//!
//! And a COMMIT whose reply is lost: with a synchronous standby required
//! that never comes, PostgreSQL writes the commit and then waits; the api's
//! backend is killed while it waits. The write was committed, the api could
//! not know: it answers 503 `commit_outcome_unknown`, and the retry with the
//! same `Idempotency-Key` replays the answer — exactly one record.
//!
//! Runs its own PostgreSQL clusters (the shared one must not be stopped or
//! reconfigured) with the system's server binaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
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
    start_api_with(db_url, data_dir, port, &[])
}

fn start_api_with(db_url: &str, data_dir: &Path, port: u16, env: &[(&str, &str)]) -> Api {
    let mut child = Command::new(env!("CARGO_BIN_EXE_careledger"))
        .arg("serve")
        .envs(env.iter().copied())
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
    // Every answer the writers got: (status, error code), and the names of
    // writes answered 503 `unavailable` (which must not have been saved).
    let answers: Arc<Mutex<BTreeMap<(u16, String), usize>>> = Arc::default();
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (client, base, acknowledged, stop) = (
            client.clone(),
            base.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        let (answers, refused) = (answers.clone(), refused.clone());
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
                let answer = match resp {
                    Ok(r) if r.status().as_u16() == 201 => {
                        acknowledged.lock().unwrap().push(username);
                        (201, String::new())
                    }
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
                        if status == 503 && code == "unavailable" {
                            refused.lock().unwrap().push(username);
                        }
                        (status, code)
                    }
                    Err(e) if e.is_timeout() => (0, "client timeout".into()),
                    Err(_) => (0, "no answer (api killed or restarting)".into()),
                };
                let failed = answer.0 != 201;
                *answers.lock().unwrap().entry(answer).or_default() += 1;
                if failed {
                    tokio::time::sleep(Duration::from_millis(20)).await;
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

    let answers = answers.lock().unwrap().clone();
    println!("answers to the writers during the faults (status, code: count):");
    for ((status, code), n) in &answers {
        println!("  {status} {code}: {n}");
    }
    let server_errors: usize = answers
        .iter()
        .filter(|((status, code), _)| *status == 500 || code == "internal")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(server_errors, 0, "writes answered 500 during the faults");
    let acknowledged = acknowledged.lock().unwrap().clone();
    println!("acknowledged writes: {}", acknowledged.len());
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
    let refused = refused.lock().unwrap().clone();
    let saved_anyway: Vec<&String> = refused.iter().filter(|n| stored.contains(n)).collect();
    println!(
        "answered 503 unavailable: {}, of which saved: {}",
        refused.len(),
        saved_anyway.len()
    );
    assert!(
        saved_anyway.is_empty(),
        "answered 503 `unavailable` (nothing saved) but saved: {saved_anyway:?}"
    );

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

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_commit_reply_is_answered_honestly_and_resolved_by_the_retry() {
    let cluster = Cluster::create();
    let mut admin = PgConnection::establish(&cluster.url("postgres")).unwrap();
    diesel::sql_query("CREATE DATABASE careledger")
        .execute(&mut admin)
        .unwrap();
    let db_url = cluster.url("careledger");
    let data_dir = std::env::temp_dir().join(format!(
        "careledger-faults-keys-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // No sequencer: only the request under test commits.
    let api = start_api_with(&db_url, &data_dir, port, &[("CARELEDGER_SEQUENCER", "off")]);

    let registered = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "ambiguous", "password": "a-long-enough-pw", "display_name": "Amb"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status().as_u16(), 201);
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "ambiguous", "password": "a-long-enough-pw"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let patients: serde_json::Value = client
        .get(format!("{base}/api/v1/patients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let patient = patients["items"][0]["id"].as_str().unwrap().to_owned();
    let write = || {
        client
            .post(format!("{base}/api/v1/patients/{patient}/records"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "lost-commit-1")
            .json(&serde_json::json!({"kind": "allergy", "title": "Lost reply", "body": {"substance": "Latex", "reaction": "Hives", "severity": "mild"}}))
            .timeout(Duration::from_secs(30))
            .send()
    };

    // Every COMMIT now waits for a standby that never comes — after the
    // commit record is flushed: the write is durable, its reply held back.
    diesel::sql_query("ALTER SYSTEM SET synchronous_standby_names = 'never_connects'")
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query("SELECT pg_reload_conf()")
        .execute(&mut admin)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pending = tokio::spawn(write());
    let mut killed = 0;
    for _ in 0..200 {
        killed = count(
            &mut admin,
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = 'careledger' AND wait_event = 'SyncRep'",
        );
        if killed > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(killed, 1, "the write's COMMIT was waiting for the standby");
    diesel::sql_query("ALTER SYSTEM RESET synchronous_standby_names")
        .execute(&mut admin)
        .unwrap();
    diesel::sql_query("SELECT pg_reload_conf()")
        .execute(&mut admin)
        .unwrap();

    let lost = pending.await.unwrap().unwrap();
    assert_eq!(lost.status().as_u16(), 503);
    assert!(lost.headers().contains_key("retry-after"));
    let body: serde_json::Value = lost.json().await.unwrap();
    assert_eq!(body["error"]["code"], "commit_outcome_unknown", "{body}");

    let mut conn = PgConnection::establish(&db_url).unwrap();
    // A fresh database: the only chart is this patient's, and titles are
    // sealed, so the record is counted, not looked up by its title.
    let records = "SELECT count(*) AS n FROM records";
    assert_eq!(count(&mut conn, records), 1, "the COMMIT had been written");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let retry = write().await.unwrap();
    assert_eq!(retry.status().as_u16(), 201);
    assert_eq!(
        retry.headers().get("idempotent-replayed").unwrap(),
        "true",
        "the retry learns the outcome without repeating the write"
    );
    assert_eq!(count(&mut conn, records), 1, "exactly one record");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM ledger_entries WHERE action = 'record_created'"
        ),
        1,
        "exactly one ledger event"
    );
    api.kill9();
    let _ = std::fs::remove_dir_all(&data_dir);
}
