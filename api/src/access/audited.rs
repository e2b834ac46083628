//! The audited action: the one path by which a handler reads or changes
//! patient or account data. [`Database::audited`] (or [`Database::audited_find`]
//! when the target is found by a lookup) does, in order:
//!
//! 1. finds the target (a missing one is refused like one the actor may not
//!    see: a denied event, then 404);
//! 2. loads the facts and asks the one policy point ([`policy::decide`]);
//! 3. on a refusal, records the denied event — committed although the request
//!    fails — and answers 403 or 404;
//! 4. on an allow, runs the action with a [`Permit`] and then records the
//!    allowed event exactly once (or, for a disclosure of many items, one event
//!    per item, all in one INSERT), in the action's transaction. (One
//!    action is its own record and logs only refusals: signing a checkpoint,
//!    [`Audit::refusals_only`].)
//!
//! The handler never sees the event: it can add what only the action knows
//! (the new record's id, the account it concerns, content digests) through
//! the permit, but cannot skip recording it or record it twice. An error from
//! the action rolls everything back, event included; [`Permit::refuse`] marks
//! the event denied, and a denied event is committed on its own even when the
//! action then fails (a body that did not open).
//!
//! Transaction or autocommit is chosen here and nowhere else: [`Audit::change`]
//! runs in one transaction; [`Audit::read`] runs its reads in autocommit and
//! ends with the one INSERT of its events — no BEGIN/COMMIT round trips on the
//! hot read path. A read's action must not write (it may open a transaction
//! of its own, as ledger verification does for its snapshot).
//!
//! The event carries the request's id and source address from the
//! [`RequestContext`] it was built with.
//!
//! Writes that answer with [`Database::audited_reply`] /
//! [`Database::audited_find_reply`] honour the request's `Idempotency-Key`
//! ([`crate::idempotency`]): the key is claimed first in the transaction
//! (a key used before replays its stored answer — no decision, no action, no
//! event), and the answer is stored last, before COMMIT. A refusal or an
//! error rolls the claim back with everything else.
//!
//! A change's `BEGIN` is sent by [`Database::in_transaction`] (retried once
//! on a fresh connection when the pooled one was dead) and its COMMIT by
//! [`db::end_transaction`] (a connection lost during COMMIT answers 503
//! `commit_outcome_unknown`).

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::pg::PgConnection;
use serde::Serialize;
use shared::ledger::Action as Logged;
use shared::UserId;
use uuid::Uuid;

use crate::access::{policy, refusal, Action, Actor, Basis, Decision, EventExt, Facts, Target};
use crate::db::{self, Database};
use crate::error::ApiError;
use crate::idempotency::{Answer, Reply};
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Transaction,
    Autocommit,
}

/// What is about to be done, by whom, and how it is logged.
#[derive(Debug, Clone)]
pub struct Audit {
    actor: Actor,
    action: Action,
    event: NewEvent,
    mode: Mode,
    per_item: bool,
    refusals_only: bool,
}

impl Audit {
    /// A change: the action and its event commit together in one transaction.
    pub fn change(ctx: &RequestContext, actor: Actor, action: Action, logged: Logged) -> Self {
        Self::new(ctx, actor, action, logged, Mode::Transaction)
    }

    /// A read: reads in autocommit, then one INSERT with the event(s). The
    /// action must not write outside a transaction of its own.
    pub fn read(ctx: &RequestContext, actor: Actor, action: Action, logged: Logged) -> Self {
        Self::new(ctx, actor, action, logged, Mode::Autocommit)
    }

    fn new(ctx: &RequestContext, actor: Actor, action: Action, logged: Logged, mode: Mode) -> Self {
        Self {
            actor,
            action,
            event: NewEvent::new(logged, ctx).actor(actor.id, actor.role),
            mode,
            per_item: false,
            refusals_only: false,
        }
    }

    /// A disclosure of many items: one event per item the action discloses
    /// ([`Permit::disclose`]) and none for the whole (an empty page logs
    /// nothing, because nothing was disclosed).
    pub fn per_item(mut self) -> Self {
        self.per_item = true;
        self
    }

