//! The ledger tables are insert-only. The running app's own pool connects as
//! the application role, which may SELECT and INSERT on the ledger tables
//! and nothing more; triggers also refuse changes to the owner (a superuser
//! here), who must disable them to tamper — see ledger_tamper.
#![allow(clippy::unwrap_used)]

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::ledger_helpers::*;

const TABLES: [&str; 4] = [
    "ledger_entries",
    "ledger_events",
    "ledger_nodes",
    "ledger_checkpoints",
];

/// Runs `sql` in a savepoint that is always rolled back.
fn attempt(conn: &mut PgConnection, sql: &str) -> Result<usize, String> {
    let mut out = None;
    let _ = conn.transaction::<(), diesel::result::Error, _>(|c| {
        out = Some(diesel::sql_query(sql).execute(c).map_err(|e| e.to_string()));
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

#[derive(QueryableByName)]
struct Who {
    #[diesel(sql_type = Text)]
    role: String,
}

#[derive(QueryableByName)]
struct Privilege {
    #[diesel(sql_type = Text)]
    privilege: String,
}

#[derive(QueryableByName)]
struct Has {
    #[diesel(sql_type = Bool)]
    has: bool,
}

/// What the app's role holds on `table`, from the catalog (sorted).
fn privileges(conn: &mut PgConnection, table: &str) -> Vec<String> {
    diesel::sql_query(
        "SELECT a.privilege_type AS privilege \
           FROM pg_class c, aclexplode(c.relacl) a \
          WHERE c.oid = $1::regclass AND a.grantee = 'careledger_app'::regrole \
          ORDER BY 1",
    )
    .bind::<Text, _>(table)
    .load::<Privilege>(conn)
    .unwrap()
    .into_iter()
    .map(|p| p.privilege)
    .collect()
}

#[actix_rt::test]
async fn the_apps_own_connections_can_only_read_and_insert_ledger_rows() {
    let app = spawn_fast().await;
    // Events appended through the app's pool, exactly as handlers do; the
    // sequencer (also running as the application role) integrates them and
    // signs a checkpoint.
    for n in 0..5 {
        app.db
            .run(move |c| api::ledger::record(c, &event(n)))
            .await
            .unwrap();
    }
    wait_integrated(&app, std::time::Duration::from_secs(10)).await;
    let mut owner = app.conn();
    api::ledger::signer::sign_current(&mut owner, &signer(&app)).unwrap();
    assert!(count(&mut owner, "ledger_checkpoints") >= 1);

    // Everything below runs on a connection from the running app's pool.
    let outcomes = app
        .db
        .run(|c| {
            let role = diesel::sql_query("SELECT current_user::text AS role")
                .get_result::<Who>(c)?
                .role;
            let insert = "INSERT INTO ledger_entries (time, action, outcome) \
                          VALUES (now(), 'login', 'allowed')";
            let mut out = vec![(insert.to_owned(), attempt(c, insert))];
            for table in TABLES {
                let read = format!("SELECT 1 FROM {table} LIMIT 1");
                out.push((read.clone(), attempt(c, &read)));
                for sql in changes(table) {
                    out.push((sql.clone(), attempt(c, &sql)));
                }
            }
            Ok((role, out))
        })
        .await
        .unwrap();
    let (role, outcomes) = outcomes;
    assert_eq!(role, "careledger_app", "the app's pool runs as its role");
    let (insert, inserted) = &outcomes[0];
    assert_eq!(inserted, &Ok(1), "{insert}");
    for (sql, outcome) in &outcomes[1..] {
        if sql.starts_with("SELECT") {
            assert!(outcome.is_ok(), "{sql}: {outcome:?}");
        } else {
            let err = outcome.as_ref().unwrap_err();
            assert!(err.contains("permission denied"), "{sql}: {err}");
        }
    }
    assert_eq!(outcomes.len(), 1 + TABLES.len() * 4);

    // The catalog agrees: SELECT and INSERT, nothing else, on every ledger
    // table; ordinary tables can be changed.
    for table in TABLES {
        assert_eq!(
            privileges(&mut owner, table),
            ["INSERT", "SELECT"],
            "{table}"
        );
    }
    for (table, wanted) in [
        ("users", "UPDATE"),
        ("consents", "UPDATE"),
        ("user_totp", "DELETE"),
    ] {
        let has = diesel::sql_query(format!(
            "SELECT has_table_privilege('careledger_app', '{table}', '{wanted}') AS has"
        ))
        .get_result::<Has>(&mut owner)
        .unwrap()
        .has;
        assert!(has, "{table}: {wanted}");
    }

    // Even the table owner (a superuser here) is refused by the triggers.
    for table in TABLES {
        for sql in changes(table) {
            let err = attempt(&mut owner, &sql).unwrap_err();
            assert!(err.contains("insert-only"), "{sql}: {err}");
        }
    }
    assert!(verify_on(&mut owner, &verifier_key(&app)).valid);
    assert_eq!(count(&mut owner, "ledger_events"), 5);
}
