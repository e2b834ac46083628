//! The idle lock: a signed-in browser left alone signs itself out, so a
//! chart is not left open on an unattended screen. The limit is a setting
//! of this browser (`localStorage`, chosen on the "Sign-in security" page;
//! 15 minutes by default); any key press, click, touch or scroll inside
//! the app counts as activity. Signing out revokes the session on the
//! server too, and the sign-in page says why (the URL is kept, so signing
//! in again returns to the same page).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::api;
use crate::session::{use_session, Action};

pub const STORE_KEY: &str = "careledger.idle_lock_seconds";
pub const DEFAULT_SECONDS: u32 = 15 * 60;
/// The choices offered, in minutes.
pub const CHOICES: [u32; 4] = [5, 15, 30, 60];

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The limit in seconds (at least 1).
pub fn limit_seconds() -> u32 {
    storage()
        .and_then(|s| s.get_item(STORE_KEY).ok().flatten())
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_SECONDS)
}

pub fn set_limit_seconds(seconds: u32) {
    if let Some(s) = storage() {
        let _ = s.set_item(STORE_KEY, &seconds.to_string());
    }
}

/// "15 minutes", "1 minute", "30 seconds".
pub fn describe(seconds: u32) -> String {
    let (n, unit) = if seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Starts the lock for the signed-in frame; returns the callback to call on
/// every user activity.
#[hook]
pub fn use_idle_lock() -> Callback<()> {
    let session = use_session();
    let last = use_mut_ref(js_sys::Date::now);
    {
        let last: Rc<RefCell<f64>> = last.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(1000, move || {
                let limit = limit_seconds();
                if js_sys::Date::now() - *last.borrow() < f64::from(limit) * 1000.0 {
                    return;
                }
                // Once: the frame unmounts when the session ends.
                *last.borrow_mut() = f64::INFINITY;
                let session = session.clone();
                yew::platform::spawn_local(async move {
                    let _ = api::auth::logout().await;
                    session.dispatch(Action::IdleLocked(describe(limit)));
                });
            });
            move || drop(interval)
        });
    }
    Callback::from(move |_| *last.borrow_mut() = js_sys::Date::now())
}

/// The setting on the "Sign-in security" page.
#[function_component(IdleLockSetting)]
pub fn idle_lock_setting() -> Html {
    let current = use_state(limit_seconds);
    let onchange = {
        let current = current.clone();
        Callback::from(move |e: Event| {
            if let Ok(minutes) = crate::components::field::control_value(&e).parse::<u32>() {
                set_limit_seconds(minutes * 60);
                current.set(minutes * 60);
            }
        })
    };
    html! {
        <div class="card idle-lock">
            <h2>{ "Automatic sign-out" }</h2>
            <div class="field">
                <label for="idle-lock">{ "Sign me out in this browser after this long without activity" }</label>
                <select id="idle-lock" {onchange}>
                    { for CHOICES.iter().map(|m| html! {
                        <option value={m.to_string()} selected={*current == m * 60}>{ describe(m * 60) }</option>
                    }) }
                    if !CHOICES.iter().any(|m| *current == m * 60) {
                        <option value="" selected=true disabled=true>{ describe(*current) }</option>
                    }
                </select>
            </div>
        </div>
    }
}
