//! "Sign-in security": whether two-factor sign-in is on, setting up an
//! authenticator app (secret shown once, confirmed with a code, recovery
//! codes shown once), and turning it off again with the password.

mod disable;
mod enroll;

use shared::mfa::{RecoveryCodes, TotpStatus};
use yew::prelude::*;

use crate::api;
use crate::components::idle_lock::IdleLockSetting;
use crate::hooks::{use_load, view_load};

#[function_component(Security)]
pub fn security() -> Html {
    let status = use_load((), |_| api::mfa::status());
    let reload = status.reload.clone();
    // Held here, not in the enrolment form: the status reloads to "on" as
    // soon as the codes arrive, and they must stay up until dismissed.
    let codes = use_state(|| None::<RecoveryCodes>);
    let confirmed = {
        let (codes, reload) = (codes.clone(), reload.clone());
        Callback::from(move |c: RecoveryCodes| {
            codes.set(Some(c));
            reload.emit(());
        })
    };
    let dismissed = {
        let codes = codes.clone();
        Callback::from(move |_: MouseEvent| codes.set(None))
    };
    html! {
        <section class="page">
            <h1 id="security-title">{ "Sign-in security" }</h1>
            <p class="muted">
                { "Two-factor sign-in asks for a six-digit code from an authenticator app \
                   (or a one-time recovery code) after your password." }
            </p>
            { view_load(&status.state, |s: &TotpStatus| html! {
                <>
                    { status_card(s) }
                    if let Some(c) = &*codes {
                        { recovery_codes(c, dismissed.clone()) }
                    } else if s.enabled {
                        <disable::DisableTotp ondone={reload.clone()} />
                    } else {
                        <enroll::EnrollTotp onconfirmed={confirmed.clone()} />
                    }
                </>
            }) }
            <IdleLockSetting />
        </section>
    }
}

fn status_card(s: &TotpStatus) -> Html {
    let (class, text) = match (s.enabled, s.required) {
        (true, _) => (
            "banner banner-ok",
            format!(
                "Two-factor sign-in is on. {} recovery code{} left.",
                s.recovery_codes_left,
                if s.recovery_codes_left == 1 { "" } else { "s" }
            ),
        ),
        (false, true) => (
            "banner banner-error",
            "Your account must use two-factor sign-in: set it up below, then sign in again with a code."
                .to_owned(),
        ),
        (false, false) => ("banner", "Two-factor sign-in is off.".to_owned()),
    };
    html! { <p id="totp-status" {class} role="status">{ text }</p> }
}

fn recovery_codes(codes: &RecoveryCodes, ondone: Callback<MouseEvent>) -> Html {
    html! {
        <div class="card" id="recovery-codes">
            <h2>{ "Save your recovery codes" }</h2>
            <p>{ "Each code below signs you in once if you lose your app. They are shown only now: print them or keep them somewhere safe." }</p>
            <ol class="codes">
                { for codes.codes.iter().map(|c| html! { <li><code>{ c.clone() }</code></li> }) }
            </ol>
            <button id="totp-done" class="btn btn-primary" onclick={ondone}>{ "I have saved them" }</button>
        </div>
    }
}

/// A secret in groups of four characters, easier to type into an app.
pub(crate) fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn secrets_are_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(grouped(""), "");
    }
}
