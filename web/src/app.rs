//! The root: session context, router, restoring a session from the refresh
//! cookie on load, and the guard that sends signed-out visitors to sign-in
//! (returning them to the page they asked for afterwards).

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::shell::Shell;
use crate::components::status::Loading;
use crate::pages;
use crate::route::Route;
use crate::session::{use_session, Action, Session, SessionHandle, Status};

#[function_component(App)]
pub fn app() -> Html {
    let session = use_reducer(Session::default);
    {
        let session = session.clone();
        use_effect_with((), move |_| {
            let lost = session.clone();
            api::on_session_lost(Callback::from(move |_| {
                api::auth::set_session_hint(false);
                lost.dispatch(Action::Expired);
            }));
            yew::platform::spawn_local(async move {
                // Without a sign-in in this browser there is no cookie to try:
                // no request, so no 401 in the console on every signed-out load.
                if !api::auth::may_have_session() {
                    session.dispatch(Action::SignedOut);
                    return;
                }
                match api::auth::restore().await {
                    Ok(user) => session.dispatch(Action::SignedIn(user)),
                    Err(_) => session.dispatch(Action::SignedOut),
                }
            });
        });
    }
    html! {
        <ContextProvider<SessionHandle> context={session}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<SessionHandle>>
    }
}

fn switch(route: Route) -> Html {
    html! { <Guard {route} /> }
}

#[derive(Properties, PartialEq)]
struct GuardProps {
    route: Route,
}

/// Decides what a route shows for the current session, and names the page
/// in the browser tab.
#[function_component(Guard)]
fn guard(props: &GuardProps) -> Html {
    let session = use_session();
    let route = props.route.clone();
    let title = match &session.status {
        Status::SignedIn(u) if !route.allows(u.role) => "Not available",
        Status::SignedIn(_) => route.title(),
        Status::Restoring => "Loading",
        Status::SignedOut if route.is_public() => route.title(),
        Status::SignedOut => "Sign in",
    };
    use_effect_with(title, |title| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("{title} — CareLedger"));
        }
    });
    match (&session.status, route.is_public()) {
        (Status::Restoring, _) => html! { <main class="boot"><Loading /></main> },
        (Status::SignedOut, true) if route == Route::Login => pages::render(&route),
        (Status::SignedOut, true) => {
            html! { <main id="main" class="content">{ pages::render(&route) }</main> }
        }
        // Sign in right here, so a deep link opens once the user is in.
        (Status::SignedOut, false) => html! { <pages::login::Login /> },
        (Status::SignedIn(_), _) if route == Route::Login => {
            html! { <Redirect<Route> to={Route::Home} /> }
        }
        (Status::SignedIn(user), _) => {
            let body = if route.allows(user.role) {
                pages::render(&route)
            } else {
                html! { <pages::not_found::NotAllowed /> }
            };
            html! { <Shell current={route}>{ body }</Shell> }
        }
    }
}
