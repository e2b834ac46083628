//! The pages for an unknown address and for a screen the role may not open.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

#[function_component(NotFound)]
pub fn not_found() -> Html {
    html! {
        <section class="page narrow">
            <h1>{ "Page not found" }</h1>
            <p>{ "There is no page at this address." }</p>
            <Link<Route> to={Route::Home}>{ "Go to the start page" }</Link<Route>>
        </section>
    }
}

#[function_component(NotAllowed)]
pub fn not_allowed() -> Html {
    html! {
        <section class="page narrow">
            <h1>{ "Not available" }</h1>
            <p>{ "This screen is not part of your role's work." }</p>
            <Link<Route> to={Route::Home}>{ "Go to the start page" }</Link<Route>>
        </section>
    }
}
