//! Lists that disclose profile fields, contact details or a patient's name
//! (patients, consents, access requests, emergency accesses): one
//! `record_viewed` event per chart on the page — with the basis that made
//! the chart visible and no record id, like a single profile read — all in
//! one INSERT after the page is read. "Who saw my data" then shows a
//! clinician who listed the patient's profile, and an empty page logs
//! nothing. The list itself still runs through [`scope`](super::scope).

use diesel::PgConnection;
use shared::ledger::Action as Logged;
use uuid::Uuid;

use crate::access::scope::{ListScope, Resolve};
use crate::access::{Actor, Basis, EventExt};
use crate::db::Database;
use crate::error::ApiError;
use crate::ledger::{self, NewEvent};
use crate::request::RequestContext;

/// The charts a page disclosed, each once, in the order first seen.
#[derive(Debug, Default)]
pub struct Disclosures {
    charts: Vec<(Uuid, Basis)>,
}

impl Disclosures {
    /// `patient`'s chart was disclosed on `basis` (a repeat is ignored).
    pub fn chart(&mut self, patient: Uuid, basis: Basis) {
        if !self.charts.iter().any(|(p, _)| *p == patient) {
            self.charts.push((patient, basis));
        }
    }

    /// As [`Self::chart`], with the basis the list's scope gives the chart,
    /// or `own` when the scope is the clinician's own rows.
    pub fn in_scope(&mut self, scope: &ListScope, patient: Uuid, own: Basis) {
        self.chart(patient, scope.basis_for(patient).unwrap_or(own));
    }

    fn events(&self, ctx: &RequestContext, actor: Actor) -> Vec<NewEvent> {
        let event = NewEvent::new(Logged::RecordViewed, ctx).actor(actor.id, actor.role);
        self.charts
            .iter()
            .map(|(p, b)| event.clone().patient_uuid(*p).with_basis(b))
            .collect()
    }
}

impl Database {
    /// As [`Database::listing`], recording one event per chart `list`
    /// reports through [`Disclosures`] before the page is answered.
    pub async fn disclosing<S, T, F>(
        &self,
        ctx: &RequestContext,
        actor: Actor,
        scope: Resolve<S>,
        list: F,
    ) -> Result<T, ApiError>
    where
        S: 'static,
        F: FnOnce(&mut PgConnection, &S, Actor, &mut Disclosures) -> Result<T, ApiError>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let ctx = ctx.clone();
        self.with_connection(move |conn| {
            let scope = scope(conn, actor)?;
            let mut disclosed = Disclosures::default();
            let out = list(conn, &scope, actor, &mut disclosed)?;
            ledger::record_all(conn, &disclosed.events(&ctx, actor))?;
            Ok(out)
        })
        .await
    }
}
