//! Ledger events as table rows: time, who (named when known), action in
//! words, outcome, basis, and optionally the browser-verified badge.

use std::collections::HashMap;

use shared::ledger::api::LedgerEventItem;
use shared::ledger::{Action, Outcome};
use shared::RecordId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

use super::time;
use super::verify_badge::VerifyBadge;

/// "record viewed" for `record_viewed`.
pub fn action_words(a: Action) -> String {
    a.as_str().replace('_', " ")
}

#[derive(Properties, PartialEq)]
pub struct EventTableProps {
    pub id: AttrValue,
    pub items: Vec<LedgerEventItem>,
    /// Display names by user id (unknown ids are shortened).
    #[prop_or_default]
    pub names: HashMap<uuid::Uuid, String>,
    /// Show a verified badge per row (checked in this browser).
    #[prop_or_default]
    pub verify: bool,
    /// Show patient and record columns (the admin explorer).
    #[prop_or_default]
    pub subjects: bool,
}

#[function_component(EventTable)]
pub fn event_table(props: &EventTableProps) -> Html {
    let name = |id: Option<uuid::Uuid>| match id {
        None => "system".to_owned(),
        Some(id) => props
            .names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("{}…", &id.to_string()[..8])),
    };
    html! {
        <div class="table-wrap"><table id={props.id.clone()} class="table events">
            <thead><tr>
                <th>{ "#" }</th><th>{ "When" }</th><th>{ "Who" }</th><th>{ "Action" }</th>
                if props.subjects { <th>{ "Patient" }</th><th>{ "Record" }</th> }
                <th>{ "Basis" }</th>
                if props.verify { <th>{ "Ledger" }</th> }
            </tr></thead>
            <tbody>{ for props.items.iter().map(|item| {
                let e = &item.event;
                let b = &e.body;
                let denied = b.outcome != Outcome::Allowed;
                html! {
                    <tr data-seq={e.seq.to_string()} data-action={b.action.as_str()}>
                        <td data-label="#"><code>{ e.seq }</code></td>
                        <td data-label="When">{ time::local(&b.time) }</td>
                        <td data-label="Who">{ name(b.actor_id) }
                            if let Some(r) = b.actor_role { <span class="muted">{ format!(" ({r})") }</span> }</td>
                        <td data-label="Action">{ action_words(b.action) }
                            if denied { { " " }<span class="badge badge-bad">{ b.outcome.as_str() }</span> }</td>
                        if props.subjects {
                            <td data-label="Patient">{ b.patient_id.map(|p| format!("{}…", &p.to_string()[..8])).unwrap_or_default() }</td>
                            <td data-label="Record">{ match b.record_id {
                                Some(r) => html! { <Link<Route> to={Route::SealedRecord { id: RecordId(r) }}>{ format!("{}…", &r.to_string()[..8]) }</Link<Route>> },
                                None => html! {},
                            } }</td>
                        }
                        <td data-label="Basis">{ b.basis.map(|x| x.kind.as_str().replace('_', " ")).unwrap_or_default() }</td>
                        if props.verify { <td data-label="Ledger"><VerifyBadge seq={e.seq} /></td> }
                    </tr>
                }
            }) }</tbody>
        </table></div>
    }
}
