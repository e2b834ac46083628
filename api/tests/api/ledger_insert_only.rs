//! The ledger tables are insert-only: the application's role has no UPDATE,
//! DELETE or TRUNCATE privilege, and triggers refuse those statements even
//! to a superuser (who must disable triggers to tamper — see ledger_tamper).
#![allow(clippy::unwrap_used)]

use diesel::prelude::*;

use crate::ledger_helpers::*;

const TABLES: [&str; 4] = [
    "ledger_entries",
    "ledger_events",
    "ledger_nodes",
    "ledger_checkpoints",
];

fn try_sql(conn: &mut PgConnection, sql: &str) -> Result<usize, String> {
    diesel::sql_query(sql)
        .execute(conn)
        .map_err(|e| e.to_string())
}

/// Runs `sql` in a rolled-back transaction (as `role`, when given).
fn attempt(conn: &mut PgConnection, role: Option<&str>, sql: &str) -> Result<usize, String> {
    let mut out = None;
    let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
        if let Some(role) = role {
            diesel::sql_query(format!("SET LOCAL ROLE {role}")).execute(c)?;
        }
        out = Some(try_sql(c, sql));
        Err(diesel::result::Error::RollbackTransaction)
    });
    out.unwrap()
}

fn changes(table: &str) -> [String; 3] {
    let set = match table {
        "ledger_entries" => "action = 'export'",
        "ledger_events" => "leaf_hash = prev_hash",
        "ledger_nodes" => "hash = sha256(hash)",
        _ => "note = note || ' '",
    };
    [
        format!("UPDATE {table} SET {set}"),
        format!("DELETE FROM {table}"),
        format!("TRUNCATE {table} CASCADE"),
    ]
}

#[actix_rt::test]
async fn the_app_role_can_only_insert_and_triggers_refuse_everyone_else() {
    let app = spawn_fast().await;
    let mut conn = app.conn();
    for n in 0..5 {
        write_event(&mut conn, &event(n));
    }
    wait_integrated(&app, std::time::Duration::from_secs(10)).await;
    api::ledger::signer::sign_current(&mut conn, &signer(&app)).unwrap();

    // The application role: reading and appending work ...
    let insert =
        "INSERT INTO ledger_entries (time, action, outcome) VALUES (now(), 'login', 'allowed')";
    assert_eq!(attempt(&mut conn, Some("careledger_app"), insert), Ok(1));
    for table in TABLES {
        let read = format!("SELECT 1 FROM {table} LIMIT 1");
        assert!(
            attempt(&mut conn, Some("careledger_app"), &read).is_ok(),
            "{table}"
        );
        // ... changing anything does not.
        for sql in changes(table) {
            let err = attempt(&mut conn, Some("careledger_app"), &sql).unwrap_err();
            assert!(err.contains("permission denied"), "{sql}: {err}");
        }
    }

    // Even the table owner (a superuser here) is refused by the triggers.
    for table in TABLES {
        for sql in changes(table) {
            let err = attempt(&mut conn, None, &sql).unwrap_err();
            assert!(err.contains("insert-only"), "{sql}: {err}");
        }
    }
    assert!(verify_on(&mut conn, &verifier_key(&app)).valid);
    assert_eq!(count(&mut conn, "ledger_events"), 5);
}
