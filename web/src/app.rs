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
            api::on_session_lost(Callback::from(move |_| lost.dispatch(Action::Expired)));
            yew::platform::spawn_local(async move {
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

/// Decides what a route shows for the current session.
#[function_component(Guard)]
fn guard(props: &GuardProps) -> Html {
    let session = use_session();
    let route = props.route.clone();
    match (&session.status, route.is_public()) {
        (Status::Restoring, _) => html! { <div class="boot"><Loading /></div> },
        (Status::SignedOut, true) => pages::render(&route),
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
