//! The SQL behind [`super::log::list`]: which index each listing walks, so
//! that a page costs O(offset + limit) rows and its total O(matching events)
//! index entries, never a walk of the whole ledger.
//!
//! # Why this shape (EXPLAIN ANALYZE at 1,000,000 events, see BENCHMARKS.md)
//! The events a non-admin may see are `actor = me OR patient IN (my charts)`,
//! ordered by `seq`, which lives in `ledger_events` while the filter columns
//! live in `ledger_entries`. A single `ORDER BY e.seq` query either walks
//! `ledger_events` backwards testing every row (seconds when the caller's
//! events are old or rare), or fetches, joins and sorts every matching event
//! (tens of ms for a busy chart), and the exact `count(*)` joined every
//! matching entry with `ledger_events` again.
//!
//! Instead each source of visible events (one per chart, one for the actor)
//! is read from a `(patient_id | actor_id, txid, id)` index, newest first,
//! joined with `ledger_events` (so only sequenced events count) and cut at
//! `offset + limit`; the union of those few rows is ordered by `seq`. This
//! relies on the sequencer's invariant (`sequencer.rs`): events are
//! sequenced in `(txid, id)` order with none skipped, so `seq` order is
//! `(txid, id)` order and the sequenced entries are exactly those up to the
//! last integrated entry's `(txid, id)` — which is also how the total is
//! counted, from the same indexes, without joining.
//!
//! Admins without a patient or actor filter walk `ledger_events` by `seq`
//! (every event qualifies); their unfiltered total is the log size.

use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
use uuid::Uuid;

use super::log::{LogFilter, LogScope};
use super::store;

/// How one listing finds its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing can match (e.g. a chart outside the scope and another actor).
    Empty,
    /// Walk `ledger_events` by `seq` (admins, no patient or actor filter).
    Walk,
    /// The union of the events about `patients` and those by `actor`, each
    /// further restricted by `actor_eq` and the common filters.
    Indexed {
        patients: Vec<Uuid>,
        actor: Option<Uuid>,
        actor_eq: Option<Uuid>,
    },
}

impl Plan {
    /// The same set as `scope AND filter.patient AND filter.actor`.
    pub fn new(scope: &LogScope, filter: &LogFilter) -> Self {
        match Self::sources(scope, filter) {
            Plan::Indexed {
                patients,
                actor: None,
                ..
            } if patients.is_empty() => Plan::Empty,
            plan => plan,
        }
    }

    fn sources(scope: &LogScope, filter: &LogFilter) -> Self {
        let (me, charts): (Option<Uuid>, &[Uuid]) = match scope {
            LogScope::All => (None, &[][..]),
            LogScope::Limited {
                actor_id,
                patient_ids,
            } => (Some(*actor_id), patient_ids.as_slice()),
        };
        match (filter.patient_id, filter.actor_id) {
            (Some(p), actor) => {
                if me.is_none() || charts.contains(&p) {
                    // The chart is in scope: every event about it is visible.
                    Plan::Indexed {
                        patients: vec![p],
                        actor: None,
                        actor_eq: actor,
                    }
                } else if actor.is_some() && actor != me {
                    Plan::Empty
                } else {
                    // Only the caller's own actions about that chart.
                    Plan::Indexed {
                        patients: vec![p],
                        actor: None,
                        actor_eq: me,
                    }
                }
            }
            (None, Some(a)) if me.is_none() || me == Some(a) => Plan::Indexed {
                patients: Vec::new(),
                actor: Some(a),
                actor_eq: None,
            },
            // Another actor's events about the caller's charts.
            (None, Some(a)) => Plan::Indexed {
                patients: charts.to_vec(),
                actor: None,
                actor_eq: Some(a),
            },
            (None, None) => match me {
                None => Plan::Walk,
                Some(me) => Plan::Indexed {
                    patients: charts.to_vec(),
                    actor: Some(me),
                    actor_eq: None,
                },
            },
        }
    }
}

