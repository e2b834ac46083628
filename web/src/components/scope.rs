//! Choosing what a grant covers: the whole chart or some record kinds, read
//! or read+write, and for how long. Used to grant consent, request access and
//! narrow a request when approving it.

use shared::consents::{AccessLevel, ConsentScope};
use shared::records::RecordKind;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::field::SelectField;
use super::kind_fields::kind_label;

#[derive(Debug, Clone, PartialEq)]
pub struct ScopeChoice {
    pub whole_chart: bool,
    pub kinds: Vec<RecordKind>,
    pub access: AccessLevel,
}

impl Default for ScopeChoice {
    fn default() -> Self {
        Self {
            whole_chart: true,
            kinds: Vec::new(),
            access: AccessLevel::Read,
        }
    }
}

impl ScopeChoice {
    pub fn from_scope(scope: &ConsentScope, access: AccessLevel) -> Self {
        match scope {
            ConsentScope::Kinds { kinds } => Self {
                whole_chart: false,
                kinds: kinds.clone(),
                access,
            },
            _ => Self {
                whole_chart: true,
                kinds: Vec::new(),
                access,
            },
        }
    }

    /// The scope, or a message when no kind is ticked.
    pub fn scope(&self) -> Result<ConsentScope, String> {
        if self.whole_chart {
            Ok(ConsentScope::Chart)
        } else if self.kinds.is_empty() {
            Err("Tick at least one kind of record, or choose the whole chart".into())
        } else {
            Ok(ConsentScope::Kinds {
                kinds: self.kinds.clone(),
            })
        }
    }
}

/// "Whole chart" or "Kinds: a, b", for tables.
pub fn describe(scope: &ConsentScope) -> String {
    match scope {
        ConsentScope::Chart => "Whole chart".into(),
        ConsentScope::Kinds { kinds } => kinds
            .iter()
            .map(|k| kind_label(*k))
            .collect::<Vec<_>>()
            .join(", "),
        ConsentScope::Records { record_ids } => format!("{} named records", record_ids.len()),
    }
}

pub fn access_label(a: AccessLevel) -> &'static str {
    match a {
        AccessLevel::Read => "Read",
        AccessLevel::ReadWrite => "Read and write",
    }
}

#[derive(Properties, PartialEq)]
pub struct ScopePickerProps {
    /// Prefix for element ids (several pickers can share a page).
    pub id: AttrValue,
    pub value: ScopeChoice,
    pub onchange: Callback<ScopeChoice>,
    #[prop_or_default]
    pub error: Option<String>,
}

#[function_component(ScopePicker)]
pub fn scope_picker(props: &ScopePickerProps) -> Html {
    let id = props.id.clone();
    let v = props.value.clone();
    let set_whole = |whole: bool| {
        let (cb, v) = (props.onchange.clone(), v.clone());
        Callback::from(move |_| {
            cb.emit(ScopeChoice {
                whole_chart: whole,
                ..v.clone()
            })
        })
    };
    let toggle_kind = |k: RecordKind| {
        let (cb, v) = (props.onchange.clone(), v.clone());
        Callback::from(move |e: Event| {
            let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
            let mut next = v.clone();
            next.kinds.retain(|x| *x != k);
            if checked {
                next.kinds.push(k);
            }
            cb.emit(next);
        })
    };
    let on_access = {
        let (cb, v) = (props.onchange.clone(), v.clone());
        Callback::from(move |s: String| {
            if let Some(a) = AccessLevel::parse(&s) {
                cb.emit(ScopeChoice {
                    access: a,
                    ..v.clone()
                });
            }
        })
    };
    let access_options = [AccessLevel::Read, AccessLevel::ReadWrite]
        .into_iter()
        .map(|a| (a.as_str().to_owned(), access_label(a).to_owned()))
        .collect::<Vec<_>>();
    html! {
        <>
            <fieldset class={classes!(props.error.as_ref().map(|_| "invalid"))}>
                <legend>{ "Covers" }</legend>
                <div class="checks">
                    <label><input type="radio" id={format!("{id}-chart")} name={format!("{id}-scope")}
                        checked={v.whole_chart} onchange={set_whole(true)} />{ "Whole chart" }</label>
                    <label><input type="radio" id={format!("{id}-kinds")} name={format!("{id}-scope")}
                        checked={!v.whole_chart} onchange={set_whole(false)} />{ "Only some kinds" }</label>
                </div>
                if !v.whole_chart {
                    <div class="checks">
                        { for RecordKind::ALL.into_iter().map(|k| html! {
                            <label><input type="checkbox" id={format!("{id}-kind-{}", k.as_str())}
                                checked={v.kinds.contains(&k)} onchange={toggle_kind(k)} />{ kind_label(k) }</label>
                        }) }
                    </div>
                }
                if let Some(e) = &props.error {
                    <small class="field-error" id={format!("{id}-scope-error")}>{ e.clone() }</small>
                }
            </fieldset>
            <SelectField id={format!("{id}-access")} label="Access" options={access_options}
                value={v.access.as_str()} onchange={on_access} />
        </>
    }
}
