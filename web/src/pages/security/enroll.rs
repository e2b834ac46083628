//! Setting up an authenticator app: start (the server makes a secret and
//! shows it once), then confirm with a current code; the recovery codes the
//! confirmation returns go to the page, which shows them once.

use shared::mfa::{RecoveryCodes, TotpEnrollment};
use yew::prelude::*;

use crate::api;
use crate::components::field::{FieldErrors, TextField};
use crate::components::status::Notice;

#[derive(Properties, PartialEq)]
pub struct EnrollProps {
    /// Emitted with the recovery codes once the code is accepted.
    pub onconfirmed: Callback<RecoveryCodes>,
}

#[function_component(EnrollTotp)]
pub fn enroll_totp(props: &EnrollProps) -> Html {
    // The enrolment in progress, once started.
    let pending = use_state(|| None::<TotpEnrollment>);
    let code = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let start = {
        let (pending, failure, busy) = (pending.clone(), failure.clone(), busy.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (pending, failure, busy) = (pending.clone(), failure.clone(), busy.clone());
            yew::platform::spawn_local(async move {
                match api::mfa::enroll().await {
                    Ok(e) => {
                        failure.set(None);
                        pending.set(Some(e));
                    }
                    Err(e) => failure.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let confirm = {
        let (code, errors, failure, busy) =
            (code.clone(), errors.clone(), failure.clone(), busy.clone());
        let onconfirmed = props.onconfirmed.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let entered = code.trim().to_owned();
            let mut errs = FieldErrors::default();
            if entered.len() != 6 || !entered.chars().all(|c| c.is_ascii_digit()) {
                errs.add("totp-code", "Enter the six-digit code your app shows now");
            }
            errors.set(errs.clone());
            if !errs.is_empty() || *busy {
                return;
            }
            busy.set(true);
            let (failure, busy, onconfirmed) = (failure.clone(), busy.clone(), onconfirmed.clone());
            yew::platform::spawn_local(async move {
                match api::mfa::confirm(&entered).await {
                    Ok(codes) => {
                        failure.set(None);
                        onconfirmed.emit(codes);
                    }
                    Err(e) => failure.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let failure_line = match &*failure {
        Some(f) => html! { <Notice text={f.clone()} error=true /> },
        None => html! {},
    };

    match &*pending {
        None => html! {
            <div class="card" id="totp-setup">
                <h2>{ "Set up an authenticator app" }</h2>
                { failure_line }
                <p>{ "You will need an authenticator app (for example on your phone) that supports time-based codes." }</p>
                <button id="totp-start" class="btn btn-primary" onclick={start} disabled={*busy}>
                    { "Set up two-factor sign-in" }
                </button>
            </div>
        },
        Some(enrollment) => {
            let set_code = {
                let code = code.clone();
                Callback::from(move |v: String| code.set(v))
            };
            html! {
                <form id="totp-confirm-form" class="card form-grid" onsubmit={confirm} novalidate=true>
                    <h2>{ "Add CareLedger to your app" }</h2>
                    { failure_line }
                    <p>{ "In your authenticator app, add an account by entering this key (time-based, 6 digits, 30 seconds). It is shown only now." }</p>
                    <p class="secret"><code id="totp-secret">{ super::grouped(&enrollment.secret) }</code></p>
                    <p class="muted small">{ "Or open this link on the device that has the app: " }
                        <a id="totp-uri" href={enrollment.otpauth_uri.clone()}>{ "otpauth link" }</a>
                    </p>
                    <TextField id="totp-code" label="Code from the app" value={(*code).clone()}
                        oninput={set_code} error={errors.get("totp-code")}
                        autocomplete={AttrValue::Static("one-time-code")} />
                    <button id="totp-confirm" type="submit" class="btn btn-primary" disabled={*busy}>
                        { "Turn on two-factor sign-in" }
                    </button>
                </form>
            }
        }
    }
}
