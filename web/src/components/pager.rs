//! "Previous / Next" paging for lists that use the api's `Page` envelope.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PagerProps {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// Called with the new offset.
    pub onpage: Callback<i64>,
}

#[function_component(Pager)]
pub fn pager(props: &PagerProps) -> Html {
    let (total, limit, offset) = (props.total, props.limit.max(1), props.offset.max(0));
    if total <= limit && offset == 0 {
        return html! { <p class="pager muted">{ format!("{total} in total") }</p> };
    }
    let first = if total == 0 { 0 } else { offset + 1 };
    let last = (offset + limit).min(total);
    let prev = {
        let cb = props.onpage.clone();
        Callback::from(move |_| cb.emit((offset - limit).max(0)))
    };
    let next = {
        let cb = props.onpage.clone();
        Callback::from(move |_| cb.emit(offset + limit))
    };
    html! {
        <div class="pager">
            <button class="btn btn-quiet page-prev" disabled={offset == 0} onclick={prev}>{ "← Previous" }</button>
            <span class="muted">{ format!("{first}–{last} of {total}") }</span>
            <button class="btn btn-quiet page-next" disabled={last >= total} onclick={next}>{ "Next →" }</button>
        </div>
    }
}
