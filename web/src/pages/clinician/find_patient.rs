//! Doctor: find any patient in the directory (the search is logged), then
//! request access (purpose, scope, duration) or open emergency access with a
//! reason, which opens the chart at once with a countdown.

use shared::consents::NewAccessRequest;
use shared::emergency::{OpenEmergencyRequest, MAX_MINUTES, MIN_REASON_CHARS};
use shared::patients::DirectoryEntry;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::field::{FieldErrors, TextArea, TextField};
use crate::components::scope::{ScopeChoice, ScopePicker};
use crate::components::status::{outcome, Empty, ErrorBanner, Loading};
use crate::hooks::Load;
use crate::route::Route;

#[function_component(FindPatient)]
pub fn find_patient() -> Html {
    let q = use_state(String::new);
    let results = use_state(|| None::<Load<Vec<DirectoryEntry>>>);
    let chosen = use_state(|| None::<DirectoryEntry>);
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
                        <thead><tr><th>{ "Patient" }</th><th>{ "Record no." }</th><th></th></tr></thead>
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
                <h2>{ format!("Access to {}", p.full_name) }</h2>
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
    let onsubmit = {
        let (purpose, scope, hours, errors, message) = (
            purpose.clone(),
            scope.clone(),
            hours.clone(),
            errors.clone(),
            message.clone(),
        );
        let patient = props.patient.clone();
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
            let body = NewAccessRequest {
                patient_id: patient.id,
                purpose: purpose.trim().to_owned(),
                access: scope.access,
                scope: sc,
                duration_hours: h,
            };
            let (message, name) = (message.clone(), patient.full_name.clone());
            yew::platform::spawn_local(async move {
                message.set(Some(match api::consents::request_access(&body).await {
                    Ok(_) => Ok(format!("Request sent. {name} will be asked to approve it.")),
                    Err(e) => Err(e.message()),
                }));
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
            <button id="request-submit" type="submit" class="btn btn-primary">{ "Send request" }</button>
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
    let onsubmit = {
        let (reason, minutes, errors, failure) = (
            reason.clone(),
            minutes.clone(),
            errors.clone(),
            failure.clone(),
        );
        let id = props.patient.id;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
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
            if !errs.is_empty() {
                return;
            }
            let body = OpenEmergencyRequest {
                reason: reason.trim().to_owned(),
                duration_minutes: m,
            };
            let (failure, navigator) = (failure.clone(), navigator.clone());
            yew::platform::spawn_local(async move {
                match api::emergency::open(id, &body).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Patient { id });
                        }
                    }
                    Err(e) => failure.set(Some(e.message())),
                }
            });
        })
    };
    html! {
        <form id="emergency-form" class="card form-grid emergency" {onsubmit} novalidate=true>
            <h3>{ "Emergency access" }</h3>
            <p class="muted">{ "Opens the whole chart at once for a limited time. The patient and the admins are told, and an admin reviews every use." }</p>
            if let Some(f) = &*failure { <p class="banner banner-error" role="alert">{ f.clone() }</p> }
            <TextArea id="emergency-reason" label="Reason" value={(*reason).clone()}
                oninput={let r = reason.clone(); Callback::from(move |v| r.set(v))} error={errors.get("reason")} />
            <TextField id="emergency-minutes" label="Minutes" value={(*minutes).clone()}
                oninput={let m = minutes.clone(); Callback::from(move |v| m.set(v))} error={errors.get("minutes")} />
            <button id="emergency-submit" type="submit" class="btn btn-danger">{ "Open emergency access" }</button>
        </form>
    }
}
