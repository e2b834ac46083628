//! The signed-in frame: brand, the role's navigation, who is signed in, and
//! sign-out. Pages render inside it.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::route::{nav_for, Route};
use crate::session::{use_session, Action};

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub current: Route,
    pub children: Html,
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let Some(user) = session.user().cloned() else {
        return props.children.clone();
    };
    let sign_out = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            let session = session.clone();
            let navigator = navigator.clone();
            yew::platform::spawn_local(async move {
                // Signing out locally even if the server is unreachable.
                let _ = api::auth::logout().await;
                session.dispatch(Action::SignedOut);
                if let Some(n) = navigator {
                    n.push(&Route::Login);
                }
            });
        })
    };
    html! {
        <div class="shell">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "CareLedger" }</Link<Route>>
                <nav class="nav" aria-label="Main">
                    { for nav_for(user.role).into_iter().map(|(route, label)| {
                        let active = route == props.current;
                        html! {
                            <Link<Route> to={route} classes={classes!("nav-link", active.then_some("active"))}>
                                { label }
                            </Link<Route>>
                        }
                    }) }
                </nav>
                <div class="who">
                    <span id="signed-in-as" class="who-name">{ user.display_name.clone() }</span>
                    <span class={classes!("role-badge", format!("role-{}", user.role))}>{ user.role.as_str() }</span>
                    <Link<Route> to={Route::Security} classes="nav-link security-link">{ "Security" }</Link<Route>>
                    <button id="sign-out" class="btn btn-quiet" onclick={sign_out}>{ "Sign out" }</button>
                </div>
            </header>
            <main class="content">{ props.children.clone() }</main>
        </div>
    }
}
