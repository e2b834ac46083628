//! Database access: the r2d2 pool, embedded migrations, and the blocking
//! helpers through which handlers reach PostgreSQL — `access`'s audited
//! actions and listings (changes on `Database::in_transaction`, reads on
//! `Database::with_connection`) for patient and account data, [`Database::run`] / [`Database::autocommit`] for the rest.
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
//!
//! ## Losing the database
//!
//! When PostgreSQL crashes, restarts or fails over, every pooled connection
//! dies with it, and nothing notices until a statement is sent on one. The
//! pool must not hand such a connection to a request that then fails (the
//! fault test saw dozens of 500s per crash, some sent after the database was
//! back). r2d2's `test_on_check_out` would ping with `SELECT 1` on every
//! checkout — measured 0.19 ms per round trip here (pgbench, `SELECT 1`,
//! 2 shared cores), paid twice
//! per request (session check, then the handler) for an event that happens a
//! few times a year. Instead:
//!
//! - **Generations.** Each pooled connection remembers the pool generation
//!   it was opened in; checkout compares it with the current one (an atomic
//!   load, no round trip). The first failure that shows the connection was
//!   lost ([`crate::error::is_connection_lost`], or diesel's broken flag;
//!   the connection is marked broken and r2d2 drops it on return) starts a
//!   new generation,
//!   so every connection opened before the loss is discarded at its next
//!   checkout instead of failing a request. A lone dead backend (killed by
//!   an administrator, an idle timeout) costs the pool a reconnect of its
//!   idle connections — cheap, and rare.
//! - **A retry where nothing was done.** The first statement after a loss
//!   is what discovers it. For a transaction ([`Database::run`]) that is our
//!   own `BEGIN`: when it fails because the connection is gone, nothing was
//!   done, so the work starts again once on a fresh connection (the new
//!   generation guarantees it is fresh). [`Database::autocommit`] closures
//!   are reads, so they are simply run once more. Only a connection lost
//!   *during* the work answers 503 — honestly, since nothing was committed.
//! - **An ambiguous COMMIT is named.** If the connection is lost while COMMIT
//!   is in flight, the change may or may not be durable: that answers
//!   `ApiError::CommitOutcomeUnknown` (503 `commit_outcome_unknown`), which
//!   tells the client to retry with the same `Idempotency-Key` — the key is
//!   stored in the same transaction ([`crate::idempotency`]), so the retry
//!   either replays the saved answer or does the work for the first time.
//! - **Bounded waits.** Waiting for a pool slot and for a connection are both
//!   bounded by [`CHECKOUT_TIMEOUT`]; past it the answer is 503 with
//!   `Retry-After`, never a hung request or a 500.

mod migrate;
pub mod schema;

pub use migrate::{run_migrations, run_migrations_sealing};

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{
    ConnectionManager, CustomizeConnection, HandleError, ManageConnection, Pool, PooledConnection,
    R2D2Connection,
};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use tokio::sync::Semaphore;

use crate::error::{is_connection_lost, ApiError};

pub type PgPool = Pool<Manager>;

/// How long a request waits for a pool slot and then for a connection
/// before it is answered 503.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// The role the application's connections assume (created by migrations).
pub const APP_ROLE: &str = "careledger_app";

/// Arbitrary but fixed: serialises migrations when several api processes start at once.
pub(crate) const MIGRATION_LOCK_KEY: i64 = 0x4361_7265_4c65_6467;

#[derive(Clone)]
pub struct Database {
    pool: PgPool,
    gate: Arc<Semaphore>,
    generation: Arc<AtomicU64>,
}

/// A pooled connection and the pool generation it was opened in.
pub struct GenerationConnection {
    conn: PgConnection,
    generation: u64,
}

impl Deref for GenerationConnection {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for GenerationConnection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

/// diesel's connection manager plus generations (see the module doc): a
/// connection opened before the latest connection loss is not valid.
#[derive(Debug)]
pub struct Manager {
    inner: ConnectionManager<PgConnection>,
    generation: Arc<AtomicU64>,
}

impl ManageConnection for Manager {
    type Connection = GenerationConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<GenerationConnection, Self::Error> {
        // Read before connecting: a loss noticed meanwhile makes this
        // connection stale (one needless reconnect), never the reverse.
        let generation = self.generation.load(Ordering::Acquire);
        let conn = self.inner.connect()?;
        Ok(GenerationConnection { conn, generation })
    }

