//! Admin: link a guardian (a patient-role account) to a dependent's chart.

use shared::patients::LinkGuardianRequest;
use shared::{PatientId, Role, UserId};
use yew::prelude::*;

use crate::api;
use crate::api::users::UserQuery;
use crate::components::field::{FieldErrors, SelectField, TextField};
use crate::components::status::outcome;
use crate::hooks::{use_in_flight, use_load};

#[function_component(GuardianForm)]
pub fn guardian_form() -> Html {
    let accounts = use_load((), |_| async {
        api::users::list(&UserQuery {
            role: Some(Role::Patient),
            limit: 100,
            ..Default::default()
        })
        .await
    });
    let charts = use_load((), |_| async { api::patients::list("", 100, 0).await });
    let guardian = use_state(String::new);
    let patient = use_state(String::new);
    let relationship = use_state(|| "parent".to_owned());
    let errors = use_state(FieldErrors::default);
    let message = use_state(|| None::<Result<String, String>>);
    let linking = use_in_flight();

    let names: Vec<(PatientId, String)> = charts
        .ready()
        .map(|page| {
            page.items
                .iter()
                .map(|p| (p.id, p.full_name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let onsubmit = {
        let linking = linking.clone();
        let (guardian, patient, relationship, errors, message) = (
            guardian.clone(),
            patient.clone(),
            relationship.clone(),
            errors.clone(),
            message.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut errs = FieldErrors::default();
            let g = guardian
                .parse::<UserId>()
                .map_err(|_| errs.add("guardian", "Choose the guardian's account"));
            let p = patient
                .parse::<PatientId>()
                .map_err(|_| errs.add("patient", "Choose the dependent's chart"));
            let rel = relationship.trim().to_owned();
            if !(2..=50).contains(&rel.chars().count()) {
                errs.add(
                    "relationship",
                    "Describe the relationship (2 to 50 characters)",
                );
            }
            errors.set(errs.clone());
            let (Ok(g), Ok(p), true) = (g, p, errs.is_empty()) else {
                return;
            };
            if !linking.start() {
                return;
            }
            let body = LinkGuardianRequest {
                guardian_user_id: g,
                relationship: rel,
                ends_at: None,
            };
            let (message, linking) = (message.clone(), linking.clone());
            let chart = names
                .iter()
                .find(|(id, _)| *id == p)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| "this patient".into());
            yew::platform::spawn_local(async move {
                message.set(Some(match api::patients::link_guardian(p, &body).await {
                    Ok(link) => Ok(format!(
                        "{} is now a guardian of {chart}'s chart.",
                        link.guardian_name
                    )),
                    Err(e) => Err(e.message()),
                }));
                linking.idle();
            });
        })
    };
    let mut guardian_opts = vec![(String::new(), "Choose…".to_owned())];
    if let Some(page) = accounts.ready() {
        guardian_opts.extend(page.items.iter().map(|u| {
            (
                u.id.to_string(),
                format!("{} ({})", u.display_name, u.username),
            )
        }));
    }
    let mut chart_opts = vec![(String::new(), "Choose…".to_owned())];
    if let Some(page) = charts.ready() {
        chart_opts.extend(
            page.items
                .iter()
                .map(|p| (p.id.to_string(), format!("{} · {}", p.full_name, p.mrn))),
        );
    }
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v: String| h.set(v))
    };
    html! {
        <form id="guardian-form" class="card form-grid" {onsubmit} novalidate=true>
            <h2>{ "Link a guardian" }</h2>
            { outcome(&message) }
            <SelectField id="guardian-user" label="Guardian (patient account)" options={guardian_opts}
                value={(*guardian).clone()} onchange={set(&guardian)} error={errors.get("guardian")} />
            <SelectField id="guardian-patient" label="Dependent's chart" options={chart_opts}
                value={(*patient).clone()} onchange={set(&patient)} error={errors.get("patient")} />
            <TextField id="guardian-relationship" label="Relationship" value={(*relationship).clone()}
                oninput={set(&relationship)} error={errors.get("relationship")} />
            <button id="guardian-submit" type="submit" class="btn btn-primary" disabled={linking.blocked()}>{ "Link guardian" }</button>
        </form>
    }
}
