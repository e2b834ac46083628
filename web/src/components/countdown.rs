//! A live "time left" display, ticking every second until `until`.

use chrono::{DateTime, Utc};
use gloo_timers::callback::Interval;
use yew::prelude::*;

use super::time::{now_millis, remaining};

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    pub until: DateTime<Utc>,
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let now = use_state(now_millis);
    {
        let now = now.clone();
        use_effect_with(props.until, move |_| {
            let tick = Interval::new(1000, move || now.set(now_millis()));
            move || drop(tick)
        });
    }
    let left = remaining(&props.until, *now);
    let expired = left == "expired";
    html! {
        <span class={classes!("countdown", if expired { "err" } else { "ok" })} role="timer">
            { if expired { "expired".to_owned() } else { format!("{left} left") } }
        </span>
    }
}
