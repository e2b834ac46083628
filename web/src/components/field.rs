//! Labelled form controls with their validation message right underneath.
//! Each control's `id` is also its label's `for`, and the message's id is
//! `<id>-error` (linked with `aria-describedby`).

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TextFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
    #[prop_or(AttrValue::Static("text"))]
    pub input_type: AttrValue,
    #[prop_or_default]
    pub placeholder: AttrValue,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    #[prop_or_default]
    pub hint: Option<AttrValue>,
}

#[function_component(TextField)]
pub fn text_field(props: &TextFieldProps) -> Html {
    let oninput = {
        let cb = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit(input.value());
        })
    };
    let err_id = format!("{}-error", props.id);
    html! {
        <div class={classes!("field", props.error.as_ref().map(|_| "invalid"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <input id={props.id.clone()} name={props.id.clone()} type={props.input_type.clone()}
                value={props.value.clone()} placeholder={props.placeholder.clone()}
                autocomplete={props.autocomplete.clone()}
                aria-invalid={props.error.is_some().to_string()}
                aria-describedby={props.error.as_ref().map(|_| err_id.clone())}
                {oninput} />
            { hint(&props.hint) }
            { message(&err_id, &props.error) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextAreaProps {
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
    #[prop_or(3)]
    pub rows: u32,
}

#[function_component(TextArea)]
pub fn text_area(props: &TextAreaProps) -> Html {
    let oninput = {
        let cb = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlTextAreaElement = e.target_unchecked_into();
            cb.emit(input.value());
        })
    };
    let err_id = format!("{}-error", props.id);
    html! {
        <div class={classes!("field", props.error.as_ref().map(|_| "invalid"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <textarea id={props.id.clone()} name={props.id.clone()} rows={props.rows.to_string()}
                value={props.value.clone()}
                aria-invalid={props.error.is_some().to_string()}
                aria-describedby={props.error.as_ref().map(|_| err_id.clone())}
                {oninput} />
            { message(&err_id, &props.error) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    pub id: AttrValue,
    pub label: AttrValue,
    /// `(value, label)` pairs.
    pub options: Vec<(String, String)>,
    pub value: AttrValue,
    pub onchange: Callback<String>,
    #[prop_or_default]
    pub error: Option<String>,
}

#[function_component(SelectField)]
pub fn select_field(props: &SelectFieldProps) -> Html {
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            cb.emit(select.value());
        })
    };
    let err_id = format!("{}-error", props.id);
    html! {
        <div class={classes!("field", props.error.as_ref().map(|_| "invalid"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <select id={props.id.clone()} name={props.id.clone()} {onchange}
                aria-invalid={props.error.is_some().to_string()}>
                { for props.options.iter().map(|(v, l)| html! {
                    <option value={v.clone()} selected={*v == *props.value}>{ l.clone() }</option>
                }) }
            </select>
            { message(&err_id, &props.error) }
        </div>
    }
}

/// The value of the input or select an event came from.
pub fn control_value(e: &Event) -> String {
    e.target()
        .and_then(|t| js_sys::Reflect::get(&t, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn hint(text: &Option<AttrValue>) -> Html {
    match text {
        Some(t) => html! { <small class="hint">{ t.clone() }</small> },
        None => html! {},
    }
}

fn message(id: &str, error: &Option<String>) -> Html {
    match error {
        Some(e) => html! { <small class="field-error" id={id.to_owned()}>{ e.clone() }</small> },
        None => html! {},
    }
}

/// Field errors of a form: `(field name, message)`; the first per field wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_owned(), message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