    fn is_valid(&self, conn: &mut GenerationConnection) -> Result<(), Self::Error> {
        if conn.generation == self.generation.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(diesel::r2d2::Error::ConnectionError(
                diesel::ConnectionError::BadConnection(
                    "opened before the database connection was lost; replaced".to_owned(),
                ),
            ))
        }
    }

    fn has_broken(&self, conn: &mut GenerationConnection) -> bool {
        std::thread::panicking() || conn.conn.is_broken()
    }
}

/// r2d2's own failures (connecting, discarding stale connections) go to the
/// log as warnings: they are expected while the database is down.
#[derive(Debug)]
struct LogPoolError;

impl HandleError<diesel::r2d2::Error> for LogPoolError {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(%error, "database pool");
    }
}

impl Database {
    /// Builds the pool without connecting, so the server can start (and report
    /// not-ready) while PostgreSQL is still coming up.
    pub fn new(url: &str, size: u32) -> Self {
        let generation = Arc::new(AtomicU64::new(0));
        let manager = Manager {
            inner: ConnectionManager::<PgConnection>::new(url),
            generation: generation.clone(),
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(CHECKOUT_TIMEOUT)
            // Only the generation check (no round trip), see the module doc.
            .test_on_check_out(true)
            .error_handler(Box::new(LogPoolError))
            .connection_customizer(Box::new(AppRole))
            .build_unchecked(manager);
        Self {
            pool,
            gate: Arc::new(Semaphore::new(size as usize)),
            generation,
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
        let generation = self.generation.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get_timeout(timeout).ok()?;
            let answered = diesel::sql_query("SELECT 1").execute(&mut **conn);
            let failed = answered.as_ref().is_err_and(is_connection_lost);
            note_if_lost(&mut conn, &generation, failed);
            answered.ok()
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
    ///
    /// `BEGIN` is sent before `f` runs; when it fails because the pooled
    /// connection was dead, it is sent again once on a fresh connection. A
    /// connection lost during `f` answers 503 `unavailable` (nothing was
    /// committed); one lost during COMMIT answers 503
    /// `commit_outcome_unknown`.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.in_transaction(move |conn| {
            let result = f(conn);
            finish_transaction(conn, result)
        })
        .await
    }

    /// Runs `f` on one connection without BEGIN/COMMIT: every statement
    /// commits on its own. Only for work that writes at most one statement
    /// — reads (the per-request session check, proofs) — where an explicit
    /// transaction adds two round trips and no atomicity: under READ
    /// COMMITTED each statement takes its own snapshot either way.
    ///
    /// `f` must be safe to run twice: when its connection turns out to have
    /// died with the database, it runs once more on a fresh connection.
    pub async fn autocommit<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let generation = self.generation.clone();
        self.blocking(move |pool| {
            let mut conn = checkout(pool)?;
            let first = f(&mut conn);
            if !note_if_lost(&mut conn, &generation, lost(&first)) {
                return first;
            }
            drop(conn);
            let mut conn = checkout(pool)?;
            let second = f(&mut conn);
            note_if_lost(&mut conn, &generation, lost(&second));
            second
        })
        .await
    }

    /// Runs `f` with a pooled connection on the blocking pool (checkout gated
    /// by the semaphore, the caller's span kept). The building block of
    /// `access`'s audited actions and listings, which choose transaction or
    /// autocommit themselves. A connection found lost afterwards starts a
    /// new generation.
    pub(crate) async fn with_connection<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let generation = self.generation.clone();
        self.blocking(move |pool| {
            let mut conn = checkout(pool)?;
            let result = f(&mut conn);
            note_if_lost(&mut conn, &generation, lost(&result));
            result
        })
        .await
    }

    /// Runs `f` on a connection whose transaction is already begun; `f` must
    /// end it with [`finish_transaction`] (the building block of
    /// [`Self::run`] for callers that do more after the transaction, on the
    /// same connection). A `BEGIN` that fails because the pooled connection
    /// was dead is sent again once on a fresh connection: nothing was done.
    pub(crate) async fn in_transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let generation = self.generation.clone();
        self.blocking(move |pool| {
            let mut conn = checkout(pool)?;
            if let Err(e) = AnsiTransactionManager::begin_transaction(&mut **conn) {
                if !note_if_lost(&mut conn, &generation, is_connection_lost(&e)) {
                    return Err(e.into());
                }
                drop(conn);
                conn = checkout(pool)?;
                if let Err(e) = AnsiTransactionManager::begin_transaction(&mut **conn) {
                    note_if_lost(&mut conn, &generation, is_connection_lost(&e));
                    return Err(e.into());
                }
            }
            let result = f(&mut conn);
            note_if_lost(&mut conn, &generation, lost(&result));
            result
        })
        .await
    }

    /// Takes a pool slot (bounded by [`CHECKOUT_TIMEOUT`]) and runs `f` on the
    /// blocking pool inside the caller's span.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Checkout) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let started = Instant::now();
        let _permit = match tokio::time::timeout(CHECKOUT_TIMEOUT, self.gate.acquire()).await {
            Ok(permit) => permit.map_err(|e| ApiError::internal("database gate closed", e))?,
            Err(_) => {
                tracing::warn!("no database connection free in time");
                return Err(ApiError::Unavailable);
            }
        };
        let checkout = Checkout {
            pool: self.pool.clone(),
            deadline: started + CHECKOUT_TIMEOUT,
        };
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            f(&checkout)
        })
        .await
        .map_err(|e| ApiError::internal("blocking task failed", e))?
    }
}

