//! Loading, empty, error and success lines, each with a stable class so the
//! stylesheet and the browser tests can find them. An outcome line
//! ([`Notice`]) takes the keyboard focus when it appears or changes, so after
//! an action focus sits on its result — never on the next row's button.

use yew::prelude::*;

use crate::api::ApiError;

#[function_component(Loading)]
pub fn loading() -> Html {
    html! { <p class="loading" aria-busy="true">{ "Loading…" }</p> }
}

#[derive(Properties, PartialEq)]
pub struct EmptyProps {
    pub text: AttrValue,
}

#[function_component(Empty)]
pub fn empty(props: &EmptyProps) -> Html {
    html! { <p class="empty">{ props.text.clone() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub error: ApiError,
}

/// A load that failed (not the outcome of an action: it does not take focus).
#[function_component(ErrorBanner)]
pub fn error_banner(props: &ErrorBannerProps) -> Html {
    html! { <p class="banner banner-error" role="alert">{ props.error.message() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub error: bool,
    /// Move the keyboard focus here when shown (the outcome of an action).
    #[prop_or(true)]
    pub focus: bool,
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

/// A one-line outcome message ("Consent granted.", "Could not save: …").
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((props.text.clone(), props.focus), move |(_, focus)| {
            if *focus {
                focus_node(&node);
            }
        });
    }
    let class = if props.error {
        "banner banner-error outcome"
    } else {
        "banner banner-ok outcome"
    };
    let role = if props.error { "alert" } else { "status" };
    html! { <p ref={node} id={props.id.clone()} {class} {role} tabindex="-1">{ props.text.clone() }</p> }
}

/// Focuses the element behind `node`, if it is rendered.
pub fn focus_node(node: &NodeRef) {
    if let Some(el) = node.cast::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// An optional outcome message: nothing when `None`.
pub fn outcome(msg: &Option<Result<String, String>>) -> Html {
    match msg {
        None => html! {},
        Some(Ok(t)) => html! { <Notice text={t.clone()} /> },
        Some(Err(t)) => html! { <Notice text={t.clone()} error=true /> },
    }
}
