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
/// New `deps` show the loading state; a reload keeps showing the previous
/// data until the new data arrives (no flicker after an action).
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
    let last_deps = use_mut_ref(|| None::<D>);
    let latest = use_mut_ref(|| 0u64);
    {
        let state = state.clone();
        use_effect_with((deps, *generation), move |(deps, _)| {
            // New inputs (a filter, a page): show loading rather than stale rows.
            if last_deps.borrow().as_ref().is_some_and(|d| d != deps) {
                state.set(Load::Loading);
            }
            *last_deps.borrow_mut() = Some(deps.clone());
            // Only the newest request may set the state (answers can overtake).
            let ticket = {
                let mut t = latest.borrow_mut();
                *t += 1;
                *t
            };
            let fut = fetch(deps.clone());
            yew::platform::spawn_local(async move {
                let result = fut.await;
                if *latest.borrow() == ticket {
                    state.set(match result {
                        Ok(v) => Load::Ready(Rc::new(v)),
                        Err(e) => Load::Failed(e),
                    });
                }
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

/// Where a one-shot action stands: its buttons are enabled only while `Idle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    /// A request is in flight.
    Busy,
    /// It succeeded and must not be sent again from this form.
    Done,
}

/// Guards an action against running twice: [`InFlight::start`] refuses while
/// a request is in flight (or after a success that locks the form), even for
/// a second click that arrives before the page re-renders.
#[derive(Clone)]
pub struct InFlight {
    now: Rc<std::cell::Cell<Phase>>,
    shown: UseStateHandle<Phase>,
}

impl InFlight {
    /// The phase as of this render (for `disabled=`).
    pub fn phase(&self) -> Phase {
        *self.shown
    }

    /// Whether the action's buttons must be disabled.
    pub fn blocked(&self) -> bool {
        *self.shown != Phase::Idle
    }

    /// Marks the action as started; `false` when it may not start now.
    pub fn start(&self) -> bool {
        if self.now.get() != Phase::Idle {
            return false;
        }
        self.set(Phase::Busy);
        true
    }

    /// The request failed or the form may be used again: enable it.
    pub fn idle(&self) {
        self.set(Phase::Idle);
    }

    /// The request succeeded and the form stays locked.
    pub fn done(&self) {
        self.set(Phase::Done);
    }

    fn set(&self, p: Phase) {
        self.now.set(p);
        self.shown.set(p);
    }
}

#[hook]
pub fn use_in_flight() -> InFlight {
    let cell = use_memo((), |_| std::cell::Cell::new(Phase::Idle));
    let shown = use_state(|| Phase::Idle);
    InFlight { now: cell, shown }
}
