//! Records as cards: kind, title, version, author and time, the structured
//! body as a definition list, the version history on demand, and an amend
//! button when the viewer may write. [`RecordList`] groups them by kind.

use serde_json::Value;
use shared::records::{RecordKind, RecordView};
use yew::prelude::*;

use super::kind_fields::{kind_label, specs};
use super::status::{Empty, ErrorBanner, Loading};
use super::time;
use crate::api;
use crate::hooks::Load;

#[derive(Properties, PartialEq)]
pub struct RecordListProps {
    pub records: Vec<RecordView>,
    /// Called with a record to amend; no amend buttons when absent.
    #[prop_or_default]
    pub onamend: Option<Callback<RecordView>>,
}

/// Records with kind tabs ("All" plus each kind present).
#[function_component(RecordList)]
pub fn record_list(props: &RecordListProps) -> Html {
    let filter = use_state(|| None::<RecordKind>);
    let mut kinds: Vec<RecordKind> = props.records.iter().map(|r| r.kind).collect();
    kinds.sort();
    kinds.dedup();
    if props.records.is_empty() {
        return html! { <Empty text="No records yet." /> };
    }
    let tab = |k: Option<RecordKind>, label: String| {
        let filter = filter.clone();
        let active = *filter == k;
        let count = props
            .records
            .iter()
            .filter(|r| k.is_none_or(|k| r.kind == k))
            .count();
        html! {
            <button type="button" class={classes!("tab", active.then_some("active"))}
                aria-pressed={active.to_string()} data-kind={k.map(|k| k.as_str()).unwrap_or("all")}
                onclick={move |_| filter.set(k)}>
                { format!("{label} ({count})") }
            </button>
        }
    };
    html! {
        <div class="records">
            <div class="tabs" role="group" aria-label="Show records of kind">
                { tab(None, "All".into()) }
                { for kinds.iter().map(|k| tab(Some(*k), kind_label(*k).into())) }
            </div>
            { for props.records.iter().filter(|r| filter.is_none_or(|k| r.kind == k)).map(|r| html! {
                <RecordCard key={r.id.to_string()} record={r.clone()} onamend={props.onamend.clone()} />
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecordCardProps {
    pub record: RecordView,
    #[prop_or_default]
    pub onamend: Option<Callback<RecordView>>,
}

#[function_component(RecordCard)]
pub fn record_card(props: &RecordCardProps) -> Html {
    let r = &props.record;
    let history = use_state(|| None::<Load<Vec<RecordView>>>);
    let toggle_history = {
        let (history, id) = (history.clone(), r.id);
        Callback::from(move |_| {
            if history.is_some() {
                history.set(None);
                return;
            }
            history.set(Some(Load::Loading));
            let history = history.clone();
            yew::platform::spawn_local(async move {
                history.set(Some(match api::records::versions(id).await {
                    Ok(p) => Load::Ready(std::rc::Rc::new(p.items)),
                    Err(e) => Load::Failed(e),
                }));
            });
        })
    };
    let amend = props.onamend.clone().map(|cb| {
        let rec = r.clone();
        html! {
            <button type="button" class="btn btn-small amend" onclick={move |_| cb.emit(rec.clone())}>
                { "Amend" }
            </button>
        }
    });
    html! {
        <article class="record" data-kind={r.kind.as_str()} data-record-id={r.id.to_string()}>
            <div class="record-head">
                <div>
                    <span class="badge">{ kind_label(r.kind) }</span>{ " " }
                    <strong class="record-title">{ &r.title }</strong>
                    if r.version > 1 {
                        { " " }<span class="badge badge-warn">{ format!("version {}", r.version) }</span>
                    }
                </div>
                <div class="actions">
                    <button type="button" class="btn btn-small btn-quiet history" onclick={toggle_history}>
                        { if history.is_some() { "Hide history" } else { "History" } }
                    </button>
                    { amend.unwrap_or_default() }
                </div>
            </div>
            <p class="muted">
                { format!("{} ({}) · {}", r.author_name, r.author_role, time::local(&r.version_created_at)) }
                if let Some(reason) = &r.reason {
                    <span class="amend-reason">{ format!(" · amended: {reason}") }</span>
                }
            </p>
            { body_view(r) }
            { match &*history {
                None => html! {},
                Some(Load::Loading) => html! { <Loading /> },
                Some(Load::Failed(e)) => html! { <ErrorBanner error={e.clone()} /> },
                Some(Load::Ready(versions)) => versions_view(versions),
            } }
        </article>
    }
}

fn body_view(r: &RecordView) -> Html {
    if r.unreadable {
        return html! { <p class="banner banner-error">{ "This version failed its integrity check and is not shown." }</p> };
    }
    let Some(Value::Object(body)) = &r.body else {
        return html! { <p class="muted">{ "Contents not available to you." }</p> };
    };
    // The kind's fields in form order, then anything else the body holds.
    let specs = specs(r.kind);
    let mut rows: Vec<(String, &Value)> = specs
        .iter()
        .filter_map(|s| body.get(s.name).map(|v| (s.label.to_owned(), v)))
        .collect();
    rows.extend(
        body.iter()
            .filter(|(k, _)| !specs.iter().any(|s| s.name == k.as_str()))
            .map(|(k, v)| (k.replace('_', " "), v)),
    );
    html! {
        <dl class="record-body">
            { for rows.into_iter().filter(|(_, v)| !v.is_null()).map(|(label, v)| {
                html! { <><dt>{ label }</dt><dd>{ value_text(v) }</dd></> }
            }) }
        </dl>
    }
}

/// A body value as text; decimals are rounded to two places (the api keeps
/// some measurements as 32-bit floats, so 37.1 can come back as 37.0999…).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .map(|f| {
                let t = format!("{f:.2}");
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            })
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

fn versions_view(versions: &[RecordView]) -> Html {
    html! {
        <ol class="versions">
            { for versions.iter().map(|v| html! {
                <li class="version">
                    <strong>{ format!("v{} ", v.version) }</strong>
                    { format!("{} — {} ({})", time::local(&v.version_created_at), v.author_name, v.author_role) }
                    if let Some(reason) = &v.reason { <em>{ format!(" — {reason}") }</em> }
                    <div class="muted">{ &v.title }</div>
                </li>
            }) }
        </ol>
    }
}
