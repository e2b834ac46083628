//! One page per route, grouped by role; [`render`] maps a route to its page.

pub mod admin;
pub mod clinician;
pub mod home;
pub mod login;
pub mod not_found;
pub mod patient;
pub mod security;

use yew::prelude::*;

use crate::route::Route;

pub fn render(route: &Route) -> Html {
    match route {
        Route::Home => html! { <home::Home /> },
        Route::Login => html! { <login::Login /> },
        Route::MyChart => html! { <patient::chart::MyChart /> },
        Route::Consents => html! { <patient::consents::Consents /> },
        Route::Requests => html! { <patient::requests::Requests /> },
        Route::AccessLog => html! { <patient::access_log::AccessLog /> },
        Route::Patients => html! { <clinician::patients::Patients /> },
        Route::Patient { id } => html! { <clinician::patient_view::PatientView id={*id} /> },
        Route::FindPatient => html! { <clinician::find_patient::FindPatient /> },
        Route::AdminUsers => html! { <admin::users::AdminUsers /> },
        Route::AdminAccess => html! { <admin::access::AdminAccess /> },
        Route::AdminEmergency => html! { <admin::emergency::AdminEmergency /> },
        Route::AdminLedger => html! { <admin::ledger::AdminLedger /> },
        Route::SealedRecord { id } => html! { <admin::sealed::SealedRecord id={*id} /> },
        Route::Demographics => html! { <admin::demographics::Demographics /> },
        Route::Security => html! { <security::Security /> },
        Route::NotFound => html! { <not_found::NotFound /> },
    }
}
