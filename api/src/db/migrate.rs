//! Applying the embedded migrations, with the one step SQL cannot do:
//! sealing clinical free text that older versions stored in clear (record
//! titles, amendment reasons, access-request purposes, emergency reasons).
//!
//! Migrations run one at a time under an advisory lock. Just before
//! [`DROP_CLEAR`] — the migration that drops the clear columns and refuses
//! to run while any clear value remains — [`seal_clear_texts`] seals every
//! clear value into the column `2026-12-02-000910_sealed_texts` added, in
//! batches of [`BATCH`] rows, one transaction each. An interrupted run is
//! simply run again: only rows still in clear are picked. Without the key
//! ring (`run_migrations`, the test template) a database holding clear text
//! stops there with an error naming the fix; an empty one migrates.

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::sql_types::{Bytea, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use uuid::Uuid;

use super::{run_in_transaction, MIGRATIONS, MIGRATION_LOCK_KEY};
use crate::crypto::{Aad, Sealer};
use crate::error::ApiError;

/// The migration that drops the clear text columns.
pub const DROP_CLEAR: &str = "2026-12-02-000920_drop_clear_texts";
/// Rows sealed per transaction.
pub const BATCH: i64 = 500;

/// Applies pending migrations (no key ring: a database with clear text to
/// seal stops before [`DROP_CLEAR`] with an error).
pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    run_migrations_sealing(conn, None)
}

/// Applies pending migrations, sealing clear text with `sealer` on the way.
pub fn run_migrations_sealing(
    conn: &mut PgConnection,
    sealer: Option<&Sealer>,
) -> anyhow::Result<()> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .context("taking the migration lock")?;
    let result = apply(conn, sealer);
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .context("releasing the migration lock")?;
    result
}

fn apply(conn: &mut PgConnection, sealer: Option<&Sealer>) -> anyhow::Result<()> {
    loop {
        let pending = conn
            .pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("listing pending migrations: {e}"))?;
        let Some(next) = pending.first() else {
            return Ok(());
        };
        if next.name().to_string() == DROP_CLEAR {
            let sealed = seal_clear_texts(conn, sealer)?;
            if sealed > 0 {
                tracing::info!(sealed, "clinical free text sealed at rest");
            }
        }
        conn.run_migration(next)
            .map_err(|e| anyhow::anyhow!("running migration {}: {e}", next.name()))?;
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct VersionText {
    #[diesel(sql_type = SqlUuid)]
    record_id: Uuid,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = SqlUuid)]
    patient_id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
}

/// A row of `access_requests` or `emergency_accesses` with its clear text.
#[derive(QueryableByName)]
struct RowText {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    patient_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    party: Uuid,
    #[diesel(sql_type = Text)]
    text: String,
}

const CLEAR_COUNT: &str = "SELECT (SELECT count(*) FROM record_versions \
     WHERE title IS NOT NULL OR reason IS NOT NULL) \
     + (SELECT count(*) FROM access_requests WHERE purpose IS NOT NULL) \
     + (SELECT count(*) FROM emergency_accesses WHERE reason IS NOT NULL) AS n";

/// Seals every clear text left (see the module doc); returns how many rows.
pub fn seal_clear_texts(conn: &mut PgConnection, sealer: Option<&Sealer>) -> anyhow::Result<u64> {
    let clear = diesel::sql_query(CLEAR_COUNT)
        .get_result::<Count>(conn)
        .context("counting clear text")?
        .n;
    if clear == 0 {
        return Ok(0);
    }
    let Some(sealer) = sealer else {
        anyhow::bail!(
            "{clear} rows hold clinical text in clear; run `careledger migrate` (or start the \
             server) with the seal key ring configured to seal them"
        );
    };
    let mut total = 0u64;
    for pass in [seal_versions, seal_purposes, seal_reasons] {
        loop {
            let n = run_in_transaction(conn, |c| pass(c, sealer))
                .map_err(|e| anyhow::anyhow!("sealing clear text: {e}"))?;
            total += n;
            if n == 0 {
                break;
            }
        }
    }
    Ok(total)
}

fn seal_versions(conn: &mut PgConnection, sealer: &Sealer) -> Result<u64, ApiError> {
    let rows: Vec<VersionText> = diesel::sql_query(
        "SELECT v.record_id, v.version, r.patient_id, v.title, v.reason \
         FROM record_versions v JOIN records r ON r.id = v.record_id \
         WHERE v.title IS NOT NULL OR v.reason IS NOT NULL \
         ORDER BY v.record_id, v.version LIMIT $1 FOR UPDATE OF v",
    )
    .bind::<diesel::sql_types::BigInt, _>(BATCH)
    .load(conn)?;
    for r in &rows {
        let title = match &r.title {
            Some(t) => Some(sealer.seal_text(
                &Aad::RecordTitle {
                    record_id: r.record_id,
                    version: r.version,
                    patient_id: r.patient_id,
                },
                t,
            )?),
            None => None,
        };
        let reason = match &r.reason {
            Some(t) => Some(sealer.seal_text(
                &Aad::AmendReason {
                    record_id: r.record_id,
                    version: r.version,
                    patient_id: r.patient_id,
                },
                t,
            )?),
            None => None,
        };
        diesel::sql_query(
            "UPDATE record_versions SET title_sealed = coalesce($1, title_sealed), \
             reason_sealed = coalesce($2, reason_sealed), title = NULL, reason = NULL \
             WHERE record_id = $3 AND version = $4",
        )
        .bind::<Nullable<Bytea>, _>(title)
        .bind::<Nullable<Bytea>, _>(reason)
        .bind::<SqlUuid, _>(r.record_id)
        .bind::<Integer, _>(r.version)
        .execute(conn)?;
    }
    Ok(rows.len() as u64)
}

fn seal_purposes(conn: &mut PgConnection, sealer: &Sealer) -> Result<u64, ApiError> {
    let rows: Vec<RowText> = diesel::sql_query(
        "SELECT id, patient_id, requester_id AS party, purpose AS text FROM access_requests \
         WHERE purpose IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE",
    )
    .bind::<diesel::sql_types::BigInt, _>(BATCH)
    .load(conn)?;
    for r in &rows {
        let aad = Aad::RequestPurpose {
            request_id: r.id,
            patient_id: r.patient_id,
            requester_id: r.party,
        };
        diesel::sql_query(
            "UPDATE access_requests SET purpose_sealed = $1, purpose = NULL WHERE id = $2",
        )
        .bind::<Bytea, _>(sealer.seal_text(&aad, &r.text)?)
        .bind::<SqlUuid, _>(r.id)
        .execute(conn)?;
    }
    Ok(rows.len() as u64)
}

fn seal_reasons(conn: &mut PgConnection, sealer: &Sealer) -> Result<u64, ApiError> {
    let rows: Vec<RowText> = diesel::sql_query(
        "SELECT id, patient_id, doctor_id AS party, reason AS text FROM emergency_accesses \
         WHERE reason IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE",
    )
    .bind::<diesel::sql_types::BigInt, _>(BATCH)
    .load(conn)?;
    for r in &rows {
        let aad = Aad::EmergencyReason {
            access_id: r.id,
            patient_id: r.patient_id,
            doctor_id: r.party,
        };
        diesel::sql_query(
            "UPDATE emergency_accesses SET reason_sealed = $1, reason = NULL WHERE id = $2",
        )
        .bind::<Bytea, _>(sealer.seal_text(&aad, &r.text)?)
        .bind::<SqlUuid, _>(r.id)
        .execute(conn)?;
    }
    Ok(rows.len() as u64)
}
