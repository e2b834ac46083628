//! The CareLedger single-page app (Yew, client-side rendered). Built for
//! wasm32 and served by the api on the same origin.

mod app;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
