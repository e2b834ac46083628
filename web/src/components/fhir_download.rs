//! "Download FHIR export": fetches the chart as a FHIR R4 Bundle (with the
//! access token, so not a plain link) and saves it as a file.

use shared::PatientId;
use yew::prelude::*;

use crate::api;
use crate::components::download::save;
use crate::components::status::Notice;

#[derive(Properties, PartialEq)]
pub struct FhirDownloadProps {
    pub patient: PatientId,
    /// The patient's name, for the file name.
    pub name: AttrValue,
}

/// "chart-pia-two.fhir.json": the patient's name, not an id.
fn file_name(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "chart.fhir.json".into()
    } else {
        format!("chart-{slug}.fhir.json")
    }
}

#[function_component(FhirDownload)]
pub fn fhir_download(props: &FhirDownloadProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let saved = use_state(|| None::<String>);
    let onclick = {
        let (busy, error, saved, patient) =
            (busy.clone(), error.clone(), saved.clone(), props.patient);
        let label = props.name.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let (busy, error, saved, label) =
                (busy.clone(), error.clone(), saved.clone(), label.clone());
            busy.set(true);
            saved.set(None);
            yew::platform::spawn_local(async move {
                let name = file_name(&label);
                let result = match api::records::fhir_export(patient).await {
                    Ok(text) => save(&text, &name, "application/fhir+json")
                        .map_err(|_| "The browser refused to save the file.".to_owned()),
                    Err(e) => Err(e.message()),
                };
                match result {
                    Ok(()) => {
                        error.set(None);
                        saved.set(Some(name));
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <div class="card fhir-export">
            <h2>{ "Take your chart with you" }</h2>
            <p class="muted">{ "A copy of everything you may read, as a standard FHIR R4 file other health systems can import." }</p>
            <button id="fhir-download" class="btn" {onclick} disabled={*busy}>
                { if *busy { "Preparing…" } else { "Download FHIR export" } }
            </button>
            if let Some(name) = &*saved {
                <Notice id="fhir-saved" text={format!("Saved {name}.")} />
            }
            if let Some(e) = &*error {
                <Notice text={e.clone()} error=true />
            }
        </div>
    }
}
