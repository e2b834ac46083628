//! Tampering with the stored ledger as a database superuser who disables the
//! insert-only triggers (`session_replication_role = replica`): every kind of
//! edit at the first, a middle and the last event must be detected, at the
//! right sequence number. Each case runs in a transaction that is rolled
//! back, so all cases share one fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, SmallInt};
use shared::ledger::{CompactRange, SequencedEvent, VerifierKey};

use crate::ledger_helpers::*;

const N: u64 = 9;
const POSITIONS: [u64; 3] = [0, N / 2, N - 1];

#[derive(Debug, Clone, Copy)]
enum Tamper {
    ChangeAction,
    ChangeTime,
    ChangeLeafHash,
    ChangePrevHash,
    ChangeLeafNode,
    Delete,
    DeleteAndRenumber,
    Insert,
    SwapContents,
    SwapRows,
    TruncateTail,
    RecomputeChain,
    RecomputeChainAndTree,
}

const ALL: [Tamper; 13] = [
    Tamper::ChangeAction,
    Tamper::ChangeTime,
    Tamper::ChangeLeafHash,
    Tamper::ChangePrevHash,
    Tamper::ChangeLeafNode,
    Tamper::Delete,
    Tamper::DeleteAndRenumber,
    Tamper::Insert,
    Tamper::SwapContents,
    Tamper::SwapRows,
    Tamper::TruncateTail,
    Tamper::RecomputeChain,
    Tamper::RecomputeChainAndTree,
];

fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap();
}

fn entry_of(conn: &mut PgConnection, seq: u64) -> i64 {
    use api::db::schema::ledger_events::dsl as e;
    e::ledger_events
        .filter(e::seq.eq(seq as i64))
        .select(e::entry_id)
        .first(conn)
        .unwrap()
}

/// Moves events with `seq >= from` by `delta` without PK collisions.
fn shift(conn: &mut PgConnection, from: u64, delta: i64) {
    exec(
        conn,
        &format!("UPDATE ledger_events SET seq = seq + 1000000 WHERE seq >= {from}"),
    );
    exec(
        conn,
        &format!("UPDATE ledger_events SET seq = seq - 1000000 + ({delta}) WHERE seq >= 1000000"),
    );
}

fn all_events(conn: &mut PgConnection) -> Vec<(SequencedEvent, i64)> {
    let rows = diesel::sql_query(format!(
        "{} ORDER BY e.seq",
        api::ledger::store::event_select()
    ))
    .load::<api::ledger::store::EventRow>(conn)
    .unwrap();
    rows.into_iter()
        .map(|r| {
            let id = r.entry_id;
            (r.into_event().unwrap().0, id)
        })
        .collect()
}

/// Rewrites every event's `prev_hash`/`leaf_hash` from `from` on (and the
/// whole tree when `tree`) so the chain is self-consistent again.
fn recompute(conn: &mut PgConnection, tree: bool) {
    let events = all_events(conn);
    let mut prev = shared::ledger::GENESIS_PREV_HASH;
    let mut range = CompactRange::new();
    for (mut ev, _) in events {
        ev.prev_hash = prev;
        let leaf = ev.leaf_hash();
        diesel::sql_query("UPDATE ledger_events SET prev_hash = $1, leaf_hash = $2 WHERE seq = $3")
            .bind::<Bytea, _>(prev.to_vec())
            .bind::<Bytea, _>(leaf.to_vec())
            .bind::<BigInt, _>(ev.seq as i64)
            .execute(conn)
            .unwrap();
        for (id, h) in range.append(leaf) {
            if tree {
                diesel::sql_query(
                    "UPDATE ledger_nodes SET hash = $1 WHERE level = $2 AND idx = $3",
                )
                .bind::<Bytea, _>(h.to_vec())
                .bind::<SmallInt, _>(i16::from(id.level))
                .bind::<BigInt, _>(id.index as i64)
                .execute(conn)
                .unwrap();
            }
        }
        prev = leaf;
    }
}

