//! The CareLedger single-page app (Yew, client-side rendered), built for
//! wasm32 and served by the api on the same origin. Talks to the api only
//! through `api` with `shared` types; keeps the access token in memory.

pub mod api;
pub mod app;
pub mod clinical;
pub mod components;
pub mod hooks;
pub mod inbox;
pub mod pages;
pub mod route;
pub mod session;
pub mod verify;
pub mod words;

/// Mounts the app on the document body.
pub fn run() {
    yew::Renderer::<app::App>::new().render();
}
