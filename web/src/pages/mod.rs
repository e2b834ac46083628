//! One page per route; [`render`] maps a route to its page.

pub mod admin_users;
pub mod home;
pub mod login;
pub mod not_found;
mod user_form;

use yew::prelude::*;

use crate::route::Route;

pub fn render(route: &Route) -> Html {
    match route {
        Route::Home => html! { <home::Home /> },
        Route::Login => html! { <login::Login /> },
        Route::AdminUsers => html! { <admin_users::AdminUsers /> },
        Route::NotFound => html! { <not_found::NotFound /> },
    }
}
