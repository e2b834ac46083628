//! Ledger events as table rows for the admin's explorer: time, who, what in
//! words ([`crate::words`]), about whom, on what grounds — names, never ids.

use std::collections::HashMap;

use shared::ledger::api::LedgerEventItem;
use shared::ledger::Outcome;
use shared::{RecordId, Role};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;
use crate::words::{action_words, basis_words, outcome_words};

use super::time;

/// Display names by id (accounts or charts).
pub type Names = HashMap<uuid::Uuid, String>;

/// A person's name from `names`, or words for who they are when unknown
/// (the full id stays available as a tooltip for admins).
pub fn person(names: &Names, id: Option<uuid::Uuid>, role: Option<Role>) -> Html {
    match id {
        None => html! { <span class="muted">{ "CareLedger (automatic)" }</span> },
        Some(id) => match names.get(&id) {
            Some(n) => html! { { n.clone() } },
            None => {
                let who = match role {
                    Some(Role::Admin) => "a clinic administrator",
                    Some(Role::Doctor) => "a doctor",
                    Some(Role::Nurse) => "a nurse",
                    Some(Role::Patient) => "a patient account",
                    None => "an account",
                };
                html! { <span title={id.to_string()}>{ format!("{who} not listed here") }</span> }
            }
        },
    }
}

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub id: AttrValue,
    pub items: Vec<LedgerEventItem>,
    /// Account names by user id.
    #[prop_or_default]
    pub names: Names,
    /// Patient names by chart id.
    #[prop_or_default]
    pub patients: Names,
}

#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    html! {
        <div class="table-wrap"><table id={props.id.clone()} class="table events">
            <thead><tr>
                <th>{ "#" }</th><th>{ "When" }</th><th>{ "Who" }</th><th>{ "What" }</th>
                <th>{ "About" }</th><th>{ "Grounds" }</th>
            </tr></thead>
            <tbody>{ for props.items.iter().map(|item| {
                let e = &item.event;
                let b = &e.body;
                let denied = b.outcome != Outcome::Allowed;
                let about = match (b.patient_id, b.subject_user_id) {
                    (Some(p), _) => html! { <>{ person(&props.patients, Some(p), None) }{ " (chart)" }</> },
                    (None, Some(u)) => person(&props.names, Some(u), None),
                    (None, None) => html! {},
                };
                html! {
                    <tr data-seq={e.seq.to_string()} data-action={b.action.as_str()}>
                        <td data-label="#"><code>{ e.seq }</code></td>
                        <td data-label="When">{ time::local(&b.time) }</td>
                        <td data-label="Who">{ person(&props.names, b.actor_id, b.actor_role) }
                            if let Some(r) = b.actor_role { <span class="muted">{ format!(" ({r})") }</span> }</td>
                        <td data-label="What">{ action_words(b.action) }
                            if denied { { " " }<span class="badge badge-bad">{ outcome_words(b.outcome) }</span> }</td>
                        <td data-label="About">{ about }
                            if let Some(r) = b.record_id {
                                { " · " }<Link<Route> to={Route::SealedRecord { id: RecordId(r) }}>{ "sealed record" }</Link<Route>>
                            }</td>
                        <td data-label="Grounds">{ b.basis.map(|x| basis_words(x.kind)).unwrap_or_default() }</td>
                    </tr>
                }
            }) }</tbody>
        </table></div>
    }
}
