//! What "live" means, written once: a consent is live while it is not
//! revoked and not past its expiry; a guardian link between its start and its
//! end; emergency access between its opening and its expiry. Every decision
//! (`facts`), list scope (`scope`), view (`clinical::*::to_view`), filter
//! and the expiry sweep use these, in Diesel (the `*_live` expressions), in
//! SQL fragments (`push_*`) or in Rust (`*_status`, `emergency_open`).
//!
//! One clock: the application's, [`now`], read once per request or sweep and
//! bound as a parameter — never the database's `now()`. Rows are stamped with
//! the same clock (`opened_at`, `revoked_at`, expiries computed from it), so a
//! comparison never mixes two clocks, and a statement's text never varies
//! with the time (it stays prepared).
//!
//! Also here: the consent scope as stored (`scope`, `kinds`, `record_ids`
//! columns), which the facts decode.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::AstPass;
use diesel::sql_types::Timestamptz;
use shared::consents::{ConsentScope, ConsentStatus};
use shared::records::RecordKind;
use shared::RecordId;
use uuid::Uuid;

use crate::db::schema::{consents, emergency_accesses, guardianships};
use crate::error::ApiError;

/// The one clock every "live" comparison uses.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A consent not revoked and not expired at `now`.
#[diesel::dsl::auto_type]
pub fn consent_live(now: DateTime<Utc>) -> _ {
    consents::revoked_at.is_null().and(
        consents::expires_at
            .is_null()
            .or(consents::expires_at.gt(now)),
    )
}

/// A consent that ran out unrevoked (its expiry is at or before `now`).
#[diesel::dsl::auto_type]
pub fn consent_expired(now: DateTime<Utc>) -> _ {
    consents::revoked_at
        .is_null()
        .and(consents::expires_at.le(now))
}

/// A guardian link in force at `now`.
#[diesel::dsl::auto_type]
pub fn guardianship_live(now: DateTime<Utc>) -> _ {
    guardianships::starts_at.le(now).and(
        guardianships::ends_at
            .is_null()
            .or(guardianships::ends_at.gt(now)),
    )
}

/// A guardian link not ended at `now` (live, or starting later): at most
/// one such link per guardian and chart.
#[diesel::dsl::auto_type]
pub fn guardianship_not_ended(now: DateTime<Utc>) -> _ {
    guardianships::ends_at
        .is_null()
        .or(guardianships::ends_at.gt(now))
}

/// An emergency access open at `now`.
#[diesel::dsl::auto_type]
pub fn emergency_live(now: DateTime<Utc>) -> _ {
    emergency_accesses::opened_at
        .le(now)
        .and(emergency_accesses::expires_at.gt(now))
}

/// [`consent_live`] as SQL on the consents aliased `alias`.
pub fn push_consent_live<'b>(
    out: &mut AstPass<'_, 'b, Pg>,
    alias: &str,
    now: &'b DateTime<Utc>,
) -> QueryResult<()> {
    out.push_sql(&format!(
        "{alias}.revoked_at IS NULL AND ({alias}.expires_at IS NULL OR {alias}.expires_at > "
    ));
    out.push_bind_param::<Timestamptz, _>(now)?;
    out.push_sql(")");
    Ok(())
}

/// [`emergency_live`] as SQL on the emergency accesses aliased `alias`.
pub fn push_emergency_live<'b>(
    out: &mut AstPass<'_, 'b, Pg>,
    alias: &str,
    now: &'b DateTime<Utc>,
) -> QueryResult<()> {
    out.push_sql(&format!("{alias}.opened_at <= "));
    out.push_bind_param::<Timestamptz, _>(now)?;
    out.push_sql(&format!(" AND {alias}.expires_at > "));
    out.push_bind_param::<Timestamptz, _>(now)?;
    Ok(())
}

/// A consent's status at `now` (as [`consent_live`] decides it).
pub fn consent_status(
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ConsentStatus {
    if revoked_at.is_some() {
        ConsentStatus::Revoked
    } else if expires_at.is_some_and(|e| e <= now) {
        ConsentStatus::Expired
    } else {
        ConsentStatus::Active
    }
}

/// Whether an emergency access is open at `now` (as [`emergency_live`]).
pub fn emergency_open(
    opened_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    opened_at <= now && now < expires_at
}

/// A consent scope from its stored columns.
pub fn scope_from_columns(
    scope: &str,
    kinds: &[String],
    ids: &[Uuid],
) -> Result<ConsentScope, ApiError> {
    match scope {
        "chart" => Ok(ConsentScope::Chart),
        "kinds" => Ok(ConsentScope::Kinds {
            kinds: kinds
                .iter()
                .map(|k| {
                    k.parse::<RecordKind>().map_err(|_| {
                        ApiError::internal("consents.kinds", "unknown value in database")
                    })
                })
                .collect::<Result<_, _>>()?,
        }),
        "records" => Ok(ConsentScope::Records {
            record_ids: ids.iter().copied().map(RecordId).collect(),
        }),
        _ => Err(ApiError::internal(
            "consents.scope",
            "unknown value in database",
        )),
    }
}

/// A consent scope as its stored columns.
pub fn scope_columns(scope: &ConsentScope) -> (&'static str, Vec<String>, Vec<Uuid>) {
    match scope {
        ConsentScope::Chart => ("chart", Vec::new(), Vec::new()),
        ConsentScope::Kinds { kinds } => (
            "kinds",
            kinds.iter().map(|k| k.as_str().to_owned()).collect(),
            Vec::new(),
        ),
        ConsentScope::Records { record_ids } => (
            "records",
            Vec::new(),
            record_ids.iter().map(|r| r.0).collect(),
        ),
    }
}
