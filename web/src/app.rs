//! The root component. For now it shows whether the api answers `/health`.

use gloo_net::http::Request;
use shared::health::HealthStatus;
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    let status = use_state(|| None::<Result<String, String>>);
    {
        let status = status.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures_spawn(async move {
                let result = match Request::get("/health").send().await {
                    Ok(resp) => resp
                        .json::<HealthStatus>()
                        .await
                        .map(|h| h.status)
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                status.set(Some(result));
            });
        });
    }
    let health = match &*status {
        None => html! { <span class="muted">{ "checking…" }</span> },
        Some(Ok(s)) => html! { <span id="health-status" class="ok">{ format!("API {s}") }</span> },
        Some(Err(e)) => {
            html! { <span id="health-status" class="err">{ format!("API unreachable: {e}") }</span> }
        }
    };
    html! {
        <main class="app">
            <h1>{ "CareLedger" }</h1>
            <p>{ "Electronic health records with a verifiable access ledger." }</p>
            <p>{ health }</p>
        </main>
    }
}

fn wasm_bindgen_futures_spawn<F: std::future::Future<Output = ()> + 'static>(f: F) {
    yew::platform::spawn_local(f);
}
