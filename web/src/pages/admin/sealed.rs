//! Admin: a record as the database stores it — sealed ciphertext per
//! version with its key id and nonce, never the clinical text.

use shared::RecordId;
use yew::prelude::*;

use crate::api;
use crate::components::kind_fields::kind_label;
use crate::components::time;
use crate::hooks::{use_load, view_load};

#[derive(Properties, PartialEq)]
pub struct SealedProps {
    pub id: RecordId,
}

#[function_component(SealedRecord)]
pub fn sealed_record(props: &SealedProps) -> Html {
    let data = use_load(props.id, |id| async move { api::records::sealed(id).await });
    html! {
        <section class="page">
            <h1>{ "Sealed record" }</h1>
            <p class="muted">{ "What the database holds: AES-256-GCM ciphertext bound to the record, version and patient. Admins see no clinical text here." }</p>
            { view_load(&data.state, |r| html! {
                <>
                    <div class="card">
                        <dl class="profile">
                            <dt>{ "Record" }</dt><dd><code>{ r.id.to_string() }</code></dd>
                            <dt>{ "Patient" }</dt><dd><code>{ r.patient_id.to_string() }</code></dd>
                            <dt>{ "Kind" }</dt><dd>{ kind_label(r.kind) }</dd>
                        </dl>
                    </div>
                    <div class="table-wrap"><table id="sealed-versions" class="table">
                        <thead><tr><th>{ "Version" }</th><th>{ "Key" }</th><th>{ "Nonce" }</th><th>{ "Ciphertext (base64)" }</th><th>{ "Written" }</th></tr></thead>
                        <tbody>{ for r.versions.iter().map(|v| html! {
                            <tr>
                                <td data-label="Version">{ v.version }</td>
                                <td data-label="Key">{ v.key_id }</td>
                                <td data-label="Nonce"><code>{ &v.nonce_hex }</code></td>
                                <td data-label="Ciphertext"><code class="cipher">{ &v.ciphertext_base64 }</code></td>
                                <td data-label="Written">{ time::local(&v.created_at) }</td>
                            </tr>
                        }) }</tbody>
                    </table></div>
                </>
            }) }
        </section>
    }
}
