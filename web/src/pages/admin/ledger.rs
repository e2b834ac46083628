//! Admin: the ledger explorer — every event, filtered by action, patient or
//! actor, paged; and full verification, which names the first bad event.

use std::collections::HashMap;

use shared::ledger::api::VerifyReport;
use shared::ledger::Action;
use yew::prelude::*;

use crate::api;
use crate::api::ledger::EventFilter;
use crate::components::events::{action_words, EventTable};
use crate::components::pager::Pager;
use crate::components::status::{Empty, ErrorBanner, Loading};
use crate::hooks::{use_load, view_load, Load};

const PAGE: i64 = 25;

#[function_component(AdminLedger)]
pub fn admin_ledger() -> Html {
    let filter = use_state(|| EventFilter {
        limit: PAGE,
        ..Default::default()
    });
    let patient = use_state(String::new);
    let actor = use_state(String::new);
    let filter_error = use_state(|| None::<String>);
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
    let report = use_state(|| None::<Load<VerifyReport>>);

    let names: HashMap<uuid::Uuid, String> = users
        .ready()
        .map(|p| {
            p.items
                .iter()
                .map(|u| (u.id.0, u.display_name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let on_action = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            filter.set(EventFilter {
                action: (!v.is_empty()).then_some(v),
                offset: 0,
                ..(*filter).clone()
            });
        })
    };
    let on_apply = {
        let (filter, patient, actor, filter_error) = (
            filter.clone(),
            patient.clone(),
            actor.clone(),
            filter_error.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parse = |s: &str| {
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    s.trim().parse::<uuid::Uuid>().map(Some)
                }
            };
            match (parse(&patient), parse(&actor)) {
                (Ok(p), Ok(a)) => {
                    filter_error.set(None);
                    filter.set(EventFilter {
                        patient: p,
                        actor: a,
                        offset: 0,
                        ..(*filter).clone()
                    });
                }
                _ => filter_error.set(Some("Patient and actor filters take an id (UUID)".into())),
            }
        })
    };
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
    let text_input = |id: &'static str, label: &'static str, h: &UseStateHandle<String>| {
        let h2 = h.clone();
        html! { <input id={id} type="text" placeholder={label} aria-label={label} value={(**h).clone()}
        oninput={move |e: InputEvent| h2.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())} /> }
    };
    html! {
        <section class="page">
            <div class="header-row">
                <h1>{ "Ledger" }</h1>
                <button id="verify-ledger" class="btn btn-primary" onclick={verify}>{ "Verify the whole ledger" }</button>
            </div>
            { report_view(&report) }
            <form class="toolbar" onsubmit={on_apply}>
                <select id="ledger-action" aria-label="Action" onchange={on_action}>
                    <option value="" selected={filter.action.is_none()}>{ "All actions" }</option>
                    { for Action::ALL.iter().map(|a| html! {
                        <option value={a.as_str()} selected={filter.action.as_deref() == Some(a.as_str())}>{ action_words(*a) }</option>
                    }) }
                </select>
                { text_input("ledger-patient", "Patient id", &patient) }
                { text_input("ledger-actor", "Actor id", &actor) }
                <button class="btn" type="submit">{ "Filter" }</button>
                <button id="ledger-refresh" class="btn btn-quiet" type="button"
                    onclick={let r = events.reload.clone(); move |_| r.emit(())}>{ "Refresh" }</button>
            </form>
            if let Some(e) = &*filter_error { <p class="field-error">{ e.clone() }</p> }
            { view_load(&events.state, |page| if page.items.is_empty() {
                html! { <Empty text="No events match." /> }
            } else {
                html! { <>
                    <EventTable id="ledger-events" items={page.items.clone()} names={names.clone()} subjects=true />
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
