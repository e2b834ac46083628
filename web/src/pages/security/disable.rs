//! Turning two-factor sign-in off, confirmed with the account's password.

use yew::prelude::*;

use crate::api;
use crate::components::field::{FieldErrors, TextField};
use crate::components::status::Notice;

#[derive(Properties, PartialEq)]
pub struct DisableProps {
    pub ondone: Callback<()>,
}

#[function_component(DisableTotp)]
pub fn disable_totp(props: &DisableProps) -> Html {
    let password = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (password, errors, failure, busy) = (
            password.clone(),
            errors.clone(),
            failure.clone(),
            busy.clone(),
        );
        let ondone = props.ondone.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            if password.is_empty() {
                errs.add("totp-disable-password", "Enter your password");
            }
            errors.set(errs.clone());
            if !errs.is_empty() || *busy {
                return;
            }
            busy.set(true);
            let p = (*password).clone();
            let (failure, busy, ondone, password) = (
                failure.clone(),
                busy.clone(),
                ondone.clone(),
                password.clone(),
            );
            yew::platform::spawn_local(async move {
                match api::mfa::disable(&p).await {
                    Ok(()) => {
                        password.set(String::new());
                        failure.set(None);
                        ondone.emit(());
                    }
                    Err(e) => failure.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let set = {
        let password = password.clone();
        Callback::from(move |v: String| password.set(v))
    };
    html! {
        <form id="totp-disable-form" class="card form-grid" {onsubmit} novalidate=true>
            <h2>{ "Turn off two-factor sign-in" }</h2>
            if let Some(f) = &*failure {
                <Notice text={f.clone()} error=true />
            }
            <TextField id="totp-disable-password" label="Your password" input_type="password"
                value={(*password).clone()} oninput={set} error={errors.get("totp-disable-password")}
                autocomplete={AttrValue::Static("current-password")} />
            <button id="totp-disable" type="submit" class="btn btn-danger" disabled={*busy}>
                { "Turn off" }
            </button>
        </form>
    }
}
