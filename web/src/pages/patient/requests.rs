//! Patient (or guardian): access requests from clinicians. Pending ones can
//! be approved as asked, approved narrower (fewer kinds, read only, shorter),
//! or denied with a note; decided ones are listed below.

use shared::consents::{AccessRequestView, ApproveAccessRequest, DenyAccessRequest, RequestStatus};
use shared::patients::PatientProfile;
use yew::prelude::*;

use crate::api;
use crate::components::chart_switcher::WithChart;
use crate::components::confirm::ConfirmButton;
use crate::components::field::TextField;
use crate::components::scope::{access_label, describe, ScopeChoice, ScopePicker};
use crate::components::status::{outcome, Empty, Notice};
use crate::components::time;
use crate::hooks::{use_in_flight, use_load, view_load};

#[function_component(Requests)]
pub fn requests() -> Html {
    html! {
        <section class="page">
            <h1>{ "Access requests" }</h1>
            <WithChart render={Callback::from(|p: PatientProfile| html! { <RequestsView key={p.id.to_string()} profile={p.clone()} /> })} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    profile: PatientProfile,
}

#[function_component(RequestsView)]
fn requests_view(props: &ViewProps) -> Html {
    let list = use_load(props.profile.id, |id| async move {
        api::consents::requests(Some(id), None).await
    });
    let message = use_state(|| None::<Result<String, String>>);
    let done = {
        let (message, reload) = (message.clone(), list.reload.clone());
        Callback::from(move |m: Result<String, String>| {
            let ok = m.is_ok();
            message.set(Some(m));
            if ok {
                reload.emit(());
            }
        })
    };
    html! {
        <>
            { outcome(&message) }
            { view_load(&list.state, |page| {
                let (pending, decided): (Vec<_>, Vec<_>) =
                    page.items.iter().cloned().partition(|r| r.status == RequestStatus::Pending);
                html! {
                    <>
                        <h2>{ "Waiting for your answer" }</h2>
                        if pending.is_empty() { <Empty text="No requests are waiting." /> }
                        { for pending.into_iter().map(|r| html! { <PendingCard key={r.id.to_string()} request={r.clone()} ondone={done.clone()} /> }) }
                        <h2>{ "Decided" }</h2>
                        { decided_table(&decided) }
                    </>
                }
            }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct PendingProps {
    request: AccessRequestView,
    ondone: Callback<Result<String, String>>,
}

#[function_component(PendingCard)]
fn pending_card(props: &PendingProps) -> Html {
    let r = &props.request;
    let narrowing = use_state(|| false);
    let scope = use_state(|| ScopeChoice::from_scope(&r.scope, r.access));
    let hours = use_state(|| r.duration_hours.to_string());
    let note = use_state(String::new);
    let error = use_state(|| None::<String>);
    let deciding = use_in_flight();

    // A decision is sent once: the card stays locked after a success (the
    // list reloads without it) and unlocks after a failure.
    let finish = {
        let (deciding, done) = (deciding.clone(), props.ondone.clone());
        Callback::from(move |m: Result<String, String>| {
            if m.is_ok() {
                deciding.done();
            } else {
                deciding.idle();
            }
            done.emit(m);
        })
    };
    let approve = {
        let (r, narrowing, scope, hours, error, done) = (
            r.clone(),
            narrowing.clone(),
            scope.clone(),
            hours.clone(),
            error.clone(),
            finish.clone(),
        );
        let deciding = deciding.clone();
        Callback::from(move |_: MouseEvent| {
            let body = if *narrowing {
                let sc = match scope.scope() {
                    Ok(s) => s,
                    Err(m) => return error.set(Some(m)),
                };
                let h = match hours.trim().parse::<i32>() {
                    Ok(h) if (1..=r.duration_hours).contains(&h) => h,
                    _ => {
                        return error.set(Some(format!("Hours must be 1 to {}", r.duration_hours)))
                    }
                };
                ApproveAccessRequest {
                    access: Some(scope.access),
                    scope: Some(sc),
                    duration_hours: Some(h),
                }
            } else {
                ApproveAccessRequest::default()
            };
            if !deciding.start() {
                return;
            }
            let (id, name, done) = (r.id, r.requester_name.clone(), done.clone());
            yew::platform::spawn_local(async move {
                done.emit(match api::consents::approve(id, &body).await {
                    Ok(_) => Ok(format!("Approved: {name} now has access.")),
                    Err(e) => Err(e.message()),
                });
            });
        })
    };
    let deny = {
        let (id, name, note, done) = (r.id, r.requester_name.clone(), note.clone(), finish);
        let deciding = deciding.clone();
        Callback::from(move |_: ()| {
            if !deciding.start() {
                return;
            }
            let text = note.trim().to_owned();
            let body = DenyAccessRequest {
                note: (!text.is_empty()).then_some(text),
            };
            let (name, done) = (name.clone(), done.clone());
            yew::platform::spawn_local(async move {
                done.emit(match api::consents::deny(id, &body).await {
                    Ok(()) => Ok(format!("Denied the request from {name}.")),
                    Err(e) => Err(e.message()),
                });
            });
        })
    };
    html! {
        <article class="card pending-request" data-requester={r.requester_name.clone()}>
            <div class="record-head">
                <strong>{ &r.requester_name }</strong>
                <span class="muted">{ time::local(&r.created_at) }</span>
            </div>
            <p class="purpose">{ format!("“{}”", r.purpose.clone().unwrap_or_default()) }</p>
            <p class="muted">{ format!("Asks for: {} · {} · {} hours", describe(&r.scope), access_label(r.access), r.duration_hours) }</p>
            if let Some(e) = &*error { <Notice text={e.clone()} error=true /> }
            if *narrowing {
                <ScopePicker id={format!("narrow-{}", r.id)} value={(*scope).clone()} onchange={let s = scope.clone(); Callback::from(move |v| s.set(v))} />
                <TextField id={format!("narrow-hours-{}", r.id)} label="Hours" value={(*hours).clone()}
                    oninput={let h = hours.clone(); Callback::from(move |v| h.set(v))} />
            }
            <TextField id={format!("deny-note-{}", r.id)} label="Note if you deny (optional)" value={(*note).clone()}
                oninput={let n = note.clone(); Callback::from(move |v| n.set(v))} />
            <div class="form-actions">
                <button class="btn btn-primary approve" onclick={approve} disabled={deciding.blocked()}>
                    { if *narrowing { "Approve narrower" } else { "Approve" } }
                </button>
                if !*narrowing {
                    <button class="btn narrow" disabled={deciding.blocked()} onclick={let n = narrowing.clone(); move |_| n.set(true)}>{ "Narrow…" }</button>
                }
                <ConfirmButton label="Deny" class="deny" disabled={deciding.blocked()}
                    question={format!("Deny the request from {}?", r.requester_name)} confirm="Yes, deny"
                    onconfirm={deny} />
            </div>
        </article>
    }
}

fn decided_table(items: &[AccessRequestView]) -> Html {
    if items.is_empty() {
        return html! { <Empty text="Nothing decided yet." /> };
    }
    html! {
        <div class="table-wrap"><table id="decided-requests" class="table">
            <thead><tr><th>{ "Clinician" }</th><th>{ "Purpose" }</th><th>{ "Asked for" }</th><th>{ "Decision" }</th><th>{ "When" }</th></tr></thead>
            <tbody>{ for items.iter().map(|r| html! {
                <tr>
                    <td data-label="Clinician">{ &r.requester_name }</td>
                    <td data-label="Purpose">{ r.purpose.clone().unwrap_or_default() }</td>
                    <td data-label="Asked for">{ format!("{} · {}", describe(&r.scope), access_label(r.access)) }</td>
                    <td data-label="Decision">{ match r.status {
                        RequestStatus::Approved => html! { <span class="badge badge-ok">{ "approved" }</span> },
                        RequestStatus::Denied => html! { <span class="badge badge-bad">{ "denied" }</span> },
                        RequestStatus::Pending => html! { <span class="badge">{ "pending" }</span> },
                    } }</td>
                    <td data-label="When">{ time::local_opt(r.decided_at.as_ref()) }</td>
                </tr>
            }) }</tbody>
        </table></div>
    }
}
