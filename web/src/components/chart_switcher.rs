//! For patients and guardians: which chart the patient screens show (their
//! own or a dependent's). Loads the charts the user may see, picks the one
//! chosen before (kept in the session and in sessionStorage, per account, so
//! a reload keeps it) or else their own, and says whose chart it is on every
//! page: "Chart of <name>". Switching is a button press — never a side effect
//! of arrow keys moving through a list.

use shared::patients::PatientProfile;
use shared::{PatientId, UserId};
use yew::prelude::*;

use crate::api;
use crate::hooks::{use_load, Load};
use crate::session::{use_session, Action};

use super::status::{Empty, ErrorBanner, Loading};

const STORE_PREFIX: &str = "careledger.chart.";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The chart this account chose earlier in this browser tab.
pub fn stored_choice(user: UserId) -> Option<PatientId> {
    storage()?
        .get_item(&format!("{STORE_PREFIX}{user}"))
        .ok()??
        .parse()
        .ok()
}

/// Remembers the choice for reloads of this tab.
pub fn store_choice(user: UserId, chart: PatientId) {
    if let Some(s) = storage() {
        let _ = s.set_item(&format!("{STORE_PREFIX}{user}"), &chart.to_string());
    }
}

#[derive(Properties, PartialEq)]
pub struct WithChartProps {
    /// Renders the page for the chosen chart.
    pub render: Callback<PatientProfile, Html>,
}

/// Shows whose chart this is (and the switcher, when there is more than
/// one) above `render(chart)`.
#[function_component(WithChart)]
pub fn with_chart(props: &WithChartProps) -> Html {
    let session = use_session();
    let charts = use_load((), |_| async { api::patients::list("", 100, 0).await });
    let Load::Ready(page) = &charts.state else {
        return match &charts.state {
            Load::Failed(e) => html! { <ErrorBanner error={e.clone()} /> },
            _ => html! { <Loading /> },
        };
    };
    let me = session.user().map(|u| u.id);
    let is_mine = |p: &PatientProfile| p.user_id.is_some() && p.user_id == me;
    let own = page.items.iter().find(|p| is_mine(p));
    let chosen = session
        .chart
        .or_else(|| me.and_then(stored_choice))
        .and_then(|id| page.items.iter().find(|p| p.id == id))
        .or(own)
        .or(page.items.first());
    let Some(chart) = chosen.cloned() else {
        return html! { <Empty text="No chart is linked to your account yet. Ask the clinic to set one up." /> };
    };
    let mine = is_mine(&chart);
    let choose = |id: PatientId| {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(u) = session.user() {
                store_choice(u.id, id);
            }
            session.dispatch(Action::SelectChart(id));
        })
    };
    html! {
        <>
            if page.items.len() > 1 {
                <div class="toolbar chart-switcher" role="group" aria-label="Whose chart">
                    <span class="switch-label">{ "Whose chart:" }</span>
                    { for page.items.iter().map(|p| {
                        let current = p.id == chart.id;
                        let label = if is_mine(p) { format!("{} (me)", p.full_name) } else { p.full_name.clone() };
                        html! {
                            <button type="button" class={classes!("btn", "btn-small", "chart-choice", current.then_some("active"))}
                                aria-pressed={current.to_string()} data-chart={p.full_name.clone()}
                                onclick={choose(p.id)}>{ label }</button>
                        }
                    }) }
                </div>
            }
            if !mine {
                <p id="chart-of" class="banner banner-warn chart-of">
                    <strong>{ format!("Chart of {}", chart.full_name) }</strong>
                    { " — you are acting as their guardian." }
                </p>
            } else if page.items.len() > 1 {
                <p id="chart-of" class="chart-of muted">{ format!("Chart of {} (your own)", chart.full_name) }</p>
            }
            { props.render.emit(chart) }
        </>
    }
}
