//! The clinician's view of a chart at a glance: a banner (name, age, sex,
//! record number, allergies — "no allergies recorded" said out loud) and a
//! summary of active problems, current medications, allergies and the
//! latest vitals, out-of-range values flagged in words (not colour alone),
//! with a short trend of the last readings. Read from the records already
//! loaded for the page (`crate::clinical` decides what counts).

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use shared::patients::PatientProfile;
use shared::records::{
    AllergyBody, DiagnosisBody, PrescriptionBody, RecordKind, RecordView, VitalsBody,
};
use yew::prelude::*;

use crate::clinical::{age, is_active_problem, readings};
use crate::components::time;

#[derive(Properties, PartialEq)]
pub struct ChartSummaryProps {
    pub profile: PatientProfile,
    pub records: Vec<RecordView>,
}

/// Records of `kind` with their parsed bodies, newest first.
fn bodies<T: DeserializeOwned>(records: &[RecordView], kind: RecordKind) -> Vec<(&RecordView, T)> {
    let mut out: Vec<(&RecordView, T)> = records
        .iter()
        .filter(|r| r.kind == kind)
        .filter_map(|r| Some((r, serde_json::from_value(r.body.clone()?).ok()?)))
        .collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.0.version_created_at));
    out
}

fn today() -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(time::now_millis())
        .unwrap_or_default()
        .date_naive()
}

#[function_component(ChartSummary)]
pub fn chart_summary(props: &ChartSummaryProps) -> Html {
    let p = &props.profile;
    let allergies = bodies::<AllergyBody>(&props.records, RecordKind::Allergy);
    let problems: Vec<_> = bodies::<DiagnosisBody>(&props.records, RecordKind::Diagnosis)
        .into_iter()
        .filter(|(_, d)| is_active_problem(d.status))
        .collect();
    let meds = bodies::<PrescriptionBody>(&props.records, RecordKind::Prescription);
    let vitals = bodies::<VitalsBody>(&props.records, RecordKind::Vitals);
    let age_text = p
        .date_of_birth
        .and_then(|d| age(d, today()))
        .map_or_else(|| "age unknown".to_owned(), |a| format!("{a} years"));
    let allergy_text = if allergies.is_empty() {
        "No allergies recorded".to_owned()
    } else {
        format!(
            "Allergies: {}",
            allergies
                .iter()
                .map(|(_, a)| a.substance.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    html! {
        <>
            <div class="patient-banner" id="patient-banner">
                <strong>{ &p.full_name }</strong>
                <span>{ format!("{age_text} · {} · record {}", p.sex.as_str(), p.mrn) }</span>
                <span class={classes!("banner-allergies", (!allergies.is_empty()).then_some("has-allergies"))}>{ allergy_text }</span>
            </div>
            <div class="summary-grid" id="chart-summary">
                <section class="card summary-problems" aria-labelledby="sum-problems">
                    <h2 id="sum-problems">{ "Active problems" }</h2>
                    { list(problems.iter().map(|(_, d)| match &d.code {
                        Some(code) => format!("{} ({code})", d.condition),
                        None => d.condition.clone(),
                    }), "None recorded") }
                </section>
                <section class="card summary-meds" aria-labelledby="sum-meds">
                    <h2 id="sum-meds">{ "Medications" }</h2>
                    { list(meds.iter().map(|(_, m)| format!("{} {} {} {}, {}", m.drug, m.dose, m.route, m.frequency, m.duration)), "None recorded") }
                </section>
                <section class="card summary-allergies" aria-labelledby="sum-allergies">
                    <h2 id="sum-allergies">{ "Allergies" }</h2>
                    { list(allergies.iter().map(|(_, a)| format!("{} — {} ({})", a.substance, a.reaction, a.severity)), "None recorded") }
                </section>
                <section class="card summary-vitals" aria-labelledby="sum-vitals">
                    <h2 id="sum-vitals">{ "Latest vitals" }</h2>
                    { latest_vitals(&vitals) }
                </section>
            </div>
        </>
    }
}

fn list(items: impl Iterator<Item = String>, empty: &str) -> Html {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return html! { <p class="empty">{ empty }</p> };
    }
    html! { <ul class="summary-list">{ for items.into_iter().map(|i| html! { <li>{ i }</li> }) }</ul> }
}

fn latest_vitals(vitals: &[(&RecordView, VitalsBody)]) -> Html {
    let Some((record, latest)) = vitals.first() else {
        return html! { <p class="empty">{ "None recorded" }</p> };
    };
    // Oldest to newest, at most five: the trend of each measure.
    let history: Vec<Vec<crate::clinical::Reading>> = vitals
        .iter()
        .take(5)
        .rev()
        .map(|(_, v)| readings(v))
        .collect();
    html! {
        <>
            <p class="muted">{ format!("Taken {}", time::local(&record.version_created_at)) }</p>
            <ul class="summary-list vitals-list">
                { for readings(latest).into_iter().map(|r| {
                    let trend: Vec<String> = history
                        .iter()
                        .filter_map(|rs| rs.iter().find(|x| x.label == r.label).map(|x| x.value.clone()))
                        .collect();
                    html! {
                        <li class={classes!("vital", r.flag.map(|_| "vital-flagged"))} data-vital={r.label}>
                            { format!("{}: {}", r.label, r.value) }
                            if let Some(flag) = r.flag {
                                { " " }
                                <span class="badge badge-bad vital-flag">{ format!("{flag} — outside the usual range") }</span>
                            }
                            if trend.len() > 1 {
                                <span class="vital-trend">{ format!("trend: {}", trend.join(" → ")) }</span>
                            }
                        </li>
                    }
                }) }
            </ul>
        </>
    }
}
