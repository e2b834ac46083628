//! Loading, empty, error and success lines, each with a stable class so the
//! stylesheet and the browser tests can find them.

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

#[function_component(ErrorBanner)]
pub fn error_banner(props: &ErrorBannerProps) -> Html {
    html! { <p class="banner banner-error" role="alert">{ props.error.message() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub error: bool,
}

/// A one-line outcome message ("Consent granted.", "Could not save: …").
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    let class = if props.error {
        "banner banner-error"
    } else {
        "banner banner-ok"
    };
    html! { <p {class} role="status">{ props.text.clone() }</p> }
}

/// An optional outcome message: nothing when `None`.
pub fn outcome(msg: &Option<Result<String, String>>) -> Html {
    match msg {
        None => html! {},
        Some(Ok(t)) => html! { <Notice text={t.clone()} /> },
        Some(Err(t)) => html! { <Notice text={t.clone()} error=true /> },
    }
}
