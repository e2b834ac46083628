//! Re-sealing the one-column sealed texts (`crypto::text`) under the newest
//! key: record titles and amendment reasons, access-request purposes and
//! emergency reasons. Same discipline as the other passes of
//! [`super::rotate`]: batches in key order, one short transaction each, rows
//! locked with `SKIP LOCKED`; a value that fails to open is left as it is and
//! counted. A value's key id is read from its bytes ([`KEY_ID_SQL`]).

use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Bytea, Integer, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};
use uuid::Uuid;

use crate::crypto::text::KEY_ID_SQL;
use crate::crypto::{Aad, Sealer};
use crate::db::run_in_transaction;
use crate::error::ApiError;

/// One sealed text with what its AAD needs; `version` is 0 where the table
/// has none.
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Integer)]
    version: i32,
    #[diesel(sql_type = SqlUuid)]
    patient_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    party: Uuid,
    #[diesel(sql_type = Bytea)]
    stored: Vec<u8>,
}

/// Where one kind of sealed text lives.
struct Column {
    what: &'static str,
    /// `FROM` clause; the row alias is `t`.
    from: &'static str,
    /// The sealed column, qualified.
    column: &'static str,
    /// `id, version, patient_id, party` expressions.
    keys: &'static str,
    aad: fn(&Row) -> Aad,
    store: fn(&mut PgConnection, &Row, Vec<u8>) -> QueryResult<usize>,
}

const COLUMNS: [Column; 4] = [
    Column {
        what: "record title",
        from: "record_versions t JOIN records r ON r.id = t.record_id",
        column: "t.title_sealed",
        keys: "t.record_id AS id, t.version AS version, r.patient_id AS patient_id, r.patient_id AS party",
        aad: |r| Aad::RecordTitle {
            record_id: r.id,
            version: r.version,
            patient_id: r.patient_id,
        },
        store: |c, r, v| {
            diesel::sql_query("UPDATE record_versions SET title_sealed = $1 WHERE record_id = $2 AND version = $3")
                .bind::<Bytea, _>(v)
                .bind::<SqlUuid, _>(r.id)
                .bind::<Integer, _>(r.version)
                .execute(c)
        },
    },
    Column {
        what: "amendment reason",
        from: "record_versions t JOIN records r ON r.id = t.record_id",
        column: "t.reason_sealed",
        keys: "t.record_id AS id, t.version AS version, r.patient_id AS patient_id, r.patient_id AS party",
        aad: |r| Aad::AmendReason {
            record_id: r.id,
            version: r.version,
            patient_id: r.patient_id,
        },
        store: |c, r, v| {
            diesel::sql_query("UPDATE record_versions SET reason_sealed = $1 WHERE record_id = $2 AND version = $3")
                .bind::<Bytea, _>(v)
                .bind::<SqlUuid, _>(r.id)
                .bind::<Integer, _>(r.version)
                .execute(c)
        },
    },
    Column {
        what: "access request purpose",
        from: "access_requests t",
        column: "t.purpose_sealed",
        keys: "t.id AS id, 0 AS version, t.patient_id AS patient_id, t.requester_id AS party",
        aad: |r| Aad::RequestPurpose {
            request_id: r.id,
            patient_id: r.patient_id,
            requester_id: r.party,
        },
        store: |c, r, v| {
            diesel::sql_query("UPDATE access_requests SET purpose_sealed = $1 WHERE id = $2")
                .bind::<Bytea, _>(v)
                .bind::<SqlUuid, _>(r.id)
                .execute(c)
        },
    },
    Column {
        what: "emergency reason",
        from: "emergency_accesses t",
        column: "t.reason_sealed",
        keys: "t.id AS id, 0 AS version, t.patient_id AS patient_id, t.doctor_id AS party",
        aad: |r| Aad::EmergencyReason {
            access_id: r.id,
            patient_id: r.patient_id,
            doctor_id: r.party,
        },
        store: |c, r, v| {
            diesel::sql_query("UPDATE emergency_accesses SET reason_sealed = $1 WHERE id = $2")
                .bind::<Bytea, _>(v)
                .bind::<SqlUuid, _>(r.id)
                .execute(c)
        },
    },
];

fn stale(column: &str) -> String {
    format!("{} <> int4send($1)", KEY_ID_SQL.replace("{col}", column))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Sealed texts not under `key_id`.
pub fn pending(conn: &mut PgConnection, key_id: i32) -> Result<i64, ApiError> {
    let mut total = 0;
    for c in &COLUMNS {
        let sql = format!(
            "SELECT count(*) AS n FROM {} WHERE {}",
            c.from,
            stale(c.column)
        );
        total += diesel::sql_query(sql)
            .bind::<Integer, _>(key_id)
            .get_result::<Count>(conn)?
            .n;
    }
    Ok(total)
}

/// Re-seals every sealed text under the sealer's newest key; `(resealed,
/// failed)`, with `progress(resealed + failed)` after each batch.
pub fn reseal(
    conn: &mut PgConnection,
    sealer: &Sealer,
    batch: i64,
    progress: &mut dyn FnMut(u64),
) -> Result<(u64, u64), ApiError> {
    let key_id = sealer.current_key_id()?;
    let (mut resealed, mut failed) = (0u64, 0u64);
    for c in &COLUMNS {
        let sql = format!(
            "SELECT {keys}, {col} AS stored FROM {from} WHERE {stale} \
             AND (t.{id}, {version}) > ($2, $3) ORDER BY 1, 2 LIMIT $4 FOR UPDATE OF t SKIP LOCKED",
            keys = c.keys,
            col = c.column,
            from = c.from,
            stale = stale(c.column),
            id = if c.from.starts_with("record_versions") {
                "record_id"
            } else {
                "id"
            },
            version = if c.from.starts_with("record_versions") {
                "t.version"
            } else {
                "0"
            },
        );
        let mut after = (Uuid::nil(), -1);
        loop {
            let last = after;
            let (done, bad, next) = run_in_transaction(conn, |tx| {
                let rows: Vec<Row> = diesel::sql_query(&sql)
                    .bind::<Integer, _>(key_id)
                    .bind::<SqlUuid, _>(last.0)
                    .bind::<Integer, _>(last.1)
                    .bind::<BigInt, _>(batch)
                    .load(tx)?;
                let (mut done, mut bad, mut next) = (0u64, 0u64, None);
                for r in &rows {
                    next = Some((r.id, r.version));
                    let aad = (c.aad)(r);
                    let Ok(text) = sealer.open_text(&r.stored, &aad) else {
                        tracing::warn!(id = %r.id, what = c.what, "sealed text failed to open; left as it is");
                        bad += 1;
                        continue;
                    };
                    (c.store)(tx, r, sealer.seal_text(&aad, &text)?)?;
                    done += 1;
                }
                Ok((done, bad, next))
            })?;
            resealed += done;
            failed += bad;
            progress(resealed + failed);
            match next {
                Some(n) => after = n,
                None => break,
            }
        }
    }
    Ok((resealed, failed))
}
