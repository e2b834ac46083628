//! The signed-in frame: a skip link, brand, the role's navigation (the
//! current page marked for screen readers too), who is signed in, and
//! sign-out, with the inbox's count next to "Home"; the idle lock
//! (`idle_lock`) watches activity inside it. Pages render inside it; when the route changes, focus moves to
//! the new page's main region, as a page load would.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::idle_lock::use_idle_lock;
use crate::components::status::focus_node;
use crate::hooks::use_load;
use crate::inbox;
use crate::route::{nav_for, Route};
use crate::session::{use_session, Action};

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub current: Route,
    pub children: Html,
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let main_ref = use_node_ref();
    let first = use_mut_ref(|| true);
    {
        let main_ref = main_ref.clone();
        use_effect_with(props.current.clone(), move |_| {
            // Not on the first page of a visit: there the browser starts at the top.
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                focus_node(&main_ref);
            }
        });
    }
    let active = use_idle_lock();
    let Some(user) = session.user().cloned() else {
        return props.children.clone();
    };
    let skip = {
        let main_ref = main_ref.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            focus_node(&main_ref);
        })
    };
    // A plain click navigates in place; a modified click (new tab) is left
    // to the browser.
    let go = |route: &Route| {
        let (navigator, route) = (navigator.clone(), route.clone());
        Callback::from(move |e: MouseEvent| {
            if e.ctrl_key() || e.meta_key() || e.shift_key() || e.button() != 0 {
                return;
            }
            e.prevent_default();
            if let Some(n) = &navigator {
                n.push(&route);
            }
        })
    };
    let sign_out = {
        let (session, navigator) = (session.clone(), navigator.clone());
        Callback::from(move |_: MouseEvent| {
            let session = session.clone();
            let navigator = navigator.clone();
            yew::platform::spawn_local(async move {
                // Signing out locally even if the server is unreachable.
                let _ = api::auth::logout().await;
                session.dispatch(Action::SignedOut);
                if let Some(n) = navigator {
                    n.push(&Route::Login);
                }
            });
        })
    };
    html! {
        <div class="shell" onkeydown={active.reform(|_: KeyboardEvent| ())}
            onpointerdown={active.reform(|_: PointerEvent| ())} onwheel={active.reform(|_: WheelEvent| ())}
            ontouchstart={active.reform(|_: TouchEvent| ())}>
            <a class="skip-link" href="#main" onclick={skip}>{ "Skip to main content" }</a>
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "CareLedger" }</Link<Route>>
                <nav class="nav" aria-label="Main">
                    { for nav_for(user.role).into_iter().map(|(route, label)| {
                        let active = route == props.current;
                        html! {
                            <a href={route.to_path()} class={classes!("nav-link", active.then_some("active"))}
                                aria-current={active.then_some("page")} onclick={go(&route)}>
                                { label }
                                if route == Route::Home {
                                    <InboxCount role={user.role} current={props.current.clone()} />
                                }
                            </a>
                        }
                    }) }
                </nav>
                <div class="who">
                    <span id="signed-in-as" class="who-name">{ user.display_name.clone() }</span>
                    <span class={classes!("role-badge", format!("role-{}", user.role))}>{ user.role.as_str() }</span>
                    <a href={Route::Security.to_path()} class="nav-link security-link"
                        aria-current={(props.current == Route::Security).then_some("page")}
                        onclick={go(&Route::Security)}>{ "Security" }</a>
                    <button id="sign-out" class="btn btn-quiet" onclick={sign_out}>{ "Sign out" }</button>
                </div>
            </header>
            <main id="main" class="content" tabindex="-1" ref={main_ref}>{ props.children.clone() }</main>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct InboxCountProps {
    role: shared::Role,
    /// Reloaded on every page change, and every minute.
    current: Route,
}

/// The number of inbox items (`crate::inbox`), next to "Home".
#[function_component(InboxCount)]
fn inbox_count(props: &InboxCountProps) -> Html {
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with((), move |_| {
            let interval = gloo_timers::callback::Interval::new(60_000, move || {
                tick.set(tick.wrapping_add(1))
            });
            move || drop(interval)
        });
    }
    let count = use_load(
        (props.role, props.current.clone(), *tick),
        |(role, _, _)| async move { inbox::load(role).await.map(|items| items.len()) },
    );
    match count.ready() {
        Some(n) if *n > 0 => html! {
            <>
                <span id="inbox-count" class="nav-count" aria-hidden="true">{ n }</span>
                <span class="sr-only">{ format!(" ({n} need your attention)") }</span>
            </>
        },
        _ => html! {},
    }
}
