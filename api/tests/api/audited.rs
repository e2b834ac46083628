//! The audited action (`access::audited`) on real PostgreSQL: a refusal
//! commits exactly one denied event and nothing else; an error after the
//! permit leaves neither the allowed event nor the change; a success records
//! exactly one event; a list of N records makes N events in one INSERT; and
//! the events of one INSERT are sequenced in order like any others.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use api::access::audited::run_audited;
use api::access::{Action, Actor, Audit, Permit, Target};
use api::error::ApiError;
use api::request::RequestContext;
use api::users::{self, HashedAccount, NewAccount};
use diesel::prelude::*;
use reqwest::StatusCode;
use shared::ledger::Action as Ledger;
use shared::{Role, UserId};
use uuid::Uuid;

use crate::helpers::{body, TestApp};
use crate::ledger_helpers::{spawn_fast, wait_integrated};

/// `(action, outcome, request_id, record_id, basis_kind)` of every entry, in id order.
type Row = (String, String, Option<String>, Option<Uuid>, Option<String>);

fn entries(conn: &mut PgConnection) -> Vec<Row> {
    use api::db::schema::ledger_entries::dsl as e;
    e::ledger_entries
        .order(e::id)
        .select((
            e::action,
            e::outcome,
            e::request_id,
            e::record_id,
            e::basis_kind,
        ))
        .load(conn)
        .unwrap()
}

fn actor(app: &TestApp, username: &str, role: Role) -> Actor {
    Actor {
        id: UserId(app.user_id(username)),
        role,
    }
}

fn account_exists(conn: &mut PgConnection, username: &str) -> bool {
    use api::db::schema::users::dsl as u;
    u::users
        .filter(u::username.eq(username))
        .count()
        .get_result::<i64>(conn)
        .unwrap()
        > 0
}

fn new_account(username: &str) -> HashedAccount {
    NewAccount::parse(
        username,
        "a-long-enough-password-1",
        Role::Nurse,
        "Test Nurse",
    )
    .unwrap()
    .hash_now()
    .unwrap()
}

/// An admin creates the account `username` as an audited change; `end`
/// decides how the action ends, given the permit and the new account's id.
fn admin_creates<T>(
    conn: &mut PgConnection,
    admin: Actor,
    ctx: &RequestContext,
    username: &str,
    end: impl FnOnce(&mut Permit, Uuid) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let audit = Audit::change(ctx, admin, Action::Administer, Ledger::UserCreated);
    run_audited(
        conn,
        audit,
        |_| Ok(Some((Target::System, ()))),
        |c, permit, ()| {
            let row = users::insert(c, new_account(username))?;
            end(permit, row.id)
        },
    )
}

#[actix_rt::test]
async fn a_refusal_commits_exactly_one_denied_event_and_nothing_else() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let mut conn = app.conn();
    let p1 = app.patient_id("patient1");
    let record = app.record_of_kind(p1, "diagnosis");
    let jones = actor(&app, "dr_jones", Role::Doctor);
    let before = entries(&mut conn);

    let ctx = RequestContext::system("refusal");
    let audit = Audit::change(&ctx, jones, Action::AmendRecord, Ledger::RecordAmended);
    let mut ran = false;
    let result: Result<(), ApiError> = run_audited(
        &mut conn,
        audit,
        |c| {
            let row = api::clinical::records::find(c, record)?.unwrap();
            Ok(Some((Target::Record(row.as_ref()?), ())))
        },
        |c, _, ()| {
            ran = true;
            users::insert(c, new_account("never_made"))?;
            Ok(())
        },
    );
    assert!(matches!(result, Err(ApiError::NotFound(_))), "{result:?}");
    assert!(!ran, "a refused action never runs");
    assert!(!account_exists(&mut conn, "never_made"));
    let after = entries(&mut conn);
    assert_eq!(
        after[before.len()..],
        [(
            "record_amended".to_owned(),
            "denied".to_owned(),
            Some(ctx.request_id.clone()),
            Some(record),
            None,
        )]
    );

    // A target that does not exist is refused the same way, naming it.
    let missing = Uuid::new_v4();
    let ctx = RequestContext::system("missing");
    let audit =
        Audit::read(&ctx, jones, Action::ReadRecord, Ledger::RecordViewed).naming_record(missing);
    let result: Result<(), ApiError> = run_audited(
        &mut conn,
        audit,
        |_| Ok(None::<(Target, ())>),
        |_, _, ()| Ok(()),
    );
    assert!(matches!(result, Err(ApiError::NotFound(_))));
    let last = entries(&mut conn).pop().unwrap();
    assert_eq!(
        last,
        (
            "record_viewed".to_owned(),
            "denied".to_owned(),
            Some(ctx.request_id),
            Some(missing),
            None
        )
    );
}

