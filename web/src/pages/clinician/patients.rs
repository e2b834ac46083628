//! Doctor or nurse: my patients — the charts I may open, each with the basis
//! (a consent and its scope, or emergency access) and when it ends. The api
//! lists the charts; the basis comes from my own consents and emergencies.

use shared::consents::{Consent, ConsentStatus};
use shared::emergency::EmergencyAccess;
use shared::paging::Page;
use shared::patients::PatientProfile;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::api::ApiError;
use crate::components::countdown::Countdown;
use crate::components::scope::{access_label, describe};
use crate::components::status::Empty;
use crate::components::time;
use crate::hooks::{use_load, view_load};
use crate::route::Route;
use crate::session::use_session;

struct MyPatients {
    patients: Page<PatientProfile>,
    consents: Vec<Consent>,
    emergencies: Vec<EmergencyAccess>,
}

async fn load() -> Result<MyPatients, ApiError> {
    let patients = api::patients::list("", 100, 0).await?;
    let consents = api::consents::list(None, Some(ConsentStatus::Active))
        .await?
        .items;
    let emergencies = api::emergency::list(None, Some("open"))
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    Ok(MyPatients {
        patients,
        consents,
        emergencies,
    })
}

#[function_component(Patients)]
pub fn patients() -> Html {
    let session = use_session();
    let data = use_load((), |_| load());
    let doctor = session.role() == Some(shared::Role::Doctor);
    html! {
        <section class="page">
            <div class="header-row">
                <h1>{ "My patients" }</h1>
                if doctor {
                    <Link<Route> to={Route::FindPatient} classes="btn">{ "Find a patient / request access" }</Link<Route>>
                }
            </div>
            { view_load(&data.state, |d| if d.patients.items.is_empty() {
                html! { <Empty text="No patient has given you access yet." /> }
            } else {
                html! {
                    <div class="table-wrap"><table id="patients-table" class="table">
                        <thead><tr><th>{ "Patient" }</th><th>{ "Record no." }</th><th>{ "Born" }</th>
                            <th>{ "Basis" }</th><th>{ "Until" }</th></tr></thead>
                        <tbody>{ for d.patients.items.iter().map(|p| row(p, d)) }</tbody>
                    </table></div>
                }
            }) }
        </section>
    }
}

fn row(p: &PatientProfile, d: &MyPatients) -> Html {
    let emergency = d
        .emergencies
        .iter()
        .find(|e| e.patient_id == p.id && e.active);
    let consent = d.consents.iter().find(|c| c.patient_id == p.id);
    let (basis, until) = match (emergency, consent) {
        (Some(e), _) => (
            html! { <span class="badge badge-bad">{ "emergency" }</span> },
            html! { <Countdown until={e.expires_at} /> },
        ),
        (None, Some(c)) => (
            html! { <>{ "consent: " }{ describe(&c.scope) }{ " · " }{ access_label(c.access) }</> },
            html! { { c.expires_at.as_ref().map(time::local).unwrap_or_else(|| "no expiry".into()) } },
        ),
        (None, None) => (html! { <span class="muted">{ "—" }</span> }, html! {}),
    };
    html! {
        <tr data-patient={p.full_name.clone()}>
            <td data-label="Patient"><Link<Route> to={Route::Patient { id: p.id }}>{ &p.full_name }</Link<Route>></td>
            <td data-label="Record no."><code>{ &p.mrn }</code></td>
            <td data-label="Born">{ p.date_of_birth.map(|d| d.to_string()).unwrap_or_else(|| "—".into()) }</td>
            <td data-label="Basis">{ basis }</td>
            <td data-label="Until">{ until }</td>
        </tr>
    }
}
