//! The "verified" badge of ledger events: runs the browser-side check in
//! `crate::verify` for each event of a row when shown and renders the
//! outcome — verified only when every event verified; the first failure
//! otherwise.

use yew::prelude::*;

use crate::verify::{self, Badge};

#[derive(Properties, PartialEq)]
pub struct VerifyBadgeProps {
    /// The events the row stands for (one or more).
    pub seqs: Vec<u64>,
}

#[function_component(VerifyBadge)]
pub fn verify_badge(props: &VerifyBadgeProps) -> Html {
    let badge = use_state(|| Badge::Checking);
    {
        let badge = badge.clone();
        use_effect_with(props.seqs.clone(), move |seqs| {
            let seqs = seqs.clone();
            yew::platform::spawn_local(async move {
                let all = futures::future::join_all(seqs.iter().map(|s| verify::event(*s))).await;
                badge.set(combine(all));
            });
        });
    }
    match &*badge {
        Badge::Checking => html! { <span class="badge verify-checking">{ "checking…" }</span> },
        Badge::Verified { size } => html! {
            <span class="badge badge-ok verified" title={format!("{} included in the signed log of {size} events; proofs checked in this browser",
                if props.seqs.len() == 1 { "This entry is".to_owned() } else { format!("All {} entries are", props.seqs.len()) })}>
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

/// One badge for several events: the first failure, else the first "could
/// not check", else verified (against the largest signed log seen).
fn combine(badges: Vec<Badge>) -> Badge {
    if let Some(f) = badges.iter().find(|b| matches!(b, Badge::Failed(_))) {
        return f.clone();
    }
    if let Some(u) = badges.iter().find(|b| matches!(b, Badge::Unavailable(_))) {
        return u.clone();
    }
    let size = badges
        .iter()
        .filter_map(|b| match b {
            Badge::Verified { size } => Some(*size),
            _ => None,
        })
        .max();
    match size {
        Some(size) => Badge::Verified { size },
        None => Badge::Unavailable("nothing to check".into()),
    }
}
