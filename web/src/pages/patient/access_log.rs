//! Patient (or guardian): "who saw my data" — the ledger events about the
//! chart, newest first, each with a badge this browser verified itself
//! (inclusion proof + signed checkpoint + consistency, see `crate::verify`).
//! Open emergency accesses to the chart are shown on top.

use std::collections::HashMap;

use shared::patients::PatientProfile;
use yew::prelude::*;

use crate::api;
use crate::api::ledger::EventFilter;
use crate::components::chart_switcher::WithChart;
use crate::components::countdown::Countdown;
use crate::components::events::EventTable;
use crate::components::pager::Pager;
use crate::components::status::Empty;
use crate::hooks::{use_load, view_load};
use crate::session::use_session;

const PAGE: i64 = 20;

#[function_component(AccessLog)]
pub fn access_log() -> Html {
    html! {
        <section class="page">
            <h1>{ "Who saw my data" }</h1>
            <p class="muted">{ "Every access to this chart is written to a tamper-evident ledger. The ✓ badge means this browser checked the entry's proof against the ledger's signed checkpoint." }</p>
            <WithChart render={Callback::from(|p: PatientProfile| html! { <LogView key={p.id.to_string()} profile={p.clone()} /> })} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    profile: PatientProfile,
}

#[function_component(LogView)]
fn log_view(props: &ViewProps) -> Html {
    let session = use_session();
    let offset = use_state(|| 0i64);
    let filter = EventFilter {
        patient: Some(props.profile.id.0),
        limit: PAGE,
        offset: *offset,
        ..Default::default()
    };
    let events = use_load(filter, |f| async move { api::ledger::events(&f).await });
    let names = use_load((), |_| async { api::patients::clinicians("").await });
    let emergencies = use_load(props.profile.id, |id| async move {
        api::emergency::list(Some(id), Some("open")).await
    });

    let mut name_map: HashMap<uuid::Uuid, String> = HashMap::new();
    if let Some(page) = names.ready() {
        for c in &page.items {
            name_map.insert(c.user_id.0, c.display_name.clone());
        }
    }
    if let Some(u) = session.user() {
        name_map.insert(u.id.0, format!("{} (you)", u.display_name));
    }
    if let Some(uid) = props.profile.user_id {
        name_map
            .entry(uid.0)
            .or_insert_with(|| props.profile.full_name.clone());
    }
    let on_page = {
        let offset = offset.clone();
        Callback::from(move |o| offset.set(o))
    };
    html! {
        <>
            if let Some(page) = emergencies.ready() {
                { for page.items.iter().map(|e| html! {
                    <p class="banner banner-warn emergency-notice">
                        { format!("Emergency access by {}: “{}” — ", e.doctor_name, e.reason) }
                        <Countdown until={e.expires_at} />
                    </p>
                }) }
            }
            { view_load(&events.state, |page| if page.items.is_empty() {
                html! { <Empty text="No one has accessed this chart yet." /> }
            } else {
                html! {
                    <>
                        <EventTable id="access-log" items={page.items.clone()} names={name_map.clone()} verify=true />
                        <Pager total={page.total} limit={page.limit} offset={page.offset} onpage={on_page.clone()} />
                    </>
                }
            }) }
        </>
    }
}
