//! The start page after sign-in: the role's task inbox (`crate::inbox`) —
//! emergency accesses to my charts, requests to answer, answers to my
//! requests, consents about to end, reviews owed — then the main screens.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::time;
use crate::hooks::{use_load, view_load};
use crate::inbox::{self, Item};
use crate::route::{nav_for, Route};
use crate::session::use_session;

#[function_component(Home)]
pub fn home() -> Html {
    let session = use_session();
    let role = session.user().map(|u| u.role);
    let items = use_load(role, |role| async move {
        match role {
            Some(role) => inbox::load(role).await,
            None => Ok(Vec::new()),
        }
    });
    let Some(user) = session.user() else {
        return html! {};
    };
    html! {
        <section class="page">
            <h1 id="home-title">{ format!("Welcome, {}", user.display_name) }</h1>
            if user.role == shared::Role::Admin {
                <MfaReminder />
            }
            <section class="card inbox" aria-labelledby="inbox-title">
                <h2 id="inbox-title">{ "Needs your attention" }</h2>
                { view_load(&items.state, |items: &Vec<Item>| if items.is_empty() {
                    html! { <p id="inbox-empty" class="empty">{ "Nothing needs your attention." }</p> }
                } else {
                    html! {
                        <ul id="inbox" class="inbox-list">
                            { for items.iter().map(view_item) }
                        </ul>
                    }
                }) }
            </section>
            <h2 class="tiles-title">{ "Go to" }</h2>
            <div class="tiles">
                { for nav_for(user.role).into_iter().filter(|(r, _)| *r != Route::Home).map(|(route, label)| html! {
                    <Link<Route> to={route} classes="tile">{ label }</Link<Route>>
                }) }
            </div>
        </section>
    }
}

fn quote(text: &str) -> String {
    format!("“{text}”")
}

fn view_item(item: &Item) -> Html {
    let (text, action) = match item {
        Item::EmergencyOnMyChart {
            doctor,
            chart,
            reason,
            opened_at,
            expires_at,
            active,
        } => (
            format!(
                "Emergency access: {doctor} opened the chart of {chart} on {}, saying {}. {}",
                time::local(opened_at),
                quote(reason),
                if *active {
                    format!("Open until {}.", time::local_time(expires_at))
                } else {
                    "It has ended.".into()
                },
            ),
            "See who saw the chart",
        ),
        Item::RequestWaiting {
            requester,
            chart,
            purpose,
        } => (
            format!(
                "{requester} asks to see the chart of {chart}: {}.",
                quote(purpose)
            ),
            "Answer the request",
        ),
        Item::RequestAnswered {
            chart,
            approved: true,
            ..
        } => (
            format!("Your request to see the chart of {chart} was approved."),
            "Open the chart",
        ),
        Item::RequestAnswered { chart, note, .. } => (
            format!(
                "Your request to see the chart of {chart} was denied{}.",
                note.as_deref()
                    .map(|n| format!(": {}", quote(n)))
                    .unwrap_or_default()
            ),
            "Find the patient",
        ),
        Item::ConsentExpiring {
            grantee,
            chart,
            expires_at,
        } => (
            format!(
                "{grantee}'s access to the chart of {chart} ends on {}.",
                time::local(expires_at)
            ),
            "Review consents",
        ),
        Item::AccessExpiring {
            chart, expires_at, ..
        } => (
            format!(
                "Your access to the chart of {chart} ends on {}.",
                time::local(expires_at)
            ),
            "Open the chart",
        ),
        Item::MyEmergencyOpen {
            chart, expires_at, ..
        } => (
            format!(
                "Your emergency access to the chart of {chart} is open until {}.",
                time::local_time(expires_at)
            ),
            "Open the chart",
        ),
        Item::ReviewOwed {
            doctor,
            chart,
            opened_at,
        } => (
            format!(
                "Review owed: {doctor}'s emergency access to the chart of {chart}, opened on {}.",
                time::local(opened_at)
            ),
            "Review",
        ),
    };
    html! {
        <li class={classes!("inbox-item", format!("inbox-{}", item.kind()), item.urgent().then_some("inbox-urgent"))}>
            <span class="inbox-text">{ text }</span>
            { " " }
            <Link<Route> to={item.route()} classes="inbox-action">{ action }</Link<Route>>
        </li>
    }
}

/// Admins who must use two-factor sign-in but have not set it up can reach
/// little else, so the start page says so and links to the setup.
#[function_component(MfaReminder)]
fn mfa_reminder() -> Html {
    let status = use_load((), |_| api::mfa::status());
    match status.ready() {
        Some(s) if s.required && !s.enabled => html! {
            <p id="mfa-reminder" class="banner banner-error" role="alert">
                { "Your account must use two-factor sign-in. " }
                <Link<Route> to={Route::Security}>{ "Set it up now" }</Link<Route>>
            </p>
        },
        _ => html! {},
    }
}
