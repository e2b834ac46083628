//! Doctor: find any patient in the directory (the search is logged), then
//! request access (purpose, scope, duration) or open emergency access with a
//! reason, which opens the chart at once with a countdown.

use shared::consents::NewAccessRequest;
use shared::emergency::{OpenEmergencyRequest, MAX_MINUTES, MIN_REASON_CHARS};
use shared::patients::DirectoryEntry;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::confirm::ConfirmButton;
use crate::components::field::{FieldErrors, TextArea, TextField};
use crate::components::scope::{ScopeChoice, ScopePicker};
use crate::components::status::{focus_node, outcome, Empty, ErrorBanner, Loading, Notice};
use crate::hooks::{use_in_flight, Load, Phase};
use crate::route::Route;

#[function_component(FindPatient)]
pub fn find_patient() -> Html {
    let q = use_state(String::new);
    let results = use_state(|| None::<Load<Vec<DirectoryEntry>>>);
    let chosen = use_state(|| None::<DirectoryEntry>);
    let heading = use_node_ref();
    {
        // After "Choose", focus goes to the forms for that patient.
        let heading = heading.clone();
        use_effect_with(chosen.as_ref().map(|p| p.id), move |id| {
            if id.is_some() {
                focus_node(&heading);
            }
        });
    }
    let onsubmit = {
        let (q, results, chosen) = (q.clone(), results.clone(), chosen.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = q.trim().to_owned();
            if text.is_empty() {
                return;
            }
            results.set(Some(Load::Loading));
            chosen.set(None);
            let results = results.clone();
            yew::platform::spawn_local(async move {
                results.set(Some(match api::patients::directory(&text).await {
                    Ok(p) => Load::Ready(std::rc::Rc::new(p.items)),
                    Err(e) => Load::Failed(e),
                }));
            });
        })
    };
    html! {
        <section class="page">
            <h1>{ "Find a patient" }</h1>
            <p class="muted">{ "Search by name or record number. Searches are recorded in the ledger." }</p>
            <form class="toolbar" {onsubmit}>
                <input id="directory-q" type="search" placeholder="Name or record number" aria-label="Search patients"
                    value={(*q).clone()} oninput={let q = q.clone(); move |e: InputEvent| q.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())} />
                <button id="directory-search" class="btn" type="submit">{ "Search" }</button>
            </form>
            { match &*results {
                None => html! {},
                Some(Load::Loading) => html! { <Loading /> },
                Some(Load::Failed(e)) => html! { <ErrorBanner error={e.clone()} /> },
                Some(Load::Ready(items)) if items.is_empty() => html! { <Empty text="No patient matches." /> },
                Some(Load::Ready(items)) => html! {
                    <div class="table-wrap"><table id="directory-results" class="table">
                        <thead><tr><th>{ "Patient" }</th><th>{ "Record no." }</th><th><span class="sr-only">{ "Action" }</span></th></tr></thead>
                        <tbody>{ for items.iter().map(|p| {
                            let (chosen, entry) = (chosen.clone(), p.clone());
                            html! { <tr data-patient={p.full_name.clone()}>
                                <td data-label="Patient">{ &p.full_name }</td>
                                <td data-label="Record no."><code>{ &p.mrn }</code></td>
                                <td class="actions"><button class="btn btn-small choose" onclick={move |_| chosen.set(Some(entry.clone()))}>{ "Choose" }</button></td>
                            </tr> }
                        }) }</tbody>
                    </table></div>
                },
            } }
            if let Some(p) = (*chosen).clone() {
                <h2 id="access-heading" ref={heading.clone()} tabindex="-1">{ format!("Access to {}", p.full_name) }</h2>
                <div class="split">
                    <div class="split-main"><RequestForm key={format!("r{}", p.id)} patient={p.clone()} /></div>
                    <aside class="split-side"><EmergencyForm key={format!("e{}", p.id)} patient={p.clone()} /></aside>
                </div>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FormProps {
    patient: DirectoryEntry,
}

#[function_component(RequestForm)]
fn request_form(props: &FormProps) -> Html {
    let purpose = use_state(String::new);
    let scope = use_state(ScopeChoice::default);
    let hours = use_state(|| "72".to_owned());
    let errors = use_state(FieldErrors::default);
    let message = use_state(|| None::<Result<String, String>>);
    let sending = use_in_flight();
    let onsubmit = {
        let (purpose, scope, hours, errors, message) = (
            purpose.clone(),
            scope.clone(),
            hours.clone(),
            errors.clone(),
            message.clone(),
        );
        let (patient, sending) = (props.patient.clone(), sending.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            let n = purpose.trim().chars().count();
            if !(3..=500).contains(&n) {
                errs.add("purpose", "Say why you need access (3 to 500 characters)");
            }
            let sc = scope.scope().map_err(|m| errs.add("scope", m));
            let h = hours
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|h| (1..=8760).contains(h));
            if h.is_none() {
                errs.add("hours", "Enter 1 to 8760 hours");
            }
            errors.set(errs.clone());
            let (Ok(sc), Some(h), true) = (sc, h, errs.is_empty()) else {
                return;
            };
            if !sending.start() {
                return;
            }
            let body = NewAccessRequest {
                patient_id: patient.id,
                purpose: purpose.trim().to_owned(),
                access: scope.access,
                scope: sc,
                duration_hours: h,
            };
            let (message, name, sending) =
                (message.clone(), patient.full_name.clone(), sending.clone());
            yew::platform::spawn_local(async move {
                match api::consents::request_access(&body).await {
                    Ok(_) => {
                        sending.done();
                        message.set(Some(Ok(format!(
                            "Request sent. {name} will be asked to approve it."
                        ))));
                    }
                    Err(e) => {
                        sending.idle();
                        message.set(Some(Err(e.message())));
                    }
                }
            });
        })
    };
    html! {
        <form id="request-form" class="card form-grid" {onsubmit} novalidate=true>
            <h3>{ "Request access" }</h3>
            { outcome(&message) }
            <TextArea id="request-purpose" label="Purpose" value={(*purpose).clone()}
                oninput={let p = purpose.clone(); Callback::from(move |v| p.set(v))} error={errors.get("purpose")} />
            <ScopePicker id="request" value={(*scope).clone()} onchange={let s = scope.clone(); Callback::from(move |v| s.set(v))} error={errors.get("scope")} />
            <TextField id="request-hours" label="For how many hours" value={(*hours).clone()}
                oninput={let h = hours.clone(); Callback::from(move |v| h.set(v))} error={errors.get("hours")} />
            <button id="request-submit" type="submit" class="btn btn-primary" disabled={sending.blocked()}>
                { match sending.phase() { Phase::Idle => "Send request", Phase::Busy => "Sending…", Phase::Done => "Request sent" } }
            </button>
        </form>
    }
}

