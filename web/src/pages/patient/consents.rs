//! Patient (or guardian): who may see the chart. Lists grants (active first)
//! with revoke, and grants a clinician access with scope, level and expiry.

use shared::consents::{Consent, ConsentStatus, GrantConsentRequest};
use shared::patients::PatientProfile;
use shared::UserId;
use yew::prelude::*;

use crate::api;
use crate::components::chart_switcher::WithChart;
use crate::components::confirm::ConfirmButton;
use crate::components::field::{FieldErrors, SelectField, TextField};
use crate::components::scope::{access_label, describe, ScopeChoice, ScopePicker};
use crate::components::status::{outcome, Empty, Notice};
use crate::components::time;
use crate::hooks::{use_in_flight, use_load, view_load, InFlight};

#[function_component(Consents)]
pub fn consents() -> Html {
    html! {
        <section class="page">
            <h1>{ "Consents" }</h1>
            <p class="muted">{ "Who may see this chart, how much, and until when. Revoking takes effect on their next request." }</p>
            <WithChart render={Callback::from(|p: PatientProfile| html! { <ConsentsView key={p.id.to_string()} profile={p.clone()} /> })} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    profile: PatientProfile,
}

#[function_component(ConsentsView)]
fn consents_view(props: &ViewProps) -> Html {
    let id = props.profile.id;
    let list = use_load(
        id,
        |id| async move { api::consents::list(Some(id), None).await },
    );
    let message = use_state(|| None::<Result<String, String>>);
    let revoking = use_in_flight();
    let revoke = {
        let (message, reload, revoking) = (message.clone(), list.reload.clone(), revoking.clone());
        Callback::from(move |c: Consent| {
            if !revoking.start() {
                return;
            }
            let (message, reload, revoking) = (message.clone(), reload.clone(), revoking.clone());
            yew::platform::spawn_local(async move {
                match api::consents::revoke(c.id).await {
                    Ok(()) => {
                        message.set(Some(Ok(format!("Access for {} revoked.", c.grantee_name))));
                        reload.emit(());
                    }
                    Err(e) => message.set(Some(Err(e.message()))),
                }
                revoking.idle();
            });
        })
    };
    let granted = {
        let (message, reload) = (message.clone(), list.reload.clone());
        Callback::from(move |c: Consent| {
            message.set(Some(Ok(format!(
                "{} may now see this chart.",
                c.grantee_name
            ))));
            reload.emit(());
        })
    };
    html! {
        <>
            { outcome(&message) }
            <div class="split">
                <div class="split-main">
                    { view_load(&list.state, |page| consents_table(&page.items, &revoke, &revoking)) }
                </div>
                <aside class="split-side"><GrantForm patient={props.profile.clone()} ongranted={granted} /></aside>
            </div>
        </>
    }
}

fn status_badge(s: ConsentStatus) -> Html {
    match s {
        ConsentStatus::Active => html! { <span class="badge badge-ok">{ "active" }</span> },
        ConsentStatus::Revoked => html! { <span class="badge badge-bad">{ "revoked" }</span> },
        ConsentStatus::Expired => html! { <span class="badge">{ "expired" }</span> },
    }
}

fn consents_table(items: &[Consent], revoke: &Callback<Consent>, busy: &InFlight) -> Html {
    if items.is_empty() {
        return html! { <Empty text="No one has been granted access to this chart." /> };
    }
    let mut rows = items.to_vec();
    rows.sort_by_key(|c| c.status != ConsentStatus::Active);
    html! {
        <div class="table-wrap"><table id="consents-table" class="table">
            <thead><tr><th>{ "Clinician" }</th><th>{ "Covers" }</th><th>{ "Access" }</th>
                <th>{ "Granted" }</th><th>{ "Until" }</th><th>{ "Status" }</th><th><span class="sr-only">{ "Action" }</span></th></tr></thead>
            <tbody>{ for rows.into_iter().map(|c| {
                let active = c.status == ConsentStatus::Active;
                let cb = revoke.clone();
                let cc = c.clone();
                html! {
                    <tr data-grantee={c.grantee_name.clone()} data-status={format!("{:?}", c.status).to_lowercase()}>
                        <td data-label="Clinician">{ &c.grantee_name }</td>
                        <td data-label="Covers">{ describe(&c.scope) }</td>
                        <td data-label="Access">{ access_label(c.access) }</td>
                        <td data-label="Granted">{ time::local(&c.created_at) }</td>
                        <td data-label="Until">{ c.expires_at.as_ref().map(time::local).unwrap_or_else(|| "no expiry".into()) }</td>
                        <td data-label="Status">{ status_badge(c.status) }</td>
                        <td class="actions">
                            if active {
                                <ConfirmButton label="Revoke" class="revoke" small=true disabled={busy.blocked()}
                                    question={format!("Revoke access for {}?", c.grantee_name)} confirm="Yes, revoke"
                                    onconfirm={move |_| cb.emit(cc.clone())} />
                            }
                        </td>
                    </tr>
                }
            }) }</tbody>
        </table></div>
    }
}

#[derive(Properties, PartialEq)]
struct GrantProps {
    patient: PatientProfile,
    ongranted: Callback<Consent>,
}

#[function_component(GrantForm)]
fn grant_form(props: &GrantProps) -> Html {
    let clinicians = use_load((), |_| async { api::patients::clinicians("").await });
    let grantee = use_state(String::new);
    let scope = use_state(ScopeChoice::default);
    let expires = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let sending = use_in_flight();

    let onsubmit = {
        let (grantee, scope, expires, errors, failure) = (
            grantee.clone(),
            scope.clone(),
            expires.clone(),
            errors.clone(),
            failure.clone(),
        );
        let sending = sending.clone();
        let (patient, ongranted) = (props.patient.id, props.ongranted.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            let who = grantee
                .parse::<UserId>()
                .map_err(|_| errs.add("grantee", "Choose a clinician"));
            let sc = scope.scope().map_err(|m| errs.add("scope", m));
            let until = if expires.trim().is_empty() {
                Ok(None)
            } else {
                match time::end_of_local_day(&expires) {
                    Some(t) if t.timestamp_millis() > time::now_millis() => Ok(Some(t)),
                    _ => {
                        errs.add("expires", "Choose a date from today on");
                        Err(())
                    }
                }
            };
            errors.set(errs);
            let (Ok(who), Ok(sc), Ok(until)) = (who, sc, until) else {
                return;
            };
            if !sending.start() {
                return;
            }
            let body = GrantConsentRequest {
                patient_id: patient,
                grantee_id: who,
                access: scope.access,
                scope: sc,
                expires_at: until,
            };
            let (failure, ongranted, grantee, expires, sending) = (
                failure.clone(),
                ongranted.clone(),
                grantee.clone(),
                expires.clone(),
                sending.clone(),
            );
            yew::platform::spawn_local(async move {
                match api::consents::grant(&body).await {
                    Ok(c) => {
                        failure.set(None);
                        grantee.set(String::new());
                        expires.set(String::new());
                        ongranted.emit(c);
                    }
                    Err(e) => failure.set(Some(e.message())),
                }
                sending.idle();
            });
        })
    };
    let mut options = vec![(String::new(), "Choose…".to_owned())];
    if let Some(page) = clinicians.ready() {
        options.extend(page.items.iter().map(|c| {
            let what = if c.specialty.is_empty() {
                c.role.to_string()
            } else {
                format!("{}, {}", c.role, c.specialty)
            };
            (
                c.user_id.to_string(),
                format!("{} ({what})", c.display_name),
            )
        }));
    }
    html! {
        <form id="grant-form" class="card form-grid" {onsubmit} novalidate=true>
            <h2>{ "Grant access" }</h2>
            if let Some(f) = &*failure { <Notice text={f.clone()} error=true /> }
            <SelectField id="grantee" label="Clinician" {options} value={(*grantee).clone()}
                onchange={let g = grantee.clone(); Callback::from(move |v| g.set(v))} error={errors.get("grantee")} />
            <ScopePicker id="grant" value={(*scope).clone()} onchange={let s = scope.clone(); Callback::from(move |v| s.set(v))}
                error={errors.get("scope")} />
            <TextField id="grant-expires" label="Until (optional)" input_type="date" value={(*expires).clone()}
                oninput={let x = expires.clone(); Callback::from(move |v| x.set(v))} error={errors.get("expires")}
                hint={AttrValue::Static("Access ends at the end of that day; leave empty for no expiry")} />
            <button id="grant-submit" type="submit" class="btn btn-primary" disabled={sending.blocked()}>
                { if sending.blocked() { "Granting…" } else { "Grant access" } }</button>
        </form>
    }
}
