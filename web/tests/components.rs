//! Component tests in a real browser (wasm-bindgen-test + headless Chromium):
//! render a component into a fresh element and check what a person would see.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use wasm_bindgen_test::*;
use web::api::ApiError;
use web::components::field::{TextField, TextFieldProps};
use web::components::pager::{Pager, PagerProps};
use web::components::status::{ErrorBanner, ErrorBannerProps};
use yew::{AttrValue, Callback};

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(20)).await;
}

#[wasm_bindgen_test]
async fn field_shows_its_validation_message_linked_to_the_input() {
    let root = mount();
    let props = TextFieldProps {
        id: AttrValue::Static("username"),
        label: AttrValue::Static("Username"),
        value: AttrValue::Static("x"),
        oninput: Callback::noop(),
        error: Some("username must be 3 to 32 characters".into()),
        input_type: AttrValue::Static("text"),
        placeholder: AttrValue::default(),
        autocomplete: None,
        hint: None,
    };
    yew::Renderer::<TextField>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let input = root.query_selector("input#username").unwrap().unwrap();
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        input.get_attribute("aria-describedby").as_deref(),
        Some("username-error")
    );
    let msg = root.query_selector("#username-error").unwrap().unwrap();
    assert_eq!(
        msg.text_content().as_deref(),
        Some("username must be 3 to 32 characters")
    );
}

#[wasm_bindgen_test]
async fn error_banner_shows_the_servers_message() {
    let root = mount();
    let props = ErrorBannerProps {
        error: ApiError::Api {
            status: 403,
            code: None,
            message: "no consent covers this record".into(),
            field: None,
        },
    };
    yew::Renderer::<ErrorBanner>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let text = root.text_content().unwrap_or_default();
    assert_eq!(text, "No consent covers this record");
}

#[wasm_bindgen_test]
async fn pager_names_the_range_and_disables_previous_on_the_first_page() {
    let root = mount();
    let props = PagerProps {
        total: 45,
        limit: 20,
        offset: 0,
        onpage: Callback::noop(),
    };
    yew::Renderer::<Pager>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("1–20 of 45"), "{text}");
    let prev = root.query_selector(".page-prev").unwrap().unwrap();
    assert!(prev.has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn bar_chart_draws_one_proportional_bar_per_count() {
    use web::components::bar_chart::{BarChart, BarChartProps};
    let root = mount();
    let props = BarChartProps {
        id: AttrValue::Static("sex-chart"),
        title: AttrValue::Static("Sex"),
        bars: vec![
            ("female".into(), 4),
            ("male".into(), 2),
            ("other".into(), 0),
        ],
    };
    yew::Renderer::<BarChart>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let bars = root.query_selector_all("svg#sex-chart rect.bar").unwrap();
    assert_eq!(bars.length(), 3);
    let width = |i: u32| -> f64 {
        let el: web_sys::Element = wasm_bindgen::JsCast::dyn_into(bars.item(i).unwrap()).unwrap();
        el.get_attribute("width").unwrap().parse().unwrap()
    };
    assert_eq!(width(0), 2.0 * width(1));
    assert_eq!(width(2), 0.0);
    assert!(root.text_content().unwrap_or_default().contains("female"));
}

#[wasm_bindgen_test]
async fn bar_chart_states_its_values_in_words() {
    use web::components::bar_chart::{BarChart, BarChartProps};
    let root = mount();
    let props = BarChartProps {
        id: AttrValue::Static("age-chart"),
        title: AttrValue::Static("Age bands"),
        bars: vec![("0–17".into(), 1), ("18–39".into(), 3)],
    };
    yew::Renderer::<BarChart>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let svg = root.query_selector("svg#age-chart").unwrap().unwrap();
    assert_eq!(
        svg.get_attribute("aria-label").as_deref(),
        Some("Age bands: 0–17 1, 18–39 3.")
    );
}

#[wasm_bindgen_test]
async fn an_outcome_line_takes_the_focus() {
    use web::components::status::{Notice, NoticeProps};
    let root = mount();
    let props = NoticeProps {
        text: AttrValue::Static("Access for Dr. Sam Smith revoked."),
        error: false,
        focus: true,
        id: None,
    };
    yew::Renderer::<Notice>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let doc = web_sys::window().unwrap().document().unwrap();
    let active = doc.active_element().unwrap();
    assert_eq!(
        active.text_content().as_deref(),
        Some("Access for Dr. Sam Smith revoked.")
    );
}

#[wasm_bindgen_test]
async fn a_destructive_button_asks_first_and_focuses_cancel() {
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use web::components::confirm::{ConfirmButton, ConfirmButtonProps};
    let root = mount();
    let fired = Rc::new(Cell::new(0));
    let counter = fired.clone();
    let props = ConfirmButtonProps {
        label: AttrValue::Static("Revoke"),
        class: yew::classes!("revoke"),
        question: AttrValue::Static("Revoke access for Dr. Sam Smith?"),
        confirm: AttrValue::Static("Yes, revoke"),
        onconfirm: Callback::from(move |_| counter.set(counter.get() + 1)),
        disabled: false,
        check: None,
        id: None,
        small: true,
    };
    yew::Renderer::<ConfirmButton>::with_root_and_props(root.clone(), props).render();
    settle().await;
    let click = |css: &str| {
        let el: web_sys::HtmlElement = root
            .query_selector(css)
            .unwrap()
            .unwrap()
            .dyn_into()
            .unwrap();
        el.click();
    };
    click("button.revoke");
    settle().await;
    assert_eq!(fired.get(), 0, "the first click only asks");
    let doc = web_sys::window().unwrap().document().unwrap();
    assert_eq!(
        doc.active_element().unwrap().text_content().as_deref(),
        Some("Cancel")
    );
    click("button.confirm-no");
    settle().await;
    assert_eq!(fired.get(), 0);
    click("button.revoke");
    settle().await;
    click("button.confirm-yes");
    settle().await;
    assert_eq!(fired.get(), 1);
}