/// Applies `t` at `k`; returns the seq the verifier must name.
fn apply(conn: &mut PgConnection, t: Tamper, k: u64) -> u64 {
    let bogus = "sha256('tampered'::bytea)";
    match t {
        Tamper::ChangeAction => {
            let id = entry_of(conn, k);
            exec(conn, &format!("UPDATE ledger_entries SET action = CASE WHEN action = 'export' THEN 'login' ELSE 'export' END WHERE id = {id}"));
            k
        }
        Tamper::ChangeTime => {
            let id = entry_of(conn, k);
            exec(conn, &format!("UPDATE ledger_entries SET time = time - interval '1 microsecond' WHERE id = {id}"));
            k
        }
        Tamper::ChangeLeafHash => {
            exec(
                conn,
                &format!("UPDATE ledger_events SET leaf_hash = {bogus} WHERE seq = {k}"),
            );
            k
        }
        Tamper::ChangePrevHash => {
            exec(
                conn,
                &format!("UPDATE ledger_events SET prev_hash = {bogus} WHERE seq = {k}"),
            );
            k
        }
        Tamper::ChangeLeafNode => {
            exec(
                conn,
                &format!("UPDATE ledger_nodes SET hash = {bogus} WHERE level = 0 AND idx = {k}"),
            );
            k
        }
        Tamper::Delete => {
            let id = entry_of(conn, k);
            exec(conn, &format!("DELETE FROM ledger_events WHERE seq = {k}"));
            exec(conn, &format!("DELETE FROM ledger_entries WHERE id = {id}"));
            k
        }
        Tamper::DeleteAndRenumber => {
            exec(conn, &format!("DELETE FROM ledger_events WHERE seq = {k}"));
            shift(conn, k + 1, -1);
            k
        }
        Tamper::Insert => {
            // A well-formed forged event at k, later events moved up.
            let events = all_events(conn);
            shift(conn, k, 1);
            write_event(conn, &event(1000));
            let forged_entry: i64 = api::db::schema::ledger_entries::table
                .select(api::db::schema::ledger_entries::id)
                .order(api::db::schema::ledger_entries::id.desc())
                .first(conn)
                .unwrap();
            let mut forged = events[k as usize].0.clone();
            forged.body.action = shared::ledger::Action::Export;
            let leaf = forged.leaf_hash();
            diesel::sql_query("INSERT INTO ledger_events (seq, entry_id, prev_hash, leaf_hash) VALUES ($1, $2, $3, $4)")
                .bind::<BigInt, _>(k as i64)
                .bind::<BigInt, _>(forged_entry)
                .bind::<Bytea, _>(forged.prev_hash.to_vec())
                .bind::<Bytea, _>(leaf.to_vec())
                .execute(conn)
                .unwrap();
            // Make the stored entry say what the forged event says.
            exec(conn, &format!("UPDATE ledger_entries f SET (time, actor_id, actor_role, action, outcome, patient_id, record_id, subject_user_id, basis_kind, basis_id, request_id, source_addr, content_digest, prior_digest) = (SELECT time, actor_id, actor_role, 'export', outcome, patient_id, record_id, subject_user_id, basis_kind, basis_id, request_id, source_addr, content_digest, prior_digest FROM ledger_entries o WHERE o.id = {}) WHERE f.id = {forged_entry}", events[k as usize].1));
            k
        }
        Tamper::SwapContents => {
            let (a, b) = if k + 1 < N { (k, k + 1) } else { (k - 1, k) };
            let (ea, eb) = (entry_of(conn, a), entry_of(conn, b));
            exec(
                conn,
                &format!("UPDATE ledger_events SET entry_id = -1 WHERE seq = {a}"),
            );
            exec(
                conn,
                &format!("UPDATE ledger_events SET entry_id = {ea} WHERE seq = {b}"),
            );
            exec(
                conn,
                &format!("UPDATE ledger_events SET entry_id = {eb} WHERE seq = {a}"),
            );
            a
        }
        Tamper::SwapRows => {
            let (a, b) = if k + 1 < N { (k, k + 1) } else { (k - 1, k) };
            exec(
                conn,
                &format!("UPDATE ledger_events SET seq = 1000000 WHERE seq = {a}"),
            );
            exec(
                conn,
                &format!("UPDATE ledger_events SET seq = {a} WHERE seq = {b}"),
            );
            exec(
                conn,
                &format!("UPDATE ledger_events SET seq = {b} WHERE seq = 1000000"),
            );
            a
        }
        Tamper::TruncateTail => {
            exec(conn, &format!("DELETE FROM ledger_events WHERE seq >= {k}"));
            exec(
                conn,
                &format!("DELETE FROM ledger_nodes WHERE ((idx + 1) << level::int) > {k}"),
            );
            k
        }
        Tamper::RecomputeChain | Tamper::RecomputeChainAndTree => {
            let id = entry_of(conn, k);
            exec(conn, &format!("UPDATE ledger_entries SET outcome = CASE WHEN outcome = 'denied' THEN 'allowed' ELSE 'denied' END WHERE id = {id}"));
            recompute(conn, matches!(t, Tamper::RecomputeChainAndTree));
            k
        }
    }
}

