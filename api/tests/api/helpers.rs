//! Spawning the app for a test. Each test gets its own database, cloned from
//! a template that is migrated once per migration set; `DATABASE_URL` names
//! the server (its database is only used to create and drop others).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use api::config::{Environment, Settings};
use api::secret::Secret;
use api::startup::Application;
use diesel::prelude::*;
use diesel::sql_query;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const DEMO_PASSWORD: &str = "CareLedger-demo-1";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db_name: String,
    pub db_url: String,
    pub data_dir: PathBuf,
    /// The running app's own pool: its connections are the app's (they run
    /// as the application role). `conn()` is the owner's connection.
    pub db: api::db::Database,
    admin_url: String,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server for the integration tests")
}

fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("DATABASE_URL has a database name");
    format!("{base}/{db}")
}

fn migrations_fingerprint() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.strip_prefix(&dir).unwrap().to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap());
    }
    hex::encode(&hasher.finalize()[..8])
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Creates (once, under an advisory lock shared by all test processes) the
/// migrated template database and returns its name.
fn template_database(admin: &mut PgConnection) -> String {
    let name = format!("careledger_tmpl_{}", migrations_fingerprint());
    sql_query("SELECT pg_advisory_lock(727274)")
        .execute(admin)
        .unwrap();
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let exists = sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') AS exists"
    ))
    .get_result::<Exists>(admin)
    .unwrap()
    .exists;
    if !exists {
        let building = format!("{name}_building");
        sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(admin)
            .unwrap();
        sql_query(format!("CREATE DATABASE {building}"))
            .execute(admin)
            .unwrap();
        {
            let mut conn =
                PgConnection::establish(&with_database(&admin_url(), &building)).unwrap();
            api::db::run_migrations(&mut conn).unwrap();
        }
        sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(admin)
            .unwrap();
    }
    sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(admin)
        .unwrap();
    name
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
        let admin_url = admin_url();
        let db_name = format!("t_{}", uuid::Uuid::new_v4().simple());
        {
            let mut admin = PgConnection::establish(&admin_url).unwrap();
            let template = template_database(&mut admin);
            sql_query(format!("CREATE DATABASE {db_name} TEMPLATE {template}"))
                .execute(&mut admin)
                .unwrap();
        }
        let db_url = with_database(&admin_url, &db_name);
        let data_dir = std::env::temp_dir().join(format!("careledger-test-{db_name}"));
        let mut settings = Settings::for_data_dir(
            Environment::Development,
            Secret::new(db_url.clone()),
            data_dir.clone(),
        );
        settings.pool_size = 4;
        // Tests sign in far more often than people do; the rate-limit tests
        // turn the limits back on.
        settings.rate_limits = api::rate_limit::RateLimits::unlimited();
        customise(&mut settings);
        let app = Application::build(settings).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.database();
        actix_rt::spawn(app.run_until_stopped());
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            address,
            client,
            db_name,
            db_url,
            data_dir,
            db,
            admin_url,
        }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.db_url).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The demo accounts (all with `DEMO_PASSWORD`) and their charts.
    pub fn seed_demo(&self) {
        api::seed::seed_demo_full(&mut self.conn(), &self.sealer()).unwrap();
    }

    /// A sealer over the app's seal key file.
    pub fn sealer(&self) -> api::crypto::Sealer {
        api::crypto::Sealer::from_file(self.data_dir.join("seal.keys")).unwrap()
    }

    /// Runs SQL against the test database.
    pub fn sql(&self, query: &str) -> usize {
        sql_query(query).execute(&mut self.conn()).unwrap()
    }

    /// The patient profile id of a patient-role account.
    pub fn patient_id(&self, username: &str) -> uuid::Uuid {
        use api::db::schema::{patients, users};
        patients::table
            .inner_join(users::table.on(users::id.nullable().eq(patients::user_id)))
            .filter(users::username.eq(username))
            .select(patients::id)
            .first(&mut self.conn())
            .unwrap()
    }

    /// Record ids of a chart with a kind, oldest first.
    pub fn record_of_kind(&self, patient: uuid::Uuid, kind: &str) -> uuid::Uuid {
        use api::db::schema::records;
        records::table
            .filter(records::patient_id.eq(patient))
            .filter(records::kind.eq(kind))
            .order(records::created_at)
            .select(records::id)
            .first(&mut self.conn())
            .unwrap()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    /// How many ledger entries have `action` and `outcome`.
    pub fn ledger_count_outcome(&self, action: &str, outcome: &str) -> i64 {
        use api::db::schema::ledger_entries::dsl;
        dsl::ledger_entries
            .filter(dsl::action.eq(action))
            .filter(dsl::outcome.eq(outcome))
            .count()
            .get_result(&mut self.conn())
            .unwrap()
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Signs in and returns the access token.
    pub async fn token(&self, username: &str) -> String {
        let resp = self.login_response(username, DEMO_PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::OK, "login as {username}");
        let body: Value = resp.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn patch_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.patch(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// How many ledger entries have `action`.
    pub fn ledger_count(&self, action: &str) -> i64 {
        use api::db::schema::ledger_entries::dsl;
        dsl::ledger_entries
            .filter(dsl::action.eq(action))
            .count()
            .get_result(&mut self.conn())
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let db = self.db_name.clone();
        let data_dir = self.data_dir.clone();
        // Drop runs inside the test's runtime; do the blocking work on a thread.
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = PgConnection::establish(&admin_url) {
                let _ = sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&mut admin);
            }
            let _ = std::fs::remove_dir_all(&data_dir);
        })
        .join();
    }
}

/// The `error.code` of an error response.
pub async fn error_code(resp: Response) -> String {
    let body: Value = resp.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl TestApp {
    /// The HMAC secret the app signs access tokens with (for forging tests).
    pub fn jwt_secret(&self) -> Vec<u8> {
        hex::decode(
            std::fs::read_to_string(self.data_dir.join("jwt.key"))
                .unwrap()
                .trim(),
        )
        .unwrap()
    }

    pub fn user_id(&self, username: &str) -> uuid::Uuid {
        use api::db::schema::users::dsl;
        dsl::users
            .filter(dsl::username.eq(username))
            .select(dsl::id)
            .first(&mut self.conn())
            .unwrap()
    }
}

/// The JSON body of a response, after checking its status (`Null` when the
/// body is empty).
pub async fn body(resp: reqwest::Response, want: StatusCode) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, want, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A valid prescription body.
pub fn rx() -> Value {
    json!({"drug": "Amoxicillin", "dose": "500 mg", "route": "oral", "frequency": "tid", "duration": "7 days"})
}

/// Grants a consent as `token` (expects 201) and returns it.
pub async fn grant(app: &TestApp, token: &str, body_: Value) -> Value {
    body(
        app.post_json("/api/v1/consents", Some(token), &body_).await,
        StatusCode::CREATED,
    )
    .await
}
