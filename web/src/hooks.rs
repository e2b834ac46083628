//! Loading data: [`use_load`] runs an api call when its inputs change (or on
//! `reload`), and [`view_load`] renders the loading, error and ready states.

use std::future::Future;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::ApiError;
use crate::components::status::{ErrorBanner, Loading};

#[derive(Debug, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(Rc<T>),
    Failed(ApiError),
}

/// The current state of a load, and a callback that runs it again.
#[derive(Clone)]
pub struct Loader<T> {
    pub state: Load<T>,
    pub reload: Callback<()>,
}

impl<T> Loader<T> {
    pub fn ready(&self) -> Option<&T> {
        match &self.state {
            Load::Ready(v) => Some(v),
            _ => None,
        }
    }
}

/// Runs `fetch(deps)` now and whenever `deps` change or `reload` is emitted.
/// A reload keeps showing the previous data until the new data arrives.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, fetch: F) -> Loader<T>
where
    T: 'static,
    D: PartialEq + Clone + 'static,
    F: Fn(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let state = use_state(|| Load::<T>::Loading);
    let generation = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with((deps, *generation), move |(deps, _)| {
            let fut = fetch(deps.clone());
            yew::platform::spawn_local(async move {
                state.set(match fut.await {
                    Ok(v) => Load::Ready(Rc::new(v)),
                    Err(e) => Load::Failed(e),
                });
            });
        });
    }
    let reload = {
        let generation = generation.clone();
        Callback::from(move |_| generation.set(generation.wrapping_add(1)))
    };
    Loader {
        state: (*state).clone(),
        reload,
    }
}

impl<T> Clone for Load<T> {
    fn clone(&self) -> Self {
        match self {
            Load::Loading => Load::Loading,
            Load::Ready(v) => Load::Ready(Rc::clone(v)),
            Load::Failed(e) => Load::Failed(e.clone()),
        }
    }
}

/// Renders a load: a spinner line, an error banner, or `ready(data)`.
pub fn view_load<T>(load: &Load<T>, ready: impl FnOnce(&T) -> Html) -> Html {
    match load {
        Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBanner error={e.clone()} /> },
        Load::Ready(v) => ready(v),
    }
}
