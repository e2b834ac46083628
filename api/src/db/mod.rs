//! Database access: the r2d2 pool, embedded migrations, and `run_blocking`,
//! the one way handlers reach PostgreSQL. Diesel is blocking, so a whole
//! transaction runs in one closure on the blocking thread pool; a semaphore
//! sized to the pool gates checkout so waiting requests wait asynchronously
//! instead of parking blocking threads.

pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use tokio::sync::Semaphore;

use crate::error::ApiError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Arbitrary but fixed: serialises migrations when several api processes start at once.
const MIGRATION_LOCK_KEY: i64 = 0x4361_7265_4c65_6467;

#[derive(Clone)]
pub struct Database {
    pool: PgPool,
    gate: Arc<Semaphore>,
}

impl Database {
    /// Builds the pool without connecting, so the server can start (and report
    /// not-ready) while PostgreSQL is still coming up.
    pub fn new(url: &str, size: u32) -> Self {
        let manager = ConnectionManager::<PgConnection>::new(url);
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(5))
            .test_on_check_out(false)
            .build_unchecked(manager);
        Self {
            pool,
            gate: Arc::new(Semaphore::new(size as usize)),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether PostgreSQL answers within `timeout` (readiness probes must
    /// answer quickly even while the database is down).
    pub async fn ping(&self, timeout: Duration) -> bool {
        use diesel::RunQueryDsl;
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get_timeout(timeout).ok()?;
            diesel::sql_query("SELECT 1").execute(&mut conn).ok()
        })
        .await
        .ok()
        .flatten()
        .is_some()
    }

    /// Runs `f` inside one transaction on the blocking pool. Returning
    /// `Err(ApiError::AfterCommit(e))` commits (keeping e.g. a denial's audit
    /// event) and then answers `e`; any other error rolls back.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|e| ApiError::internal("database gate closed", e))?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get().map_err(|e| {
                tracing::warn!(error = %e, "database connection unavailable");
                ApiError::Unavailable
            })?;
            run_in_transaction(&mut conn, f)
        })
        .await
        .map_err(|e| ApiError::internal("blocking task failed", e))?
    }
}

/// The transaction wrapper behind [`Database::run`], usable on a bare
/// connection (CLI, sequencer, tests).
pub fn run_in_transaction<T, F>(conn: &mut PgConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError>,
{
    enum Outcome<T> {
        Done(T),
        Refused(ApiError),
    }
    let outcome = conn.transaction::<_, ApiError, _>(|c| match f(c) {
        Ok(v) => Ok(Outcome::Done(v)),
        Err(ApiError::AfterCommit(inner)) => Ok(Outcome::Refused(*inner)),
        Err(e) => Err(e),
    })?;
    match outcome {
        Outcome::Done(v) => Ok(v),
        Outcome::Refused(e) => Err(e),
    }
}

/// Applies pending migrations, holding an advisory lock so concurrent starts
/// do not race.
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .context("taking the migration lock")?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .context("releasing the migration lock")?;
    result
}

pub fn connect(url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::establish(url).context("connecting to PostgreSQL")
}
