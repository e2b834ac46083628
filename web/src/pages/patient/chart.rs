//! Patient (or guardian): the chart — profile, records by kind with version
//! history, and adding one's own documents and allergies.

use shared::patients::PatientProfile;
use shared::records::RecordKind;
use yew::prelude::*;

use crate::api;
use crate::components::chart_switcher::WithChart;
use crate::components::fhir_download::FhirDownload;
use crate::components::record_form::RecordForm;
use crate::components::records::RecordList;
use crate::components::status::outcome;
use crate::hooks::{use_load, view_load};

#[function_component(MyChart)]
pub fn my_chart() -> Html {
    html! {
        <section class="page">
            <h1>{ "My chart" }</h1>
            <WithChart render={Callback::from(|p: PatientProfile| html! { <ChartView key={p.id.to_string()} profile={p.clone()} /> })} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChartViewProps {
    pub profile: PatientProfile,
}

#[function_component(ChartView)]
pub fn chart_view(props: &ChartViewProps) -> Html {
    let p = &props.profile;
    let records = use_load(p.id, |id| async move { api::records::list(id, None).await });
    let message = use_state(|| None::<Result<String, String>>);
    let on_saved = {
        let (message, reload) = (message.clone(), records.reload.clone());
        Callback::from(move |r: shared::records::RecordView| {
            message.set(Some(Ok(format!("Added “{}”.", r.title))));
            reload.emit(());
        })
    };
    html! {
        <>
            { outcome(&message) }
            <div class="split">
                <div class="split-main">
                    { profile_card(p) }
                    <h2>{ "Records" }</h2>
                    { view_load(&records.state, |page| html! { <RecordList records={page.items.clone()} /> }) }
                </div>
                <aside class="split-side">
                    <RecordForm patient={p.id} kinds={vec![RecordKind::Allergy, RecordKind::Document]} onsaved={on_saved} />
                    <FhirDownload patient={p.id} name={p.full_name.clone()} />
                </aside>
            </div>
        </>
    }
}

/// The profile as a definition list (shared with the clinician's view).
pub fn profile_card(p: &PatientProfile) -> Html {
    html! {
        <div class="card profile-card">
            <h2 id="patient-name">{ &p.full_name }</h2>
            <dl class="profile">
                <dt>{ "Record number" }</dt><dd><code>{ &p.mrn }</code></dd>
                <dt>{ "Date of birth" }</dt><dd>{ p.date_of_birth.map(|d| d.to_string()).unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ "Sex" }</dt><dd>{ p.sex.as_str() }</dd>
                <dt>{ "Contact" }</dt><dd>{ p.contact.clone().unwrap_or_else(|| "—".into()) }</dd>
            </dl>
        </div>
    }
}