/// The pool and the time left to take connections from it.
struct Checkout {
    pool: PgPool,
    deadline: Instant,
}

/// A pooled connection, validated by generation; a checkout that times out
/// (the database is down, or every connection is busy) is a 503.
fn checkout(from: &Checkout) -> Result<PooledConnection<Manager>, ApiError> {
    // Even past the deadline, an idle connection may be taken at once.
    let left = from
        .deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(50));
    from.pool.get_timeout(left).map_err(|e| {
        tracing::warn!(error = %e, "database connection unavailable");
        ApiError::Unavailable
    })
}

/// Whether a result says the connection was lost (inside the work, only a
/// lost connection answers these).
fn lost<T>(result: &Result<T, ApiError>) -> bool {
    matches!(
        result,
        Err(ApiError::Unavailable | ApiError::CommitOutcomeUnknown)
    )
}

/// Whether `conn` was lost (`failed`: its last statement said so; or diesel
/// marked it broken); if so, marks it broken (r2d2 drops it when it
/// returns) and starts a new generation, so the connections opened before
/// the loss are replaced rather than handed out.
fn note_if_lost(
    conn: &mut PooledConnection<Manager>,
    generation: &AtomicU64,
    failed: bool,
) -> bool {
    let lost = failed || conn.conn.is_broken();
    if lost {
        AnsiTransactionManager::transaction_manager_status_mut(&mut conn.conn).set_in_error();
        // Only the connection's own generation moves on: ten requests that
        // notice the same loss start one new generation, not ten.
        let _ = generation.compare_exchange(
            conn.generation,
            conn.generation + 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
    lost
}

/// Ends a transaction begun by [`Database::in_transaction`] or
/// [`run_in_transaction`]: commits on `Ok`, rolls back on `Err`. A connection
/// lost while COMMIT was in flight is [`ApiError::CommitOutcomeUnknown`]: the
/// change may be durable.
pub fn finish_transaction<T>(
    conn: &mut PgConnection,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    end_transaction(conn, result)?
}

/// [`finish_transaction`] for a body with its own error type: `Err` from
/// the outer result is about the COMMIT, the inner result is the body's.
pub fn end_transaction<T, E>(
    conn: &mut PgConnection,
    result: Result<T, E>,
) -> Result<Result<T, E>, ApiError> {
    match result {
        Ok(value) => match AnsiTransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(Ok(value)),
            // Diesel marks the connection broken when libpq no longer knows
            // the transaction's state, whatever the error's kind.
            Err(e) if is_connection_lost(&e) || conn.is_broken() => {
                tracing::warn!(error = %e, "connection lost during COMMIT; outcome unknown");
                Err(ApiError::CommitOutcomeUnknown)
            }
            Err(e) => Err(e.into()),
        },
        Err(error) => {
            // A failed rollback (the connection is gone) leaves the
            // connection marked broken; the transaction ends with it.
            if let Err(e) = AnsiTransactionManager::rollback_transaction(conn) {
                tracing::debug!(error = %e, "rollback failed");
            }
            Ok(Err(error))
        }
    }
}

/// The transaction wrapper behind [`Database::run`], usable on a bare
/// connection (CLI, sequencer, tests): `Ok` commits, `Err` rolls back.
pub fn run_in_transaction<T, F>(conn: &mut PgConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError>,
{
    AnsiTransactionManager::begin_transaction(conn)?;
    let result = f(conn);
    finish_transaction(conn, result)
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

impl CustomizeConnection<GenerationConnection, diesel::r2d2::Error> for AppRole {
    fn on_acquire(&self, conn: &mut GenerationConnection) -> Result<(), diesel::r2d2::Error> {
        assume_app_role(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}
