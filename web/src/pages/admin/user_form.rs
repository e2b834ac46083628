//! The "new account" form of the admin users page. Inputs are checked with
//! the server's own parsers before sending; server field errors land next to
//! their field.

use shared::auth::{DisplayName, NewPassword, Username};
use shared::users::CreateUserRequest;
use shared::Role;
use yew::prelude::*;

use crate::api;
use crate::components::field::{FieldErrors, SelectField, TextField};
use crate::components::status::Notice;

#[derive(Properties, PartialEq)]
pub struct UserFormProps {
    /// Called with the new account's username after it was created.
    pub oncreated: Callback<String>,
}

#[function_component(UserForm)]
pub fn user_form(props: &UserFormProps) -> Html {
    let username = use_state(String::new);
    let display_name = use_state(String::new);
    let role = use_state(|| Role::Nurse);
    let password = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (username, display_name, role, password) = (
            username.clone(),
            display_name.clone(),
            role.clone(),
            password.clone(),
        );
        let (errors, failure, busy, oncreated) = (
            errors.clone(),
            failure.clone(),
            busy.clone(),
            props.oncreated.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            let u = Username::parse(&username).map_err(|e| errs.add("username", e.message));
            let d =
                DisplayName::parse(&display_name).map_err(|e| errs.add("display_name", e.message));
            let p = NewPassword::parse(&password).map_err(|e| errs.add("password", e.message));
            errors.set(errs);
            let (Ok(u), Ok(d), Ok(p)) = (u, d, p) else {
                return;
            };
            if *busy {
                return;
            }
            let body = CreateUserRequest {
                username: u.as_str().to_owned(),
                password: p.expose().to_owned(),
                role: *role,
                display_name: d.into_inner(),
            };
            busy.set(true);
            failure.set(None);
            let (errors, failure, busy, oncreated) = (
                errors.clone(),
                failure.clone(),
                busy.clone(),
                oncreated.clone(),
            );
            let (username, display_name, password) =
                (username.clone(), display_name.clone(), password.clone());
            yew::platform::spawn_local(async move {
                match api::users::create(&body).await {
                    Ok(user) => {
                        username.set(String::new());
                        display_name.set(String::new());
                        password.set(String::new());
                        oncreated.emit(user.username);
                    }
                    Err(e) => match e.field() {
                        Some(f) => {
                            let mut errs = FieldErrors::default();
                            errs.add(f, e.message());
                            errors.set(errs);
                        }
                        None => failure.set(Some(e.message())),
                    },
                }
                busy.set(false);
            });
        })
    };
    let set = |h: UseStateHandle<String>| Callback::from(move |v: String| h.set(v));
    let on_role = {
        let role = role.clone();
        Callback::from(move |v: String| {
            if let Ok(r) = v.parse() {
                role.set(r);
            }
        })
    };
    let roles: Vec<(String, String)> = [Role::Doctor, Role::Nurse, Role::Patient, Role::Admin]
        .into_iter()
        .map(|r| (r.as_str().to_owned(), r.as_str().to_owned()))
        .collect();

    html! {
        <form id="create-user" class="card form-grid" {onsubmit} novalidate=true>
            <h2>{ "New account" }</h2>
            if let Some(f) = &*failure {
                <Notice text={f.clone()} error=true />
            }
            <TextField id="new-username" label="Username" value={(*username).clone()}
                oninput={set(username.clone())} error={errors.get("username")} />
            <TextField id="new-display-name" label="Display name" value={(*display_name).clone()}
                oninput={set(display_name.clone())} error={errors.get("display_name")} />
            <SelectField id="new-role" label="Role" options={roles} value={role.as_str()}
                onchange={on_role} error={errors.get("role")} />
            <TextField id="new-password" label="Initial password" input_type="password"
                value={(*password).clone()} oninput={set(password.clone())}
                error={errors.get("password")} hint={AttrValue::Static("12–128 characters")}
                autocomplete={AttrValue::Static("new-password")} />
            <div class="form-actions">
                <button id="create-user-submit" type="submit" class="btn btn-primary" disabled={*busy}>
                    { "Create account" }
                </button>
            </div>
        </form>
    }
}
