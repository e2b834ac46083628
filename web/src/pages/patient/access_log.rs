//! Patient (or guardian): "who saw my data" — the ledger events about the
//! chart in plain words, one row per chart opening (the single entries on
//! expand), filtered by person, kind and date, each row with a badge this
//! browser verified itself (see `crate::verify`). Open emergency accesses
//! to the chart are shown on top.

use shared::ledger::Outcome;
use shared::patients::PatientProfile;
use yew::prelude::*;

use crate::api;
use crate::api::ledger::EventFilter;
use crate::components::access_groups::{group, Group};
use crate::components::chart_switcher::WithChart;
use crate::components::countdown::Countdown;
use crate::components::events::{person, Names};
use crate::components::field::control_value;
use crate::components::pager::Pager;
use crate::components::status::Empty;
use crate::components::time;
use crate::components::trust_panel::TrustPanel;
use crate::components::verify_badge::VerifyBadge;
use crate::hooks::{use_load, view_load};
use crate::session::use_session;
use crate::words::{action_words, basis_words, outcome_words, Topic};

const PAGE: i64 = 100;

#[function_component(AccessLog)]
pub fn access_log() -> Html {
    html! {
        <section class="page">
            <h1>{ "Who saw my data" }</h1>
            <p class="muted">{ "Every access to this chart is written to a tamper-evident ledger. The ✓ badge means this browser checked the entries' proofs against the ledger's published checkpoint, signed with the keys below." }</p>
            <TrustPanel />
            <WithChart render={Callback::from(|p: PatientProfile| html! { <LogView key={p.id.to_string()} profile={p.clone()} /> })} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ViewProps {
    profile: PatientProfile,
}

#[function_component(LogView)]
fn log_view(props: &ViewProps) -> Html {
    let session = use_session();
    let filter = use_state(|| EventFilter {
        patient: Some(props.profile.id.0),
        limit: PAGE,
        ..Default::default()
    });
    let topic = use_state(|| None::<Topic>);
    let events = use_load((*filter).clone(), |f| async move {
        api::ledger::events(&f).await
    });
    let clinicians = use_load((), |_| async { api::patients::clinicians("").await });
    let emergencies = use_load(props.profile.id, |id| async move {
        api::emergency::list(Some(id), Some("open")).await
    });

    let mut names = Names::new();
    if let Some(page) = clinicians.ready() {
        for c in &page.items {
            names.insert(c.user_id.0, c.display_name.clone());
        }
    }
    if let Some(uid) = props.profile.user_id {
        names.insert(uid.0, props.profile.full_name.clone());
    }
    if let Some(u) = session.user() {
        names.insert(u.id.0, format!("You ({})", u.display_name));
    }
    let mut people: Vec<(uuid::Uuid, String)> =
        names.iter().map(|(k, v)| (*k, v.clone())).collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));

    let set = |apply: fn(&mut EventFilter, String)| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let mut next = (*filter).clone();
            apply(&mut next, control_value(&e));
            next.offset = 0;
            filter.set(next);
        })
    };
    let on_person = set(|f, v| f.actor = v.parse().ok());
    let on_from = set(|f, v| f.from = time::start_of_local_day(&v));
    let on_to =
        set(|f, v| f.to = time::end_of_local_day(&v).map(|t| t + chrono::Duration::seconds(1)));
    let on_topic = {
        let topic = topic.clone();
        Callback::from(move |e: Event| topic.set(Topic::parse(&control_value(&e))))
    };
    let on_page = {
        let filter = filter.clone();
        Callback::from(move |o| {
            filter.set(EventFilter {
                offset: o,
                ..(*filter).clone()
            })
        })
    };
    html! {
        <>
            if let Some(page) = emergencies.ready() {
                { for page.items.iter().map(|e| html! {
                    <p class="banner banner-warn emergency-notice">
                        { format!("Emergency access by {}: “{}” — ", e.doctor_name, e.reason.as_deref().unwrap_or_default()) }
                        <Countdown until={e.expires_at} />
                    </p>
                }) }
            }
            <form class="filters" aria-label="Filter the log" onsubmit={|e: SubmitEvent| e.prevent_default()}>
                <div class="field">
                    <label for="log-person">{ "Who" }</label>
                    <select id="log-person" onchange={on_person}>
                        <option value="" selected={filter.actor.is_none()}>{ "Anyone" }</option>
                        { for people.iter().map(|(id, n)| html! {
                            <option value={id.to_string()} selected={filter.actor == Some(*id)}>{ n.clone() }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="log-topic">{ "What" }</label>
                    <select id="log-topic" onchange={on_topic}>
                        <option value="" selected={topic.is_none()}>{ "Everything" }</option>
                        { for Topic::ALL.into_iter().map(|t| html! {
                            <option value={t.key()} selected={*topic == Some(t)}>{ t.words() }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="log-from">{ "From" }</label>
                    <input id="log-from" type="date" onchange={on_from} />
                </div>
                <div class="field">
                    <label for="log-to">{ "Until" }</label>
                    <input id="log-to" type="date" onchange={on_to} />
                </div>
            </form>
            { view_load(&events.state, |page| {
                let groups = group(&page.items, *topic);
                html! {
                    <>
                        if groups.is_empty() {
                            <Empty text="Nothing in the log matches." />
                        } else {
                            <div class="table-wrap"><table id="access-log" class="table events">
                                <caption class="sr-only">{ "Who accessed this chart, newest first" }</caption>
                                <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "What" }</th>
                                    <th>{ "Grounds" }</th><th>{ "Ledger" }</th></tr></thead>
                                <tbody>{ for groups.into_iter().map(|g| {
                                    let key = g.first().event.seq.to_string();
                                    html! { <GroupRow {key} group={g} names={names.clone()} /> }
                                }) }</tbody>
                            </table></div>
                        }
                        <Pager total={page.total} limit={page.limit} offset={page.offset} onpage={on_page.clone()} />
                    </>
                }
            }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    group: Group,
    names: Names,
}

#[function_component(GroupRow)]
fn group_row(props: &RowProps) -> Html {
    let open = use_state(|| false);
    let g = &props.group;
    let first = &g.first().event;
    let b = &first.body;
    let n = g.items.len();
    let oldest = &g.items[n - 1].event.body;
    let when = if n > 1 {
        format!(
            "{} – {}",
            time::local(&oldest.time),
            time::local_time(&b.time)
        )
    } else {
        time::local(&b.time)
    };
    let what = if g.is_opening() {
        if n == 1 {
            "opened the chart (1 record)".to_owned()
        } else {
            format!("opened the chart ({n} records)")
        }
    } else {
        action_words(b.action).to_owned()
    };
    let denied = b.outcome != Outcome::Allowed;
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let details_id = format!("details-{}", first.seq);
    html! {
        <tr data-seq={first.seq.to_string()} data-action={b.action.as_str()} data-count={n.to_string()}>
            <td data-label="When">{ when }</td>
            <td data-label="Who">{ person(&props.names, b.actor_id, b.actor_role) }
                if let Some(r) = b.actor_role { <span class="muted">{ format!(" ({r})") }</span> }</td>
            <td data-label="What">
                { what }
                if denied { { " " }<span class="badge badge-bad">{ outcome_words(b.outcome) }</span> }
                if n > 1 {
                    { " " }
                    <button type="button" class="btn btn-small btn-quiet expand" aria-expanded={open.to_string()}
                        aria-controls={details_id.clone()} onclick={toggle}>
                        { if *open { "Hide details" } else { "Details" } }
                    </button>
                    if *open {
                        <ul id={details_id} class="group-details">
                            { for g.items.iter().map(|i| html! {
                                <li data-seq={i.event.seq.to_string()}>
                                    { format!("{} · {} · entry #{}", time::local(&i.event.body.time), action_words(i.event.body.action), i.event.seq) }
                                </li>
                            }) }
                        </ul>
                    }
                }
            </td>
            <td data-label="Grounds">{ b.basis.map(|x| basis_words(x.kind)).unwrap_or_default() }</td>
            <td data-label="Ledger"><VerifyBadge seqs={g.seqs()} /></td>
        </tr>
    }
}
