//! "Checked against": the keys pinned in this app (`crate::verify::trust`)
//! with their fingerprints, so a patient can compare them with the ones the
//! clinic published out of band, and — once a check of the log failed on
//! this page — the evidence to download (both signed checkpoints and the
//! proof), for a regulator or a witness operator.

use gloo_timers::callback::Interval;
use shared::ledger::policy::TrustPolicy;
use yew::prelude::*;

use crate::components::download::save;
use crate::verify::{published, trust};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[function_component(TrustPanel)]
pub fn trust_panel() -> Html {
    let policy = use_state(|| None::<Result<std::rc::Rc<TrustPolicy>, trust::TrustError>>);
    let evidence = use_state(|| None::<String>);
    {
        let policy = policy.clone();
        use_effect_with((), move |_| {
            yew::platform::spawn_local(async move { policy.set(Some(trust::pinned().await)) });
        });
    }
    {
        // A failure can come from any badge at any time: look once a second.
        let evidence = evidence.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(1000, move || {
                if let Some(e) = published::evidence() {
                    evidence.set(Some(e));
                }
            });
            move || drop(interval)
        });
    }
    let download = {
        let evidence = evidence.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(text) = &*evidence {
                let _ = save(text, "careledger-evidence.json", "application/json");
            }
        })
    };
    html! {
        <details class="card trust-panel" id="trust-panel">
            <summary>{ "Keys this app checks the ledger with" }</summary>
            { match &*policy {
                None => html! { <p class="loading">{ "Loading…" }</p> },
                Some(Err(e)) => html! { <p class="banner banner-warn" id="trust-missing">{ e.to_string() }</p> },
                Some(Ok(p)) => view_policy(p),
            } }
            if evidence.is_some() {
                <p class="banner banner-error" id="trust-failure">
                    { "A check of the ledger failed on this page. Keep the evidence: it holds both signed checkpoints and the proof. " }
                    <button id="evidence-download" class="btn" onclick={download}>{ "Download the evidence" }</button>
                </p>
            }
        </details>
    }
}

fn view_policy(p: &TrustPolicy) -> Html {
    let witnesses = if p.witnesses.is_empty() {
        html! { <p>{ "No witnesses are pinned: the clinic's signature alone is trusted." }</p> }
    } else {
        html! {
            <>
                <p id="trust-quorum">{ format!("At least {} of these {} independent witnesses must have confirmed each checkpoint:", p.quorum, p.witnesses.len()) }</p>
                <ul class="trust-keys">
                    { for p.witnesses.iter().map(|w| html! {
                        <li class="trust-witness">{ format!("{} — fingerprint {}", w.name, hex(&w.key_id)) }<br /><code class="cipher">{ w.to_string() }</code></li>
                    }) }
                </ul>
            </>
        }
    };
    html! {
        <>
            <p class="muted">{ "These keys were installed with this app by the clinic; the server cannot change them. Compare the fingerprints with the ones the clinic published." }</p>
            <p>{ "The ledger's signing key:" }</p>
            <ul class="trust-keys">
                { for p.logs.iter().map(|k| html! {
                    <li class="trust-log">{ format!("{} — fingerprint {}", k.name, hex(&k.key_id)) }<br /><code class="cipher">{ k.to_string() }</code></li>
                }) }
            </ul>
            { witnesses }
        </>
    }
}