/// Filters every source applies; `$1..$4` in [`COMMON`].
const COMMON: &str = "($1::uuid IS NULL OR x.actor_id = $1) \
    AND ($2::text IS NULL OR x.action = $2) \
    AND ($3::timestamptz IS NULL OR x.time >= $3) \
    AND ($4::timestamptz IS NULL OR x.time < $4)";

/// The last integrated entry's position: every entry at or before it is
/// sequenced, none after it is.
const TIP: &str = "WITH tip AS (SELECT x.txid, x.id FROM ledger_events e \
    JOIN ledger_entries x ON x.id = e.entry_id ORDER BY e.seq DESC LIMIT 1) ";

/// Binds `$1..$4` of [`COMMON`].
fn common<'a>(
    q: SqlQuery,
    actor_eq: Option<Uuid>,
    filter: &'a LogFilter,
) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    q.into_boxed()
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(actor_eq)
        .bind::<Nullable<Text>, _>(filter.action.map(|a| a.as_str()))
        .bind::<Nullable<Timestamptz>, _>(filter.from)
        .bind::<Nullable<Timestamptz>, _>(filter.to)
}

/// The page query (rows decode as [`store::EventRow`]); `None` for
/// [`Plan::Empty`].
pub fn page<'a>(plan: &'a Plan, filter: &'a LogFilter) -> Option<BoxedSqlQuery<'a, Pg, SqlQuery>> {
    let (patients, actor, actor_eq) = match plan {
        Plan::Empty => return None,
        Plan::Walk => {
            let sql = format!(
                "{} WHERE {COMMON} ORDER BY e.seq DESC LIMIT $5 OFFSET $6",
                store::event_select()
            );
            return Some(
                common(diesel::sql_query(sql), None, filter)
                    .bind::<BigInt, _>(filter.limit)
                    .bind::<BigInt, _>(filter.offset),
            );
        }
        Plan::Indexed {
            patients,
            actor,
            actor_eq,
        } => (patients, actor, actor_eq),
    };
    // $5 limit, $6 offset, $7 patients, $8 actor.
    let newest = "ORDER BY x.txid DESC, x.id DESC LIMIT $5 + $6";
    let mut sources = Vec::new();
    if !patients.is_empty() {
        sources.push(format!(
            "SELECT c.id FROM unnest($7::uuid[]) AS p(id) CROSS JOIN LATERAL (\
               SELECT x.id, x.txid FROM ledger_entries x JOIN ledger_events e ON e.entry_id = x.id \
               WHERE x.patient_id = p.id AND {COMMON} {newest}) AS c"
        ));
    }
    if actor.is_some() {
        sources.push(format!(
            "(SELECT x.id FROM ledger_entries x JOIN ledger_events e ON e.entry_id = x.id \
              WHERE x.actor_id = $8 AND {COMMON} {newest})"
        ));
    }
    if sources.is_empty() {
        return None;
    }
    let select = store::event_select();
    let sql = format!(
        "WITH cand AS ({}) {select} JOIN cand ON cand.id = x.id \
         ORDER BY e.seq DESC LIMIT $5 OFFSET $6",
        sources.join(" UNION ")
    );
    Some(
        common(diesel::sql_query(sql), *actor_eq, filter)
            .bind::<BigInt, _>(filter.limit)
            .bind::<BigInt, _>(filter.offset)
            .bind::<Array<diesel::sql_types::Uuid>, _>(patients.as_slice())
            .bind::<Nullable<diesel::sql_types::Uuid>, _>(*actor),
    )
}

/// How the total is found.
pub enum Total<'a> {
    Zero,
    /// The number of sequenced events (admins, no filter).
    LogSize,
    /// A `count` query (one `count` column).
    Query(BoxedSqlQuery<'a, Pg, SqlQuery>),
}