    /// For the one action that is its own record: signing a checkpoint on
    /// demand stores the signed checkpoint, and an allowed event would grow
    /// the log it just signed (so "sign now" could never return the current
    /// checkpoint). Only a refusal is recorded.
    pub fn refusals_only(mut self) -> Self {
        self.refusals_only = true;
        self
    }

    /// The account the action concerns, in the event whatever the outcome.
    pub fn subject(mut self, user: UserId) -> Self {
        self.event = self.event.subject_user(user);
        self
    }

    /// The record asked for, in the denied event even when it does not exist.
    pub fn naming_record(mut self, id: Uuid) -> Self {
        self.event = self.event.record_uuid(id);
        self
    }
}

/// An allowed action in progress. Its fields are private: the event it will
/// record can only be added to, never taken out, skipped or recorded twice.
#[derive(Debug)]
pub struct Permit {
    actor: Actor,
    basis: Basis,
    facts: Option<Facts>,
    event: NewEvent,
    also: Vec<Logged>,
    per_item: bool,
    items: Vec<NewEvent>,
    refused: bool,
    refusals_only: bool,
}

impl Permit {
    /// Why the action was allowed.
    pub fn basis(&self) -> Basis {
        self.basis
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Asks the policy about one item of the chart this permit is for, with
    /// the same facts (one load per request, however many items).
    pub fn allows(&self, action: Action, target: &Target) -> Option<Basis> {
        policy::decide(self.actor, action, target, self.facts.as_ref()).basis()
    }

    /// Which of the chart's records `ReadRecord` can allow, as a list filter.
    pub fn readable(&self) -> crate::access::Readable {
        match &self.facts {
            Some(f) => policy::readable(self.actor, f),
            None => crate::access::Readable::default(),
        }
    }

    /// The account the action concerned.
    pub fn subject_user(&mut self, id: UserId) -> &mut Self {
        self.event.subject_user_id = Some(id.0);
        self
    }

    /// The record the action made.
    pub fn record(&mut self, id: Uuid) -> &mut Self {
        self.event.record_id = Some(id);
        self
    }

    /// The chart the action made.
    pub fn patient(&mut self, id: Uuid) -> &mut Self {
        self.event.patient_id = Some(id);
        self
    }

    /// SHA-256 of the prior and new plaintext (never the text).
    pub fn digests(&mut self, prior: Option<[u8; 32]>, new: Option<[u8; 32]>) -> &mut Self {
        self.event.prior_digest = prior;
        self.event.content_digest = new;
        self
    }

    /// One more event for the same action under another name (an approval
    /// that also grants), a copy of the main event as it is when recorded.
    pub fn also(&mut self, logged: Logged) -> &mut Self {
        self.also.push(logged);
        self
    }

    /// One disclosed item: `digest` of the plaintext disclosed, or `None`
    /// when its body did not open (a denied event; the item goes out marked
    /// unreadable). In a per-item audit these are its only events; otherwise
    /// they are recorded after the action's own event, never instead of it.
    pub fn disclose(&mut self, record: Uuid, basis: Basis, digest: Option<[u8; 32]>) {
        let mut event = self.event.clone().record_uuid(record).with_basis(&basis);
        event.content_digest = digest;
        if digest.is_none() {
            event = event.denied();
        }
        self.items.push(event);
    }

    /// The action cannot be completed after all (its sealed content did not
    /// open): its event is recorded as denied and committed on its own, and
    /// whatever the action changed is rolled back once it returns `error`.
    pub fn refuse(&mut self, error: ApiError) -> ApiError {
        self.refused = true;
        error
    }

    /// The events to record for a completed action.
    fn into_events(self) -> Vec<NewEvent> {
        if self.per_item {
            return self.items;
        }
        if self.refusals_only && !self.refused {
            return self.items;
        }
        let event = if self.refused {
            self.event.denied()
        } else {
            self.event
        };
        let mut out = Vec::with_capacity(1 + self.also.len());
        for logged in &self.also {
            out.push(NewEvent {
                action: *logged,
                ..event.clone()
            });
        }
        out.insert(0, event);
        out.extend(self.items);
        out
    }
}

/// How an attempt ended, before its events are written.
enum Attempt<T> {
    Done(T, Vec<NewEvent>),
    Refused(Box<NewEvent>, ApiError),
}

/// Why a transaction was rolled back: not an [`ApiError`] variant, so
/// transaction control never leaks into the HTTP boundary.
enum Abort {
    Refused(Box<NewEvent>, ApiError),
    Failed(ApiError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Failed(e.into())
    }
}

/// The target of an audited action, found by a lookup (`None`: it does not
/// exist), with whatever the lookup loaded for the action.
pub type Found<X> = Option<(Target, X)>;

fn attempt<T, X, L, F>(
    conn: &mut PgConnection,
    audit: Audit,
    locate: L,
    act: F,
) -> Result<Attempt<T>, ApiError>
where
    L: FnOnce(&mut PgConnection) -> Result<Found<X>, ApiError>,
    F: FnOnce(&mut PgConnection, &mut Permit, X) -> Result<T, ApiError>,
{
    let Audit {
        actor,
        action,
        mut event,
        per_item,
        refusals_only,
        ..
    } = audit;
    let Some((target, found)) = locate(conn)? else {
        return Ok(Attempt::Refused(Box::new(event.denied()), refusal(false)));
    };
    if let Some(p) = target.patient_id() {
        event = event.patient_uuid(p);
    }
    if let Target::Record(r) = &target {
        event = event.record_uuid(r.id);
    }
    let facts = match target.patient_id() {
        Some(p) => Some(Facts::load(conn, actor, p)?),
        None => None,
    };
    let basis = match policy::decide(actor, action, &target, facts.as_ref()) {
        Decision::Allow { basis } => basis,
        Decision::Deny { visible } => {
            // A refusal the actor may not even see the chart for names no
            // chart: the prober's own log view (their events) must not tell
            // them whose record the id they tried belongs to.
            if !visible {
                event.patient_id = None;
            }
            return Ok(Attempt::Refused(Box::new(event.denied()), refusal(visible)));
        }
    };
    let mut permit = Permit {
        actor,
        basis,
        facts,
        event: event.with_basis(&basis),
        also: Vec::new(),
        per_item,
        items: Vec::new(),
        refused: false,
        refusals_only,
    };
    match act(conn, &mut permit, found) {
        Ok(value) => Ok(Attempt::Done(value, permit.into_events())),
        Err(error) if permit.refused => {
            Ok(Attempt::Refused(Box::new(permit.event.denied()), error))
        }
        Err(error) => Err(error),
    }
}

/// The audited action on a bare connection (the handlers' path is
/// [`Database::audited`] / [`Database::audited_find`]; tests and the CLI
/// use this).
pub fn run_audited<T, X, L, F>(
    conn: &mut PgConnection,
    audit: Audit,
    locate: L,
    act: F,
) -> Result<T, ApiError>
where
    L: FnOnce(&mut PgConnection) -> Result<Found<X>, ApiError>,
    F: FnOnce(&mut PgConnection, &mut Permit, X) -> Result<T, ApiError>,
{
    if audit.mode == Mode::Transaction {
        AnsiTransactionManager::begin_transaction(conn)?;
    }
    run_begun(conn, audit, |_| Ok(None), locate, act)
}

/// [`run_audited`] once a change's transaction is begun; `claim` runs first
/// in it and, when it returns an answer, that answer is the outcome.
fn run_begun<T, X, C, L, F>(
    conn: &mut PgConnection,
    audit: Audit,
    claim: C,
    locate: L,
    act: F,
) -> Result<T, ApiError>
where
    C: FnOnce(&mut PgConnection) -> Result<Option<T>, ApiError>,
    L: FnOnce(&mut PgConnection) -> Result<Found<X>, ApiError>,
    F: FnOnce(&mut PgConnection, &mut Permit, X) -> Result<T, ApiError>,
{
    let outcome = match audit.mode {
        Mode::Autocommit => match attempt(conn, audit, locate, act)? {
            Attempt::Done(value, events) => {
                ledger::record_all(conn, &events)?;
                Ok(value)
            }
            Attempt::Refused(event, error) => Err((event, error)),
        },
        Mode::Transaction => {
            let body = |c: &mut PgConnection| -> Result<T, Abort> {
                if let Some(answer) = claim(c).map_err(Abort::Failed)? {
                    return Ok(answer);
                }
                match attempt(c, audit, locate, act).map_err(Abort::Failed)? {
                    Attempt::Done(value, events) => {
                        ledger::record_all(c, &events).map_err(Abort::Failed)?;
                        Ok(value)
                    }
                    Attempt::Refused(event, error) => Err(Abort::Refused(event, error)),
                }
            };
            let done = body(conn);
            match db::end_transaction(conn, done)? {
                Ok(value) => Ok(value),
                Err(Abort::Refused(event, error)) => Err((event, error)),
                Err(Abort::Failed(error)) => return Err(error),
            }
        }
    };
    match outcome {
        Ok(value) => Ok(value),
        // Rolled back (or never begun): the denial is committed on its own.
        Err((event, error)) => {
            ledger::record(conn, &event)?;
            Err(error)
        }
    }
}

impl Database {
    /// Runs `act` as `audit.actor` doing `audit.action` on `target`; see the
    /// module documentation for what is decided and recorded.
    pub async fn audited<T, F>(&self, audit: Audit, target: Target, act: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PgConnection, &mut Permit) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited_find(
            audit,
            move |_| Ok(Some((target, ()))),
            move |c, p, ()| act(c, p),
        )
        .await
    }

