//! The start page after sign-in: a greeting and the role's main screens.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::hooks::use_load;
use crate::route::{nav_for, Route};
use crate::session::use_session;

#[function_component(Home)]
pub fn home() -> Html {
    let session = use_session();
    let Some(user) = session.user() else {
        return html! {};
    };
    let intro = match user.role {
        shared::Role::Admin => "Manage accounts and oversee access. Clinical content stays sealed unless you open emergency access.",
        shared::Role::Doctor => "Your patients, access requests and emergency access.",
        shared::Role::Nurse => "Your patients, treatment updates and vitals.",
        shared::Role::Patient => "Your chart, who may see it, and who did.",
    };
    html! {
        <section class="page">
            <h1 id="home-title">{ format!("Welcome, {}", user.display_name) }</h1>
            <p class="muted">{ intro }</p>
            if user.role == shared::Role::Admin {
                <MfaReminder />
            }
            <div class="tiles">
                { for nav_for(user.role).into_iter().filter(|(r, _)| *r != Route::Home).map(|(route, label)| html! {
                    <Link<Route> to={route} classes="tile">{ label }</Link<Route>>
                }) }
            </div>
        </section>
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