/// The total for `plan`: the sequenced events matching, counted on the
/// indexes (see the module doc for why `(txid, id) <= tip` means sequenced).
pub fn total<'a>(plan: &'a Plan, filter: &'a LogFilter) -> Total<'a> {
    let filtered = filter.action.is_some() || filter.from.is_some() || filter.to.is_some();
    let (patients, actor, actor_eq): (&[Uuid], Option<Uuid>, Option<Uuid>) = match plan {
        Plan::Empty => return Total::Zero,
        Plan::Walk if !filtered => return Total::LogSize,
        Plan::Walk => (&[][..], None, None),
        Plan::Indexed {
            patients,
            actor,
            actor_eq,
        } => (patients.as_slice(), *actor, *actor_eq),
    };
    // Disjoint parts, so their counts add up: the chart events, then the
    // actor's events about no listed chart. Each part is an index(-only)
    // range scan; an OR of both would make PostgreSQL AND their bitmaps with
    // the whole (txid, id) index instead.
    let mut parts = Vec::new();
    if let Plan::Walk = plan {
        parts.push("TRUE");
    }
    if !patients.is_empty() {
        parts.push("x.patient_id = ANY($5)");
    }
    match (actor, patients.is_empty()) {
        (None, _) => {}
        (Some(_), true) => parts.push("x.actor_id = $6"),
        (Some(_), false) => parts.push("x.actor_id = $6 AND (x.patient_id = ANY($5)) IS NOT TRUE"),
    }
    if parts.is_empty() {
        return Total::Zero;
    }
    let counts: Vec<String> = parts
        .iter()
        .map(|part| {
            format!(
                "(SELECT count(*) FROM ledger_entries x, tip \
                 WHERE (x.txid, x.id) <= (tip.txid, tip.id) AND {part} AND {COMMON})"
            )
        })
        .collect();
    let sql = format!("{TIP}SELECT {} AS count", counts.join(" + "));
    Total::Query(
        common(diesel::sql_query(sql), actor_eq, filter)
            .bind::<Array<diesel::sql_types::Uuid>, _>(patients)
            .bind::<Nullable<diesel::sql_types::Uuid>, _>(actor),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(me: Uuid, charts: &[Uuid]) -> LogScope {
        LogScope::Limited {
            actor_id: me,
            patient_ids: charts.to_vec(),
        }
    }

    fn filter(patient: Option<Uuid>, actor: Option<Uuid>) -> LogFilter {
        LogFilter {
            patient_id: patient,
            actor_id: actor,
            limit: 50,
            ..LogFilter::default()
        }
    }

    #[test]
    fn plans_match_the_scope_and_filters() {
        let (me, other, chart, foreign) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let scope = limited(me, &[chart]);
        let indexed = |patients: Vec<Uuid>, actor, actor_eq| Plan::Indexed {
            patients,
            actor,
            actor_eq,
        };
        let cases = [
            (LogScope::All, filter(None, None), Plan::Walk),
            (
                LogScope::All,
                filter(Some(chart), None),
                indexed(vec![chart], None, None),
            ),
            (
                LogScope::All,
                filter(None, Some(other)),
                indexed(vec![], Some(other), None),
            ),
            (
                scope.clone(),
                filter(None, None),
                indexed(vec![chart], Some(me), None),
            ),
            (
                scope.clone(),
                filter(Some(chart), Some(other)),
                indexed(vec![chart], None, Some(other)),
            ),
            (
                scope.clone(),
                filter(Some(foreign), None),
                indexed(vec![foreign], None, Some(me)),
            ),
            (
                scope.clone(),
                filter(Some(foreign), Some(me)),
                indexed(vec![foreign], None, Some(me)),
            ),
            (
                scope.clone(),
                filter(Some(foreign), Some(other)),
                Plan::Empty,
            ),
            (
                scope.clone(),
                filter(None, Some(me)),
                indexed(vec![], Some(me), None),
            ),
            (
                scope.clone(),
                filter(None, Some(other)),
                indexed(vec![chart], None, Some(other)),
            ),
            (limited(me, &[]), filter(None, Some(other)), Plan::Empty),
        ];
        for (scope, filter, want) in cases {
            assert_eq!(Plan::new(&scope, &filter), want, "{scope:?} {filter:?}");
        }
    }
}
