//! Admin: the access overview — who can open which chart, on what basis
//! (consent, guardian, emergency, own chart) and until when.

use shared::admin::BasisKind;
use yew::prelude::*;

use crate::api;
use crate::components::pager::Pager;
use crate::components::scope::access_label;
use crate::components::status::Empty;
use crate::components::time;
use crate::hooks::{use_load, view_load};

const PAGE: i64 = 25;

#[function_component(AdminAccess)]
pub fn admin_access() -> Html {
    let offset = use_state(|| 0i64);
    let data = use_load(*offset, |o| async move {
        api::admin::access_overview(PAGE, o).await
    });
    let on_page = {
        let offset = offset.clone();
        Callback::from(move |o| offset.set(o))
    };
    html! {
        <section class="page">
            <h1>{ "Access overview" }</h1>
            { view_load(&data.state, |page| if page.items.is_empty() {
                html! { <Empty text="No one holds access to any chart." /> }
            } else {
                html! {
                    <>
                        <div class="table-wrap"><table id="access-overview" class="table">
                            <thead><tr><th>{ "Patient" }</th><th>{ "Who" }</th><th>{ "Role" }</th><th>{ "Basis" }</th>
                                <th>{ "Access" }</th><th>{ "Until" }</th></tr></thead>
                            <tbody>{ for page.items.iter().map(|e| html! {
                                <tr>
                                    <td data-label="Patient">{ &e.patient_name }</td>
                                    <td data-label="Who">{ &e.user_name }</td>
                                    <td data-label="Role">{ e.role.as_str() }</td>
                                    <td data-label="Basis"><span class={classes!("badge", (e.basis == BasisKind::Emergency).then_some("badge-bad"))}>
                                        { e.basis.as_str().replace('_', " ") }</span></td>
                                    <td data-label="Access">{ access_label(e.access) }</td>
                                    <td data-label="Until">{ e.until.as_ref().map(time::local).unwrap_or_else(|| "open-ended".into()) }</td>
                                </tr>
                            }) }</tbody>
                        </table></div>
                        <Pager total={page.total} limit={page.limit} offset={page.offset} onpage={on_page.clone()} />
                    </>
                }
            }) }
        </section>
    }
}