#[actix_rt::test]
async fn an_error_after_the_permit_leaves_neither_the_event_nor_the_change() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let mut conn = app.conn();
    let admin = actor(&app, "admin", Role::Admin);
    let before = entries(&mut conn);

    let ctx = RequestContext::system("fails");
    let result: Result<(), ApiError> =
        admin_creates(&mut conn, admin, &ctx, "rolled_back", |permit, id| {
            permit.subject_user(UserId(id));
            Err(ApiError::validation("role", "changed my mind"))
        });
    assert!(matches!(result, Err(ApiError::Validation { .. })));
    assert!(!account_exists(&mut conn, "rolled_back"));
    assert_eq!(entries(&mut conn), before, "no event, allowed or denied");

    // Refused after the permit (sealed content that did not open): the
    // change rolls back, the denied event alone commits.
    let ctx = RequestContext::system("refused-late");
    let result: Result<(), ApiError> =
        admin_creates(&mut conn, admin, &ctx, "also_rolled_back", |permit, _| {
            Err(permit.refuse(ApiError::SealBroken))
        });
    assert!(matches!(result, Err(ApiError::SealBroken)));
    assert!(!account_exists(&mut conn, "also_rolled_back"));
    let after = entries(&mut conn);
    assert_eq!(
        after[before.len()..],
        [(
            "user_created".to_owned(),
            "denied".to_owned(),
            Some(ctx.request_id),
            None,
            Some("role".to_owned()),
        )]
    );
}

#[actix_rt::test]
async fn a_success_records_exactly_one_event_with_the_change() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let mut conn = app.conn();
    let admin = actor(&app, "admin", Role::Admin);
    let before = entries(&mut conn);

    let ctx = RequestContext::system("succeeds");
    let made = admin_creates(&mut conn, admin, &ctx, "made_once", |permit, id| {
        permit.subject_user(UserId(id));
        Ok(id)
    })
    .unwrap();
    assert!(account_exists(&mut conn, "made_once"));
    let after = entries(&mut conn);
    assert_eq!(
        after[before.len()..],
        [(
            "user_created".to_owned(),
            "allowed".to_owned(),
            Some(ctx.request_id),
            None,
            Some("role".to_owned()),
        )]
    );
    use api::db::schema::ledger_entries::dsl as e;
    let subject: Option<Uuid> = e::ledger_entries
        .order(e::id.desc())
        .select(e::subject_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(subject, Some(made));

    // Over HTTP too: one read, one event, carrying the basis.
    let p1 = app.patient_id("patient1");
    let record = app.record_of_kind(p1, "diagnosis");
    let smith = app.token("dr_smith").await;
    let before = entries(&mut conn);
    let resp = app
        .get(&format!("/api/v1/records/{record}"), Some(&smith))
        .await;
    body(resp, StatusCode::OK).await;
    let after = entries(&mut conn);
    assert_eq!(after.len() - before.len(), 1);
    let (action, outcome, _, rec, basis) = after.last().unwrap().clone();
    assert_eq!(
        (action.as_str(), outcome.as_str(), rec, basis.as_deref()),
        ("record_viewed", "allowed", Some(record), Some("consent"))
    );
}

#[actix_rt::test]
async fn a_list_of_n_records_makes_n_events_in_one_insert_sequenced_in_order() {
    let app = spawn_fast().await;
    app.seed_demo();
    let mut conn = app.conn();
    let p1 = app.patient_id("patient1");
    let patient = app.token("patient1").await;
    wait_integrated(&app, Duration::from_secs(10)).await;
    let before = entries(&mut conn).len();

    let list = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?limit=5"),
            Some(&patient),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let listed: Vec<Uuid> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().parse().unwrap())
        .collect();

    use api::db::schema::ledger_entries::dsl as e;
    type Entry = (
        i64,
        String,
        Option<Uuid>,
        Option<String>,
        chrono::DateTime<chrono::Utc>,
        String,
    );
    let new: Vec<Entry> = e::ledger_entries
        .order(e::id)
        .offset(before as i64)
        .select((
            e::id,
            e::action,
            e::record_id,
            e::request_id,
            e::time,
            diesel::dsl::sql::<diesel::sql_types::Text>("txid::text"),
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(new.len(), 5, "one event per record returned");
    assert!(new.iter().all(|n| n.1 == "record_viewed"));
    let recorded: Vec<Uuid> = new.iter().map(|n| n.2.unwrap()).collect();
    assert_eq!(recorded, listed, "in the order they were disclosed");
    // One request, one statement: one request id, one transaction, one time.
    assert!(new.iter().all(|n| n.3 == new[0].3 && n.3.is_some()));
    assert!(new.iter().all(|n| n.5 == new[0].5));
    assert!(new.iter().all(|n| n.4 == new[0].4));

    // The multi-row INSERT's entries are sequenced contiguously, in id order.
    wait_integrated(&app, Duration::from_secs(10)).await;
    use api::db::schema::ledger_events::dsl as v;
    let ids: Vec<i64> = new.iter().map(|n| n.0).collect();
    let seqs: Vec<(i64, i64)> = v::ledger_events
        .filter(v::entry_id.eq_any(&ids))
        .order(v::seq)
        .select((v::entry_id, v::seq))
        .load(&mut conn)
        .unwrap();
    assert_eq!(seqs.iter().map(|s| s.0).collect::<Vec<_>>(), ids);
    assert!(seqs.windows(2).all(|w| w[1].1 == w[0].1 + 1));
}

/// The combinator is the only path: no route handler names the ledger's
/// writer, builds an event, or asks the policy itself.
#[test]
fn no_route_handler_calls_the_ledger_or_the_policy() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let forbidden = [
        "ledger::record",
        "record_all",
        "NewEvent",
        "policy::",
        "Facts::load",
        "access::authorize",
        "access::check",
        "access::view",
        "access::enforce",
        "access::decide",
    ];
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for f in forbidden {
                if line.contains(f) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
