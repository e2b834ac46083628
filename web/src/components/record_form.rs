//! Adding a record (choose a kind, fill its fields) or amending one (same
//! fields prefilled, plus a required reason). Validation messages appear next
//! to each field; server field errors are mapped back onto the form.

use shared::records::{parse_title, AmendRecordRequest, NewRecordRequest, RecordKind, RecordView};
use shared::PatientId;
use yew::prelude::*;

use super::field::{FieldErrors, SelectField, TextArea, TextField};
use super::kind_fields::{blank, from_body, kind_label, specs, to_body, Input};
use super::status::{focus_node, Notice};
use crate::api;

#[derive(Properties, PartialEq)]
pub struct RecordFormProps {
    pub patient: PatientId,
    /// Kinds the caller may add (first is preselected).
    pub kinds: Vec<RecordKind>,
    /// When set, the form amends this record instead of adding one.
    #[prop_or_default]
    pub amend: Option<RecordView>,
    pub onsaved: Callback<RecordView>,
    #[prop_or_default]
    pub oncancel: Option<Callback<()>>,
}

#[function_component(RecordForm)]
pub fn record_form(props: &RecordFormProps) -> Html {
    let initial_kind = props
        .amend
        .as_ref()
        .map(|r| r.kind)
        .or_else(|| props.kinds.first().copied())
        .unwrap_or(RecordKind::VisitNote);
    let kind = use_state(|| initial_kind);
    let title = use_state(|| {
        props
            .amend
            .as_ref()
            .map(|r| r.title.clone())
            .unwrap_or_default()
    });
    let values = use_state(|| match &props.amend {
        Some(r) => r
            .body
            .as_ref()
            .map(|b| from_body(r.kind, b))
            .unwrap_or_else(|| blank(r.kind)),
        None => blank(initial_kind),
    });
    let reason = use_state(String::new);
    let errors = use_state(FieldErrors::default);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let amending = props.amend.clone();
    let heading_ref = use_node_ref();
    {
        // The amend form opens beside the list: take the reader to it.
        let (heading_ref, amend) = (heading_ref.clone(), amending.is_some());
        use_effect_with((), move |_| {
            if amend {
                focus_node(&heading_ref);
            }
        });
    }
    let prefix = if amending.is_some() { "amend" } else { "rec" };

    let on_kind = {
        let (kind, values, errors) = (kind.clone(), values.clone(), errors.clone());
        Callback::from(move |v: String| {
            if let Ok(k) = v.parse::<RecordKind>() {
                kind.set(k);
                values.set(blank(k));
                errors.set(FieldErrors::default());
            }
        })
    };
    let set_value = |name: &'static str| {
        let values = values.clone();
        Callback::from(move |v: String| {
            let mut next = (*values).clone();
            if let Some(slot) = next.iter_mut().find(|(n, _)| n == name) {
                slot.1 = v;
            }
            values.set(next);
        })
    };

    let onsubmit = {
        let (kind, title, values, reason) =
            (kind.clone(), title.clone(), values.clone(), reason.clone());
        let (errors, failure, busy) = (errors.clone(), failure.clone(), busy.clone());
        let (patient, onsaved, amending) = (props.patient, props.onsaved.clone(), amending.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let mut errs = match to_body(*kind, &values) {
                Ok(_) => FieldErrors::default(),
                Err(errs) => errs,
            };
            let parsed_title = parse_title(&title).map_err(|e| errs.add("title", e.message));
            if amending.is_some() && reason.trim().chars().count() < 3 {
                errs.add(
                    "reason",
                    "Say why the record changes (at least 3 characters)",
                );
            }
            let (Ok(body), Ok(t)) = (to_body(*kind, &values), parsed_title) else {
                errors.set(errs);
                return;
            };
            if !errs.is_empty() {
                errors.set(errs);
                return;
            }
            errors.set(FieldErrors::default());
            busy.set(true);
            failure.set(None);
            let (k, r) = (*kind, (*reason).trim().to_owned());
            let (errors, failure, busy, onsaved, amending) = (
                errors.clone(),
                failure.clone(),
                busy.clone(),
                onsaved.clone(),
                amending.clone(),
            );
            let (title, values) = (title.clone(), values.clone());
            yew::platform::spawn_local(async move {
                let result = match &amending {
                    Some(rec) => {
                        let req = AmendRecordRequest {
                            title: Some(t),
                            body,
                            reason: r,
                        };
                        api::records::amend(rec.id, &req).await
                    }
                    None => {
                        let req = NewRecordRequest {
                            kind: k,
                            title: t,
                            body,
                        };
                        api::records::create(patient, &req).await
                    }
                };
                busy.set(false);
                match result {
                    Ok(rec) => {
                        if amending.is_none() {
                            title.set(String::new());
                            values.set(blank(k));
                        }
                        onsaved.emit(rec)
                    }
                    Err(e) => match e.field() {
                        Some(f) if f != "body" => {
                            let mut errs = FieldErrors::default();
                            errs.add(f, e.message());
                            errors.set(errs);
                        }
                        _ => failure.set(Some(e.message())),
                    },
                }
            });
        })
    };

    let kind_options: Vec<(String, String)> = props
        .kinds
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(*k).to_owned()))
        .collect();
    let value_of = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let heading = match &props.amend {
        Some(r) => format!("Amend: {}", r.title),
        None => "Add a record".to_owned(),
    };
    html! {
        <form id={format!("{prefix}-form")} class="card form-grid" {onsubmit} novalidate=true>
            <h2 ref={heading_ref} tabindex="-1">{ heading }</h2>
            if let Some(f) = &*failure {
                <Notice text={f.clone()} error=true />
            }
            if props.amend.is_none() {
                <SelectField id="rec-kind" label="Kind" options={kind_options} value={kind.as_str()}
                    onchange={on_kind} />
            }
            <TextField id={format!("{prefix}-title")} label="Title" value={(*title).clone()}
                oninput={let t = title.clone(); Callback::from(move |v| t.set(v))}
                error={errors.get("title")} />
            { for specs(*kind).into_iter().map(|s| {
                let id = format!("{prefix}-{}", s.name);
                let label = if s.required { s.label.to_owned() } else { format!("{} (optional)", s.label) };
                let (value, oninput, error) = (value_of(s.name), set_value(s.name), errors.get(s.name));
                match s.input {
                    Input::Area => html! { <TextArea {id} {label} {value} {oninput} {error} /> },
                    Input::Choice(opts) => {
                        let options = opts.iter().map(|o| ((*o).to_owned(), if o.is_empty() { "—".to_owned() } else { (*o).to_owned() })).collect::<Vec<_>>();
                        html! { <SelectField {id} {label} {options} {value} onchange={oninput} {error} /> }
                    }
                    Input::Date => html! { <TextField {id} {label} {value} {oninput} {error} input_type="date" /> },
                    Input::Whole(_) | Input::Decimal => html! {
                        <TextField {id} {label} {value} {oninput} {error} input_type="text" /> },
                    Input::Text => html! { <TextField {id} {label} {value} {oninput} {error} /> },
                }
            }) }
            if props.amend.is_some() {
                <TextField id="amend-reason" label="Reason for the change" value={(*reason).clone()}
                    oninput={let r = reason.clone(); Callback::from(move |v| r.set(v))}
                    error={errors.get("reason")} />
            }
            if let Some(e) = errors.get("body") {
                <p class="field-error">{ e }</p>
            }
            <div class="form-actions">
                <button id={format!("{prefix}-submit")} type="submit" class="btn btn-primary" disabled={*busy}>
                    { if props.amend.is_some() { "Save new version" } else { "Add record" } }
                </button>
                if let Some(cancel) = props.oncancel.clone() {
                    <button type="button" class="btn" onclick={move |_| cancel.emit(())}>{ "Cancel" }</button>
                }
            </div>
        </form>
    }
}