#[function_component(EmergencyForm)]
fn emergency_form(props: &FormProps) -> Html {
    let navigator = use_navigator();
    let reason = use_state(String::new);
    let minutes = use_state(|| MAX_MINUTES.to_string());
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let opening = use_in_flight();
    // The request, once the fields are valid (asked to confirm before sending).
    let valid = {
        let (reason, minutes, errors) = (reason.clone(), minutes.clone(), errors.clone());
        Callback::from(move |_: ()| -> Option<OpenEmergencyRequest> {
            let mut errs = FieldErrors::default();
            if reason.trim().chars().count() < MIN_REASON_CHARS {
                errs.add(
                    "reason",
                    format!("Give the reason (at least {MIN_REASON_CHARS} characters)"),
                );
            }
            let m = minutes
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=MAX_MINUTES).contains(m));
            if m.is_none() {
                errs.add("minutes", format!("Enter 1 to {MAX_MINUTES} minutes"));
            }
            errors.set(errs.clone());
            errs.is_empty().then(|| OpenEmergencyRequest {
                reason: reason.trim().to_owned(),
                duration_minutes: m,
            })
        })
    };
    let check = {
        let valid = valid.clone();
        Callback::from(move |_: ()| valid.emit(()).is_some())
    };
    let open = {
        let (failure, navigator, opening) = (failure.clone(), navigator.clone(), opening.clone());
        let id = props.patient.id;
        Callback::from(move |_: ()| {
            let Some(body) = valid.emit(()) else {
                return;
            };
            if !opening.start() {
                return;
            }
            let (failure, navigator, opening) =
                (failure.clone(), navigator.clone(), opening.clone());
            yew::platform::spawn_local(async move {
                match api::emergency::open(id, &body).await {
                    Ok(_) => {
                        opening.done();
                        if let Some(n) = navigator {
                            n.push(&Route::Patient { id });
                        }
                    }
                    Err(e) => {
                        opening.idle();
                        failure.set(Some(e.message()));
                    }
                }
            });
        })
    };
    let question = format!(
        "Open the whole chart of {} now? The patient and the admins are told.",
        props.patient.full_name
    );
    html! {
        <form id="emergency-form" class="card form-grid emergency" onsubmit={|e: SubmitEvent| e.prevent_default()} novalidate=true>
            <h3>{ "Emergency access" }</h3>
            <p class="muted">{ "Opens the whole chart at once for a limited time. The patient and the admins are told, and an admin reviews every use." }</p>
            if let Some(f) = &*failure { <Notice text={f.clone()} error=true /> }
            <TextArea id="emergency-reason" label="Reason" value={(*reason).clone()}
                oninput={let r = reason.clone(); Callback::from(move |v| r.set(v))} error={errors.get("reason")} />
            <TextField id="emergency-minutes" label="Minutes" value={(*minutes).clone()}
                oninput={let m = minutes.clone(); Callback::from(move |v| m.set(v))} error={errors.get("minutes")} />
            <ConfirmButton id="emergency-submit" label="Open emergency access" {question}
                confirm="Yes, open the chart" {check} onconfirm={open} disabled={opening.blocked()} />
        </form>
    }
}
