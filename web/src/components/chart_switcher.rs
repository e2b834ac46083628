//! For patients and guardians: which chart the patient screens show (their
//! own or a dependent's). Loads the charts the user may see, picks their own
//! by default, and stores the choice in the session.

use shared::patients::PatientProfile;
use shared::PatientId;
use yew::prelude::*;

use crate::api;
use crate::hooks::{use_load, Load};
use crate::session::{use_session, Action};

use super::status::{Empty, ErrorBanner, Loading};

#[derive(Properties, PartialEq)]
pub struct WithChartProps {
    /// Renders the page for the chosen chart.
    pub render: Callback<PatientProfile, Html>,
}

/// Shows a switcher (when there is more than one chart) above `render(chart)`.
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
    let own = page
        .items
        .iter()
        .find(|p| p.user_id.is_some() && p.user_id == me);
    let chosen = session
        .chart
        .and_then(|id| page.items.iter().find(|p| p.id == id))
        .or(own)
        .or(page.items.first());
    let Some(chart) = chosen.cloned() else {
        return html! { <Empty text="No chart is linked to your account yet. Ask the clinic to set one up." /> };
    };
    let onchange = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Ok(id) = select.value().parse::<PatientId>() {
                session.dispatch(Action::SelectChart(id));
            }
        })
    };
    html! {
        <>
            if page.items.len() > 1 {
                <div class="toolbar chart-switcher">
                    <label for="chart-switch">{ "Chart:" }</label>
                    <select id="chart-switch" {onchange}>
                        { for page.items.iter().map(|p| {
                            let mine = p.user_id.is_some() && p.user_id == me;
                            let label = if mine { format!("{} (me)", p.full_name) } else { format!("{} (dependent)", p.full_name) };
                            html! { <option value={p.id.to_string()} selected={p.id == chart.id}>{ label }</option> }
                        }) }
                    </select>
                </div>
            }
            { props.render.emit(chart) }
        </>
    }
}
