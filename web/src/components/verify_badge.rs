//! The "verified" badge of one ledger event: runs the browser-side check in
//! `crate::verify` when shown and renders its outcome.

use yew::prelude::*;

use crate::verify::{self, Badge};

#[derive(Properties, PartialEq)]
pub struct VerifyBadgeProps {
    pub seq: u64,
}

#[function_component(VerifyBadge)]
pub fn verify_badge(props: &VerifyBadgeProps) -> Html {
    let badge = use_state(|| Badge::Checking);
    {
        let badge = badge.clone();
        use_effect_with(props.seq, move |seq| {
            let seq = *seq;
            yew::platform::spawn_local(async move { badge.set(verify::event(seq).await) });
        });
    }
    match &*badge {
        Badge::Checking => html! { <span class="badge verify-checking">{ "checking…" }</span> },
        Badge::Verified { size } => html! {
            <span class="badge badge-ok verified" title={format!("Included in the signed log of {size} events; proof checked in this browser")}>
                { "✓ verified" }
            </span>
        },
        Badge::Failed(why) => html! {
            <span class="badge badge-bad verify-failed" title={why.clone()}>{ "✗ not verified" }</span>
        },
        Badge::Unavailable(why) => html! {
            <span class="badge badge-warn verify-unavailable" title={why.clone()}>{ "not checked" }</span>
        },
    }
}
