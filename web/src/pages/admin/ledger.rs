//! Admin: the ledger explorer — every event, filtered by what happened, who
//! did it, whose chart it was about and when (chosen by name and date, never
//! typed ids), paged; and full verification, which names the first bad event.

use shared::ledger::api::VerifyReport;
use shared::ledger::Action;
use yew::prelude::*;

use crate::api;
use crate::api::ledger::EventFilter;
use crate::components::events::{EventTable, Names};
use crate::components::field::control_value;
use crate::components::pager::Pager;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::components::time;
use crate::hooks::{use_load, view_load, Load};
use crate::words::action_words;

const PAGE: i64 = 25;

#[function_component(AdminLedger)]
pub fn admin_ledger() -> Html {
    let filter = use_state(|| EventFilter {
        limit: PAGE,
        ..Default::default()
    });
    let events = use_load((*filter).clone(), |f| async move {
        api::ledger::events(&f).await
    });
    let users = use_load((), |_| async {
        api::users::list(&api::users::UserQuery {
            limit: 100,
            ..Default::default()
        })
        .await
    });
    let charts = use_load((), |_| async { api::patients::list("", 100, 0).await });
    let report = use_state(|| None::<Load<VerifyReport>>);

    let names: Names = users
        .ready()
        .map(|p| {
            p.items
                .iter()
                .map(|u| (u.id.0, format!("{} ({})", u.display_name, u.username)))
                .collect()
        })
        .unwrap_or_default();
    let patients: Names = charts
        .ready()
        .map(|p| {
            p.items
                .iter()
                .map(|c| (c.id.0, c.full_name.clone()))
                .collect()
        })
        .unwrap_or_default();
    // Every filter applies at once and starts from the newest event.
    let set = |apply: fn(&mut EventFilter, String)| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = control_value(&e);
            let mut next = (*filter).clone();
            apply(&mut next, v);
            next.offset = 0;
            filter.set(next);
        })
    };
    let on_action = set(|f, v| f.action = (!v.is_empty()).then_some(v));
    let on_actor = set(|f, v| f.actor = v.parse().ok());
    let on_patient = set(|f, v| f.patient = v.parse().ok());
    let on_from = set(|f, v| f.from = time::start_of_local_day(&v));
    let on_to =
        set(|f, v| f.to = time::end_of_local_day(&v).map(|t| t + chrono::Duration::seconds(1)));
    let on_page = {
        let filter = filter.clone();
        Callback::from(move |o| {
            filter.set(EventFilter {
                offset: o,
                ..(*filter).clone()
            })
        })
    };
    let verify = {
        let report = report.clone();
        Callback::from(move |_: MouseEvent| {
            if matches!(*report, Some(Load::Loading)) {
                return;
            }
            report.set(Some(Load::Loading));
            let report = report.clone();
            yew::platform::spawn_local(async move {
                report.set(Some(match api::ledger::verify().await {
                    Ok(r) => Load::Ready(std::rc::Rc::new(r)),
                    Err(e) => Load::Failed(e),
                }));
            });
        })
    };
    let mut people: Vec<(uuid::Uuid, String)> =
        names.iter().map(|(k, v)| (*k, v.clone())).collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    let mut charts_sorted: Vec<(uuid::Uuid, String)> =
        patients.iter().map(|(k, v)| (*k, v.clone())).collect();
    charts_sorted.sort_by(|a, b| a.1.cmp(&b.1));
    let options = |list: &[(uuid::Uuid, String)], current: Option<uuid::Uuid>| {
        list.iter()
            .map(|(id, n)| html! { <option value={id.to_string()} selected={current == Some(*id)}>{ n.clone() }</option> })
            .collect::<Html>()
    };
    html! {
        <section class="page">
            <div class="header-row">
                <h1>{ "Ledger" }</h1>
                <button id="verify-ledger" class="btn btn-primary" onclick={verify}
                    disabled={matches!(*report, Some(Load::Loading))}>{ "Verify the whole ledger" }</button>
            </div>
            { report_view(&report) }
            <form class="filters" onsubmit={|e: SubmitEvent| e.prevent_default()}>
                <div class="field">
                    <label for="ledger-action">{ "What" }</label>
                    <select id="ledger-action" onchange={on_action}>
                        <option value="" selected={filter.action.is_none()}>{ "Everything" }</option>
                        { for Action::ALL.iter().map(|a| html! {
                            <option value={a.as_str()} selected={filter.action.as_deref() == Some(a.as_str())}>{ action_words(*a) }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="ledger-actor">{ "Who" }</label>
                    <select id="ledger-actor" onchange={on_actor}>
                        <option value="" selected={filter.actor.is_none()}>{ "Anyone" }</option>
                        { options(&people, filter.actor) }
                    </select>
                </div>
                <div class="field">
                    <label for="ledger-patient">{ "About the chart of" }</label>
                    <select id="ledger-patient" onchange={on_patient}>
                        <option value="" selected={filter.patient.is_none()}>{ "Any patient" }</option>
                        { options(&charts_sorted, filter.patient) }
                    </select>
                </div>
                <div class="field">
                    <label for="ledger-from">{ "From" }</label>
                    <input id="ledger-from" type="date" onchange={on_from} />
                </div>
                <div class="field">
                    <label for="ledger-to">{ "Until" }</label>
                    <input id="ledger-to" type="date" onchange={on_to} />
                </div>
                <button id="ledger-refresh" class="btn btn-quiet" type="button"
                    onclick={let r = events.reload.clone(); move |_| r.emit(())}>{ "Refresh" }</button>
            </form>
            { view_load(&events.state, |page| if page.items.is_empty() {
                html! { <Empty text="No events match." /> }
            } else {
                html! { <>
                    <EventTable id="ledger-events" items={page.items.clone()} names={names.clone()} patients={patients.clone()} />
                    <Pager total={page.total} limit={page.limit} offset={page.offset} onpage={on_page.clone()} />
                </> }
            }) }
        </section>
    }
}

fn report_view(report: &Option<Load<VerifyReport>>) -> Html {
    match report {
        None => html! {},
        Some(Load::Loading) => html! { <Loading /> },
        Some(Load::Failed(e)) => html! { <ErrorBanner error={e.clone()} /> },
        Some(Load::Ready(r)) if r.valid => html! {
            <p id="verify-result" class="banner banner-ok">
                { format!("Ledger verified: {} events and {} signed checkpoints recomputed, no alteration found.", r.checked, r.checkpoints_checked) }
            </p>
        },
        Some(Load::Ready(r)) => html! {
            <p id="verify-result" class="banner banner-error" role="alert">
                { format!("Ledger NOT valid: first bad event #{} — {}. {} events verified before it.",
                    r.first_invalid_seq.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    r.reason.clone().unwrap_or_default(), r.checked) }
            </p>
        },
    }
}
