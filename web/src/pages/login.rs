//! Sign-in: username and password, checked in the browser with the same
//! rules as the server (`shared::auth`), server errors shown in place.

use shared::auth::Username;
use shared::ErrorCode;
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
    // Shown once the server says this account needs a second factor.
    let need_code = use_state(|| false);
    let code = use_state(String::new);

    let onsubmit = {
        let (username, password, errors, failure, busy, session) = (
            username.clone(),
            password.clone(),
            errors.clone(),
            failure.clone(),
            busy.clone(),
            session.clone(),
        );
        let (need_code, code) = (need_code.clone(), code.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            if let Err(err) = Username::parse(&username) {
                errs.add("username", err.message);
            }
            if password.is_empty() {
                errs.add("password", "Enter your password");
            }
            if *need_code && code.trim().is_empty() {
                errs.add("code", "Enter the code from your authenticator app");
            }
            errors.set(errs.clone());
            if !errs.is_empty() || *busy {
                return;
            }
            busy.set(true);
            failure.set(None);
            let (u, p, c) = ((*username).clone(), (*password).clone(), (*code).clone());
            let (failure, busy, session, need_code) = (
                failure.clone(),
                busy.clone(),
                session.clone(),
                need_code.clone(),
            );
            yew::platform::spawn_local(async move {
                let c = (*need_code).then_some(c);
                match api::auth::login(&u, &p, c.as_deref()).await {
                    Ok(user) => session.dispatch(Action::SignedIn(user)),
                    Err(e) if e.code() == Some(ErrorCode::MfaRequired) => {
                        need_code.set(true);
                        failure.set(Some("This account uses two-factor sign-in: enter the code from your authenticator app (or a recovery code).".into()));
                        busy.set(false);
                    }
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
        <main id="main" class="login-wrap">
            <form class="card login" {onsubmit} novalidate=true>
                <h1 class="brand-title">{ "CareLedger" }</h1>
                <p class="muted">{ "Health records with a verifiable access ledger." }</p>
                if let Some(n) = &session.notice {
                    <Notice text={n.clone()} focus=false />
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
                if *need_code {
                    <TextField id="code" label="Authentication code" value={(*code).clone()}
                        oninput={set(code.clone())} error={errors.get("code")}
                        autocomplete={AttrValue::Static("one-time-code")} />
                }
                <button id="sign-in" type="submit" class="btn btn-primary" disabled={*busy}>
                    { if *busy { "Signing in…" } else { "Sign in" } }
                </button>
            </form>
        </main>
    }
}
