//! Database access: the r2d2 pool, embedded migrations, and the blocking
//! helpers through which handlers reach PostgreSQL — `access`'s audited
//! actions and listings (on `Database::with_connection`) for patient and
//! account data, [`Database::run`] / [`Database::autocommit`] for the rest.
//! Diesel is blocking, so a whole transaction runs in one closure on the
//! blocking thread pool; a semaphore sized to the pool gates checkout so
//! waiting requests wait asynchronously instead of parking blocking threads.
//! Transaction control is never read from an error: `Ok` commits, `Err`
//! rolls back.
//!
//! The application runs as the database role [`APP_ROLE`], never as the
//! owner: every pooled connection (and the sequencer's and maintenance
//! commands' own connections, see [`connect_as_app`]) switches to it before
//! first use. The role may only SELECT and INSERT on the ledger tables
//! (migrations `000200_ledger` and `000600_app_role`). Only migrations run as
//! the connecting user, on a connection of their own ([`connect`]).

pub mod schema;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use tokio::sync::Semaphore;

use crate::error::ApiError;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// The role the application's connections assume (created by migrations).
pub const APP_ROLE: &str = "careledger_app";

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
            .connection_customizer(Box::new(AppRole))
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

    /// Runs `f` inside one transaction on the blocking pool: `Ok` commits,
    /// `Err` rolls back. An outcome that must be kept although the request
    /// fails (a refused sign-in's failure count and event) is an `Ok` value
    /// the caller turns into its answer — never an error variant. Actions on
    /// patient or account data go through `access::audited` instead.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.with_connection(move |conn| run_in_transaction(conn, f))
            .await
    }

    /// Runs `f` on one connection without BEGIN/COMMIT: every statement
    /// commits on its own. Only for work that writes at most one statement
    /// — reads (the per-request session check, proofs) — where an explicit
    /// transaction adds two round trips and no atomicity: under READ
    /// COMMITTED each statement takes its own snapshot either way.
    pub async fn autocommit<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.with_connection(f).await
    }

    /// Runs `f` with a pooled connection on the blocking pool (checkout gated
    /// by the semaphore, the caller's span kept). The building block of
    /// [`Self::run`], [`Self::autocommit`] and `access`'s audited actions and
    /// listings, which choose transaction or autocommit themselves.
    pub(crate) async fn with_connection<T, F>(&self, f: F) -> Result<T, ApiError>
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
            f(&mut conn)
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
    conn.transaction(f)
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

/// A connection as the connecting user (the owner): for migrations, and for
/// tests that deliberately tamper with the ledger.
pub fn connect(url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::establish(url).context("connecting to PostgreSQL")
}

/// A connection outside the pool that runs as [`APP_ROLE`], like the pool's.
pub fn connect_as_app(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = connect(url)?;
    assume_app_role(&mut conn).context("switching to the application role")?;
    Ok(conn)
}

/// Switches the session to [`APP_ROLE`]. Fails (and the connection is not
/// used) when the role is missing or the connecting user is not a member:
/// there is no fallback to the owner's privileges.
pub fn assume_app_role(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query(format!("SET ROLE {APP_ROLE}"))
        .execute(conn)
        .map(|_| ())
}

/// Pool hook: every new pooled connection assumes [`APP_ROLE`] first.
#[derive(Debug)]
struct AppRole;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for AppRole {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        assume_app_role(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}
