//! A destructive action asked twice: the first click turns the button into a
//! question with "Yes, …" and "Cancel", and focus goes to "Cancel", so a
//! repeated Enter never confirms by accident. Escape or "Cancel" goes back.

use yew::prelude::*;

use super::status::focus_node;

#[derive(Properties, PartialEq)]
pub struct ConfirmButtonProps {
    /// The button's text ("Revoke").
    pub label: AttrValue,
    /// Extra classes of the first button (tests find it by them).
    #[prop_or_default]
    pub class: Classes,
    /// The question ("Revoke access for Dr. Sam Smith?").
    pub question: AttrValue,
    /// The confirming button's text ("Yes, revoke").
    pub confirm: AttrValue,
    pub onconfirm: Callback<()>,
    #[prop_or_default]
    pub disabled: bool,
    /// Runs before asking (e.g. a form's validation); asks only on `true`.
    #[prop_or_default]
    pub check: Option<Callback<(), bool>>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    /// The small variant, for table rows.
    #[prop_or_default]
    pub small: bool,
}

#[function_component(ConfirmButton)]
pub fn confirm_button(props: &ConfirmButtonProps) -> Html {
    let asking = use_state(|| false);
    let cancel_ref = use_node_ref();
    let first_ref = use_node_ref();
    let was_asking = use_mut_ref(|| false);
    {
        let (cancel_ref, first_ref) = (cancel_ref.clone(), first_ref.clone());
        use_effect_with(*asking, move |asking| {
            if *asking {
                focus_node(&cancel_ref);
            } else if *was_asking.borrow() {
                focus_node(&first_ref);
            }
            *was_asking.borrow_mut() = *asking;
        });
    }
    let size = props.small.then_some("btn-small");
    if *asking {
        let yes = {
            let (asking, cb) = (asking.clone(), props.onconfirm.clone());
            Callback::from(move |_: MouseEvent| {
                asking.set(false);
                cb.emit(());
            })
        };
        let no = {
            let asking = asking.clone();
            Callback::from(move |_: MouseEvent| asking.set(false))
        };
        let onkeydown = {
            let asking = asking.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" {
                    asking.set(false);
                }
            })
        };
        return html! {
            <span class="confirm" role="group" aria-label={props.question.clone()} {onkeydown}>
                <span class="confirm-question">{ props.question.clone() }</span>
                <button type="button" class={classes!("btn", "btn-danger", "confirm-yes", size)}
                    disabled={props.disabled} onclick={yes}>{ props.confirm.clone() }</button>
                <button type="button" ref={cancel_ref} class={classes!("btn", "confirm-no", size)}
                    onclick={no}>{ "Cancel" }</button>
            </span>
        };
    }
    let ask = {
        let (asking, check) = (asking.clone(), props.check.clone());
        Callback::from(move |_: MouseEvent| {
            if check.as_ref().is_none_or(|c| c.emit(())) {
                asking.set(true);
            }
        })
    };
    html! {
        <button type="button" id={props.id.clone()} ref={first_ref} class={classes!("btn", "btn-danger", size, props.class.clone())}
            disabled={props.disabled} onclick={ask}>{ props.label.clone() }</button>
    }
}