    /// As [`Self::audited`], with the target found by `locate` (which may
    /// lock the row it reads); what it loaded is handed to `act`.
    pub async fn audited_find<T, X, L, F>(
        &self,
        audit: Audit,
        locate: L,
        act: F,
    ) -> Result<T, ApiError>
    where
        L: FnOnce(&mut PgConnection) -> Result<Found<X>, ApiError> + Send + 'static,
        F: FnOnce(&mut PgConnection, &mut Permit, X) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
        X: 'static,
    {
        match audit.mode {
            Mode::Transaction => {
                self.in_transaction(move |conn| run_begun(conn, audit, |_| Ok(None), locate, act))
                    .await
            }
            Mode::Autocommit => {
                self.with_connection(move |conn| run_audited(conn, audit, locate, act))
                    .await
            }
        }
    }

    /// As [`Self::audited`], answering `answer`'s status with the action's
    /// value as JSON and honouring the request's `Idempotency-Key` (for a
    /// change; a read's audit ignores the key).
    pub async fn audited_reply<T, F>(
        &self,
        audit: Audit,
        answer: Answer,
        target: Target,
        act: F,
    ) -> Result<Reply, ApiError>
    where
        F: FnOnce(&mut PgConnection, &mut Permit) -> Result<T, ApiError> + Send + 'static,
        T: Serialize,
    {
        self.audited_find_reply(
            audit,
            answer,
            move |_| Ok(Some((target, ()))),
            move |c, p, ()| act(c, p),
        )
        .await
    }

