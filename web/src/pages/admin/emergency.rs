//! Admin: emergency accesses to review (and those already reviewed). A
//! review needs a note; open ones show their countdown. Lists carry no
//! reason: the card fetches it for its review ("Open for review"), which the
//! api logs for the chart.

use shared::emergency::EmergencyAccess;
use yew::prelude::*;

use crate::api;
use crate::components::countdown::Countdown;
use crate::components::status::{outcome, Empty};
use crate::components::time;
use crate::hooks::{use_in_flight, use_load, view_load};

#[function_component(AdminEmergency)]
pub fn admin_emergency() -> Html {
    let filter = use_state(|| "unreviewed".to_owned());
    let data = use_load((*filter).clone(), |f| async move {
        api::emergency::list(None, Some(&f)).await
    });
    let message = use_state(|| None::<Result<String, String>>);
    let done = {
        let (message, reload) = (message.clone(), data.reload.clone());
        Callback::from(move |m: Result<String, String>| {
            if m.is_ok() {
                reload.emit(());
            }
            message.set(Some(m));
        })
    };
    let tab = |value: &'static str, label: &'static str| {
        let f = filter.clone();
        html! { <button type="button" class={classes!("tab", (*filter == value).then_some("active"))}
        aria-pressed={(*filter == value).to_string()} data-filter={value} onclick={move |_| f.set(value.to_owned())}>{ label }</button> }
    };
    html! {
        <section class="page">
            <h1>{ "Emergency reviews" }</h1>
            { outcome(&message) }
            <div class="tabs" role="group" aria-label="Which emergency accesses">{ tab("unreviewed", "To review") }{ tab("reviewed", "Reviewed") }</div>
            { view_load(&data.state, |page| if page.items.is_empty() {
                html! { <Empty text="Nothing here." /> }
            } else {
                html! { <>{ for page.items.iter().map(|e| html! { <ReviewCard key={e.id.to_string()} access={e.clone()} ondone={done.clone()} /> }) }</> }
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CardProps {
    access: EmergencyAccess,
    ondone: Callback<Result<String, String>>,
}

#[function_component(ReviewCard)]
fn review_card(props: &CardProps) -> Html {
    let e = &props.access;
    let note = use_state(String::new);
    let error = use_state(|| None::<String>);
    let reviewing = use_in_flight();
    let reason = use_state(|| e.reason.clone());
    let open_reason = {
        let (reason, error, id) = (reason.clone(), error.clone(), e.id);
        Callback::from(move |_: MouseEvent| {
            let (reason, error) = (reason.clone(), error.clone());
            yew::platform::spawn_local(async move {
                match api::emergency::for_review(id).await {
                    Ok(a) => reason.set(a.reason),
                    Err(e) => error.set(Some(e.message())),
                }
            });
        })
    };
    let review = {
        let (note, error, id, done) = (note.clone(), error.clone(), e.id, props.ondone.clone());
        let reviewing = reviewing.clone();
        let who = e.doctor_name.clone();
        Callback::from(move |_: MouseEvent| {
            let text = note.trim().to_owned();
            if text.chars().count() < 3 {
                error.set(Some("Write a review note (at least 3 characters)".into()));
                return;
            }
            error.set(None);
            if !reviewing.start() {
                return;
            }
            let (done, who, reviewing) = (done.clone(), who.clone(), reviewing.clone());
            yew::platform::spawn_local(async move {
                done.emit(match api::emergency::review(id, &text).await {
                    Ok(_) => {
                        reviewing.done();
                        Ok(format!("Reviewed the emergency access by {who}."))
                    }
                    Err(e) => {
                        reviewing.idle();
                        Err(e.message())
                    }
                });
            });
        })
    };
    html! {
        <article class="card emergency-review" data-doctor={e.doctor_name.clone()}>
            <div class="record-head">
                <strong>{ format!("{} → {}", e.doctor_name, e.patient_name) }</strong>
                if e.active { <Countdown until={e.expires_at} /> } else { <span class="badge">{ "ended" }</span> }
            </div>
            if let Some(text) = &*reason {
                <p class="purpose">{ format!("“{text}”") }</p>
            } else {
                <button type="button" class="btn open-reason" onclick={open_reason}>{ "Open for review (shows the reason; logged)" }</button>
            }
            <p class="muted">{ format!("Opened {} · until {}", time::local(&e.opened_at), time::local(&e.expires_at)) }</p>
            if let Some(at) = &e.reviewed_at {
                <p class="banner banner-ok">{ format!("Reviewed {}: {}", time::local(at), e.review_note.clone().unwrap_or_default()) }</p>
            } else {
                <div class={classes!("field", error.as_ref().map(|_| "invalid"))}>
                    <label for={format!("review-note-{}", e.id)}>{ "Review note" }</label>
                    <textarea id={format!("review-note-{}", e.id)} class="review-note" rows="2" value={(*note).clone()}
                        oninput={let n = note.clone(); move |ev: InputEvent| n.set(ev.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value())} />
                    if let Some(msg) = &*error { <small class="field-error">{ msg.clone() }</small> }
                </div>
                <button class="btn btn-primary review" onclick={review} disabled={reviewing.blocked()}>{ "Mark reviewed" }</button>
            }
        </article>
    }
}
