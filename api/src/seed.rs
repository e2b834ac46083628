//! `careledger seed --demo`: the demo accounts from DESIGN.md and, with
//! [`seed_demo_full`], their clinical data (`seed_clinical`). Refuses to run
//! against a database that holds any non-demo account, and does nothing when
//! the demo accounts are already there.

use diesel::prelude::*;
use shared::ledger::Action;
use shared::Role;

use crate::crypto::Sealer;
use crate::db::{run_in_transaction, schema::users as user_rows};
use crate::error::ApiError;
use crate::ledger::NewEvent;
use crate::request::RequestContext;
use crate::users::{self as accounts, HashedAccount, NewAccount};

pub const DEMO_PASSWORD: &str = "CareLedger-demo-1";

pub const DEMO_USERS: &[(&str, Role, &str)] = &[
    ("admin", Role::Admin, "Avery Admin"),
    ("dr_smith", Role::Doctor, "Dr. Sam Smith"),
    ("dr_jones", Role::Doctor, "Dr. Jordan Jones"),
    ("nurse_kim", Role::Nurse, "Nurse Kim Lee"),
    ("patient1", Role::Patient, "Pat One"),
    ("patient2", Role::Patient, "Pia Two"),
    ("guardian1", Role::Patient, "Gail Guardian"),
];

#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Created(usize),
    AlreadySeeded,
}

/// The demo accounts only (kept for callers without a seal key).
pub fn seed_demo(conn: &mut PgConnection) -> Result<SeedOutcome, ApiError> {
    let accounts = demo_accounts()?;
    run_in_transaction(conn, |conn| seed_accounts(conn, accounts))
}

/// The demo accounts, hashed before the seed's transaction opens (argon2
/// never runs inside a transaction).
fn demo_accounts() -> Result<Vec<HashedAccount>, ApiError> {
    DEMO_USERS
        .iter()
        .map(|(username, role, name)| {
            let mut account = NewAccount::parse(username, DEMO_PASSWORD, *role, name)?;
            account.is_demo = true;
            account.hash_now()
        })
        .collect()
}

/// Accounts plus profiles, records, a consent, a pending request and a
/// guardian link, in one transaction.
pub fn seed_demo_full(conn: &mut PgConnection, sealer: &Sealer) -> Result<SeedOutcome, ApiError> {
    let accounts = demo_accounts()?;
    run_in_transaction(conn, |conn| {
        let outcome = seed_accounts(conn, accounts)?;
        if let SeedOutcome::Created(_) = outcome {
            crate::seed_clinical::seed_clinical(conn, sealer)?;
        }
        Ok(outcome)
    })
}

fn seed_accounts(
    conn: &mut PgConnection,
    accounts: Vec<HashedAccount>,
) -> Result<SeedOutcome, ApiError> {
    {
        let real_users: i64 = user_rows::table
            .filter(user_rows::is_demo.eq(false))
            .count()
            .get_result(conn)?;
        if real_users > 0 {
            return Err(ApiError::Conflict(
                "refusing to seed demo data: this database holds non-demo accounts".into(),
            ));
        }
        let existing: i64 = user_rows::table
            .filter(user_rows::is_demo.eq(true))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Ok(SeedOutcome::AlreadySeeded);
        }
        let ctx = RequestContext::system("seed");
        let created = accounts.len();
        for account in accounts {
            accounts::create(conn, account, NewEvent::new(Action::UserCreated, &ctx))?;
        }
        Ok(SeedOutcome::Created(created))
    }
}
