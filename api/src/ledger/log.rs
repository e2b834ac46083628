//! Reading the log: who may see which events ([`LogScope`]) and the filtered,
//! paged listing behind `GET /api/v1/ledger/events`.
//!
//! Only sequenced events are listed (they have a `seq` and can be proven);
//! an action's event appears once the sequencer has integrated it, normally
//! within a fraction of a second. Order is `seq` descending (newest first),
//! which is stable under paging while new events arrive only at the top.
//! The scope is the one access rule for reading the log and its proofs; it
//! is decided in `access::scope::log` (admins everything; everyone else the
//! events they performed and, through `patient_ids`, events about the listed
//! patients) — this module only applies it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use shared::ledger::api::LedgerEventItem;
use shared::ledger::{Action, EventBody};
use uuid::Uuid;

use super::log_query::{self, Plan, Total};
use super::store::{self, EventRow};
use crate::error::ApiError;

/// Which events a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogScope {
    /// Every event (admins).
    All,
    /// Events this user performed, and events about these patients.
    Limited {
        actor_id: Uuid,
        patient_ids: Vec<Uuid>,
    },
}

impl LogScope {
    pub fn allows(&self, event: &EventBody) -> bool {
        match self {
            LogScope::All => true,
            LogScope::Limited {
                actor_id,
                patient_ids,
            } => {
                event.actor_id == Some(*actor_id)
                    || event.patient_id.is_some_and(|p| patient_ids.contains(&p))
            }
        }
    }
}

/// Filters of the listing; every one optional.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub patient_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<Action>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The source addresses of these entries (admins' view), in one query.
fn sources_of(
    conn: &mut PgConnection,
    rows: &[EventRow],
) -> Result<HashMap<i64, String>, ApiError> {
    use crate::db::schema::ledger_sources as s;
    let ids: Vec<i64> = rows.iter().map(|r| r.entry_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(s::table
        .filter(s::entry_id.eq_any(&ids))
        .select((s::entry_id, s::source_addr))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// One page of visible events matching `filter`, newest first, and the total.
/// The queries are in [`super::log_query`].
pub fn list(
    conn: &mut PgConnection,
    scope: &LogScope,
    filter: &LogFilter,
) -> Result<(Vec<LedgerEventItem>, i64), ApiError> {
    let plan = Plan::new(scope, filter);
    let rows = match log_query::page(&plan, filter) {
        Some(q) => q.load::<EventRow>(conn)?,
        None => Vec::new(),
    };
    let total = match log_query::total(&plan, filter) {
        Total::Zero => 0,
        Total::LogSize => store::to_i64(store::sequenced_size(conn)?)?,
        Total::Query(q) => q.get_result::<Count>(conn)?.count,
    };
    let mut sources = match scope {
        LogScope::All => sources_of(conn, &rows)?,
        LogScope::Limited { .. } => HashMap::new(),
    };
    let items = rows
        .into_iter()
        .map(|row| {
            let source_addr = sources.remove(&row.entry_id);
            row.into_event()
                .map(|(event, leaf_hash)| LedgerEventItem {
                    event,
                    leaf_hash,
                    source_addr,
                })
                .ok_or_else(|| {
                    ApiError::internal("ledger listing", "stored event cannot be decoded")
                })
        })
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}
