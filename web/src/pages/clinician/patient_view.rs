//! Doctor or nurse: one patient — banner and clinical summary
//! (`chart_summary`), profile, records with history and amend,
//! and the form to add a record of the kinds the role writes. An open
//! emergency access shows its reason and a live countdown.

use shared::records::{RecordKind, RecordView};
use shared::{PatientId, Role};
use yew::prelude::*;

use crate::api;
use crate::components::chart_summary::ChartSummary;
use crate::components::countdown::Countdown;
use crate::components::record_form::RecordForm;
use crate::components::records::RecordList;
use crate::components::status::outcome;
use crate::hooks::{use_load, view_load};
use crate::pages::patient::chart::profile_card;
use crate::session::use_session;

/// The kinds each clinical role writes.
pub fn kinds_for(role: Role) -> Vec<RecordKind> {
    match role {
        Role::Doctor => vec![
            RecordKind::VisitNote,
            RecordKind::Diagnosis,
            RecordKind::Prescription,
            RecordKind::LabResult,
            RecordKind::Allergy,
            RecordKind::Vitals,
            RecordKind::TreatmentUpdate,
            RecordKind::Document,
        ],
        Role::Nurse => vec![RecordKind::Vitals, RecordKind::TreatmentUpdate],
        _ => Vec::new(),
    }
}

#[derive(Properties, PartialEq)]
pub struct PatientViewProps {
    pub id: PatientId,
}

#[function_component(PatientView)]
pub fn patient_view(props: &PatientViewProps) -> Html {
    let session = use_session();
    let role = session.role().unwrap_or(Role::Nurse);
    let profile = use_load(
        props.id,
        |id| async move { api::patients::get_one(id).await },
    );
    let records = use_load(
        props.id,
        |id| async move { api::records::list(id, None).await },
    );
    let emergency = use_load(props.id, |id| async move {
        api::emergency::list(Some(id), Some("open")).await
    });
    let message = use_state(|| None::<Result<String, String>>);
    let amending = use_state(|| None::<RecordView>);

    let saved = {
        let (message, reload, amending) =
            (message.clone(), records.reload.clone(), amending.clone());
        Callback::from(move |r: RecordView| {
            let what = if r.version > 1 {
                "Saved version"
            } else {
                "Added"
            };
            message.set(Some(Ok(format!("{what} {} of “{}”.", r.version, r.title))));
            amending.set(None);
            reload.emit(());
        })
    };
    let on_amend = {
        let amending = amending.clone();
        Callback::from(move |r: RecordView| amending.set(Some(r)))
    };
    let cancel = {
        let amending = amending.clone();
        Callback::from(move |_| amending.set(None))
    };
    html! {
        <section class="page">
            { view_load(&profile.state, |p| html! {
                <>
                    <h1>{ &p.full_name }</h1>
                    if let Some(page) = emergency.ready() {
                        { for page.items.iter().filter(|e| e.active).map(|e| html! {
                            <p class="banner banner-warn emergency-active">
                                { format!("Emergency access (“{}”): ", e.reason.as_deref().unwrap_or_default()) }<Countdown until={e.expires_at} />
                            </p>
                        }) }
                    }
                    if let Some(page) = records.ready() {
                        <ChartSummary profile={p.clone()} records={page.items.clone()} />
                    }
                    { outcome(&message) }
                    <div class="split">
                        <div class="split-main">
                            { profile_card(p) }
                            <h2>{ "Records" }</h2>
                            { view_load(&records.state, |page| html! {
                                <RecordList records={page.items.clone()} onamend={on_amend.clone()} />
                            }) }
                        </div>
                        <aside class="split-side">
                            if let Some(r) = (*amending).clone() {
                                <RecordForm key={format!("amend-{}", r.id)} patient={p.id} kinds={vec![r.kind]}
                                    amend={r.clone()} onsaved={saved.clone()} oncancel={cancel.clone()} />
                            } else {
                                <RecordForm key="add" patient={p.id} kinds={kinds_for(role)} onsaved={saved.clone()} />
                            }
                        </aside>
                    </div>
                </>
            }) }
        </section>
    }
}