/// Runs `t` at `k` in a rolled-back transaction; returns (report, expected seq).
fn run_case(
    conn: &mut PgConnection,
    key: &VerifierKey,
    t: Tamper,
    k: u64,
) -> (shared::ledger::api::VerifyReport, u64) {
    let mut out = None;
    let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
        exec(c, "SET LOCAL session_replication_role = replica");
        let want = apply(c, t, k);
        out = Some((verify_on(c, key), want));
        Err(diesel::result::Error::RollbackTransaction)
    });
    out.unwrap()
}

async fn fixture(checkpoint_every: u64) -> (crate::helpers::TestApp, VerifierKey) {
    let app = spawn_without_sequencer().await;
    let signer = signer(&app);
    let mut conn = app.conn();
    for n in 0..N as usize {
        write_event(&mut conn, &event(n));
    }
    // One event per batch, so checkpoints can fall on every size.
    sequence_by_hand(&mut conn, &signer, 1, checkpoint_every);
    let key = signer.verifier_key().clone();
    (app, key)
}

#[actix_rt::test]
async fn every_tampering_is_caught_at_the_right_seq() {
    let (app, key) = fixture(1).await;
    let mut conn = app.conn();
    let clean = verify_on(&mut conn, &key);
    assert!(clean.valid, "{clean:?}");
    assert_eq!((clean.checked, clean.checkpoints_checked), (N, N));

    let mut failures = Vec::new();
    for t in ALL {
        for k in POSITIONS {
            let (report, want) = run_case(&mut conn, &key, t, k);
            if report.valid || report.first_invalid_seq != Some(want) {
                failures.push(format!("{t:?} at {k}: want seq {want}, got {report:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing leaked out of the rolled-back cases.
    assert!(verify_on(&mut conn, &key).valid);
}

#[actix_rt::test]
async fn a_consistent_rewrite_is_bounded_by_the_surrounding_checkpoints() {
    // Checkpoints at sizes 1, 5 and 9 only.
    let (app, key) = fixture(4).await;
    let mut conn = app.conn();
    assert!(verify_on(&mut conn, &key).valid);
    for k in 1..N {
        let (report, _) = run_case(&mut conn, &key, Tamper::RecomputeChainAndTree, k);
        assert!(!report.valid, "rewrite at {k} undetected");
        // Named at the last event of the first checkpoint that no longer
        // matches; the reason names the range the change lies in.
        let want = if k < 5 { 4 } else { 8 };
        assert_eq!(report.first_invalid_seq, Some(want), "rewrite at {k}");
        let good = if k < 5 { 1 } else { 5 };
        let reason = report.reason.unwrap_or_default();
        assert!(
            reason.contains(&format!("at or after seq {good} ")),
            "{reason}"
        );
    }
}

#[actix_rt::test]
async fn forged_or_edited_checkpoints_are_reported() {
    let (app, key) = fixture(1).await;
    let mut conn = app.conn();
    for sql in [
        // The signed body's first byte (its origin line), signature untouched.
        "UPDATE ledger_checkpoints SET note = 'X' || substr(note, 2) WHERE size = 5",
        "UPDATE ledger_checkpoints SET root = sha256('x'::bytea) WHERE size = 5",
    ] {
        let mut report = None;
        let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
            exec(c, "SET LOCAL session_replication_role = replica");
            exec(c, sql);
            report = Some(verify_on(c, &key));
            Err(diesel::result::Error::RollbackTransaction)
        });
        let report = report.unwrap();
        assert!(!report.valid, "{sql}: {report:?}");
        assert!(
            report.reason.unwrap_or_default().contains("checkpoint"),
            "{sql}"
        );
    }
}
