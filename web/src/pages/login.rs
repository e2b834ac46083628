//! Sign-in: username and password, checked in the browser with the same
//! rules as the server (`shared::auth`), server errors shown in place.

use shared::auth::Username;
use yew::prelude::*;

use crate::api;
use crate::components::field::{FieldErrors, TextField};
use crate::components::status::Notice;
use crate::session::{use_session, Action};

#[function_component(Login)]
pub fn login() -> Html {
    let session = use_session();
    let username = use_state(String::new);
    let password = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (username, password, errors, failure, busy, session) = (
            username.clone(),
            password.clone(),
            errors.clone(),
            failure.clone(),
            busy.clone(),
            session.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            if let Err(err) = Username::parse(&username) {
                errs.add("username", err.message);
            }
            if password.is_empty() {
                errs.add("password", "Enter your password");
            }
            errors.set(errs.clone());
            if !errs.is_empty() || *busy {
                return;
            }
            busy.set(true);
            failure.set(None);
            let (u, p) = ((*username).clone(), (*password).clone());
            let (failure, busy, session) = (failure.clone(), busy.clone(), session.clone());
            yew::platform::spawn_local(async move {
                match api::auth::login(&u, &p).await {
                    Ok(user) => session.dispatch(Action::SignedIn(user)),
                    Err(e) => {
                        failure.set(Some(e.message()));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let set = |h: UseStateHandle<String>| Callback::from(move |v: String| h.set(v));

    html! {
        <div class="login-wrap">
            <form class="card login" {onsubmit} novalidate=true>
                <h1 class="brand-title">{ "CareLedger" }</h1>
                <p class="muted">{ "Health records with a verifiable access ledger." }</p>
                if let Some(n) = &session.notice {
                    <Notice text={n.clone()} />
                }
                if let Some(f) = &*failure {
                    <p id="login-error" class="banner banner-error" role="alert">{ f.clone() }</p>
                }
                <TextField id="username" label="Username" value={(*username).clone()}
                    oninput={set(username.clone())} error={errors.get("username")}
                    autocomplete={AttrValue::Static("username")} />
                <TextField id="password" label="Password" input_type="password"
                    value={(*password).clone()} oninput={set(password.clone())}
                    error={errors.get("password")}
                    autocomplete={AttrValue::Static("current-password")} />
                <button id="sign-in" type="submit" class="btn btn-primary" disabled={*busy}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            </form>
        </div>
    }
}