    /// As [`Self::audited_find`], answering like [`Self::audited_reply`].
    pub async fn audited_find_reply<T, X, L, F>(
        &self,
        audit: Audit,
        answer: Answer,
        locate: L,
        act: F,
    ) -> Result<Reply, ApiError>
    where
        L: FnOnce(&mut PgConnection) -> Result<Found<X>, ApiError> + Send + 'static,
        F: FnOnce(&mut PgConnection, &mut Permit, X) -> Result<T, ApiError> + Send + 'static,
        T: Serialize,
        X: 'static,
    {
        let actor = audit.actor.id.0;
        // Only a change (one transaction) claims and stores the key.
        let answer = match audit.mode {
            Mode::Transaction => answer,
            Mode::Autocommit => answer.unkeyed(),
        };
        let storing = answer.clone();
        let act = move |c: &mut PgConnection, p: &mut Permit, x: X| {
            let value = act(c, p, x)?;
            storing.reply(c, actor, &value)
        };
        match audit.mode {
            Mode::Transaction => {
                self.in_transaction(move |conn| {
                    run_begun(conn, audit, |c| answer.claim(c, actor), locate, act)
                })
                .await
            }
            Mode::Autocommit => {
                self.with_connection(move |conn| run_audited(conn, audit, locate, act))
                    .await
            }
        }
    }
}
