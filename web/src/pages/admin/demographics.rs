//! Admin: demographics of the patient population — age bands and sex as SVG
//! bar charts, with the total.

use yew::prelude::*;

use crate::api;
use crate::components::bar_chart::BarChart;
use crate::hooks::{use_load, view_load};

#[function_component(Demographics)]
pub fn demographics() -> Html {
    let data = use_load((), |_| async { api::admin::demographics().await });
    html! {
        <section class="page">
            <h1>{ "Demographics" }</h1>
            { view_load(&data.state, |d| html! {
                <>
                    <div class="stats"><div class="stat"><b id="patient-total">{ d.total }</b>{ "patients" }</div></div>
                    <div class="charts">
                        <BarChart id="age-chart" title="Age bands"
                            bars={d.age_bands.iter().map(|b| (b.band.clone(), b.count)).collect::<Vec<_>>()} />
                        <BarChart id="sex-chart" title="Sex"
                            bars={d.sex.iter().map(|s| (s.sex.as_str().to_owned(), s.count)).collect::<Vec<_>>()} />
                    </div>
                </>
            }) }
        </section>
    }
}
