//! Admin: accounts. Search and filter by role, page through, create an
//! account, disable or re-enable one, and clear a sign-in lockout.

use shared::users::{UpdateUserRequest, UserSummary};
use shared::Role;
use yew::prelude::*;

use super::guardian_form::GuardianForm;
use super::user_form::UserForm;
use crate::api;
use crate::api::users::UserQuery;
use crate::components::confirm::ConfirmButton;
use crate::components::pager::Pager;
use crate::components::status::{outcome, Empty};
use crate::components::time;
use crate::hooks::{use_in_flight, use_load, view_load, InFlight};

const PAGE: i64 = 20;

#[function_component(AdminUsers)]
pub fn admin_users() -> Html {
    let query = use_state(|| UserQuery {
        limit: PAGE,
        ..Default::default()
    });
    let search = use_state(String::new);
    let message = use_state(|| None::<Result<String, String>>);
    let users = use_load(
        (*query).clone(),
        |q| async move { api::users::list(&q).await },
    );

    let on_search = {
        let (query, search) = (query.clone(), search.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            query.set(UserQuery {
                q: (*search).clone(),
                offset: 0,
                ..(*query).clone()
            });
        })
    };
    let on_search_input = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            search.set(input.value());
        })
    };
    let on_role = {
        let query = query.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            query.set(UserQuery {
                role: select.value().parse().ok(),
                offset: 0,
                ..(*query).clone()
            });
        })
    };
    let on_page = {
        let query = query.clone();
        Callback::from(move |offset| {
            query.set(UserQuery {
                offset,
                ..(*query).clone()
            })
        })
    };
    let on_created = {
        let (message, reload) = (message.clone(), users.reload.clone());
        Callback::from(move |name: String| {
            message.set(Some(Ok(format!("Account {name} created."))));
            reload.emit(());
        })
    };
    let acting = use_in_flight();
    let act = {
        let (message, reload, acting) = (message.clone(), users.reload.clone(), acting.clone());
        Callback::from(move |(user, change): (UserSummary, UpdateUserRequest)| {
            if !acting.start() {
                return;
            }
            let (message, reload, acting) = (message.clone(), reload.clone(), acting.clone());
            yew::platform::spawn_local(async move {
                match api::users::update(user.id, &change).await {
                    Ok(u) => {
                        let what = match (change.disabled, u.disabled) {
                            (Some(_), true) => "disabled: they can no longer sign in",
                            (Some(_), false) => "enabled again",
                            _ => "unlocked",
                        };
                        message.set(Some(Ok(format!(
                            "{} ({}) {what}.",
                            u.display_name, u.username
                        ))));
                        reload.emit(());
                    }
                    Err(e) => message.set(Some(Err(e.message()))),
                }
                acting.idle();
            });
        })
    };

    html! {
        <section class="page">
            <h1>{ "Users" }</h1>
            { outcome(&message) }
            <div class="split">
                <div class="split-main">
                    <form class="toolbar" onsubmit={on_search}>
                        <input id="user-search" type="search" placeholder="Search name or username"
                            aria-label="Search users" value={(*search).clone()} oninput={on_search_input} />
                        <select id="user-role-filter" aria-label="Role" onchange={on_role}>
                            <option value="" selected={query.role.is_none()}>{ "All roles" }</option>
                            { for Role::ALL.into_iter().map(|r| html! {
                                <option value={r.as_str()} selected={query.role == Some(r)}>{ r.as_str() }</option>
                            }) }
                        </select>
                        <button class="btn" type="submit">{ "Search" }</button>
                    </form>
                    { view_load(&users.state, |page| html! {
                        <>
                            { users_table(&page.items, &act, &acting) }
                            <Pager total={page.total} limit={page.limit} offset={page.offset} onpage={on_page.clone()} />
                        </>
                    }) }
                </div>
                <aside class="split-side">
                    <UserForm oncreated={on_created} />
                    <GuardianForm />
                </aside>
            </div>
        </section>
    }
}

type Act = Callback<(UserSummary, UpdateUserRequest)>;

fn users_table(users: &[UserSummary], act: &Act, busy: &InFlight) -> Html {
    if users.is_empty() {
        return html! { <Empty text="No accounts match." /> };
    }
    html! {
        <div class="table-wrap">
            <table id="users-table" class="table">
                <thead><tr>
                    <th>{ "Name" }</th><th>{ "Username" }</th><th>{ "Role" }</th>
                    <th>{ "Status" }</th><th>{ "Created" }</th><th>{ "Actions" }</th>
                </tr></thead>
                <tbody>
                    { for users.iter().map(|u| user_row(u, act, busy.blocked())) }
                </tbody>
            </table>
        </div>
    }
}

fn user_row(u: &UserSummary, act: &Act, busy: bool) -> Html {
    let locked = u.locked_until.is_some();
    let status = if u.disabled {
        html! { <span class="badge badge-bad">{ "disabled" }</span> }
    } else if let Some(until) = &u.locked_until {
        html! { <span class="badge badge-warn">{ format!("locked until {}", time::local(until)) }</span> }
    } else {
        html! { <span class="badge badge-ok">{ "active" }</span> }
    };
    let toggle = {
        let (act, user) = (act.clone(), u.clone());
        let disabled = !u.disabled;
        Callback::from(move |_: ()| {
            act.emit((
                user.clone(),
                UpdateUserRequest {
                    disabled: Some(disabled),
                    ..Default::default()
                },
            ))
        })
    };
    let unlock = {
        let (act, user) = (act.clone(), u.clone());
        Callback::from(move |_: MouseEvent| {
            act.emit((
                user.clone(),
                UpdateUserRequest {
                    unlock: Some(true),
                    ..Default::default()
                },
            ))
        })
    };
    html! {
        <tr data-username={u.username.clone()}>
            <td data-label="Name">{ &u.display_name }</td>
            <td data-label="Username"><code>{ &u.username }</code></td>
            <td data-label="Role">{ u.role.as_str() }</td>
            <td data-label="Status">{ status }</td>
            <td data-label="Created">{ time::local(&u.created_at) }</td>
            <td data-label="Actions" class="actions">
                if u.disabled {
                    <button class="btn btn-small toggle-disabled" disabled={busy} onclick={move |_| toggle.emit(())}>{ "Enable" }</button>
                } else {
                    <ConfirmButton label="Disable" class="toggle-disabled" small=true disabled={busy}
                        question={format!("Disable {}? They can no longer sign in.", u.display_name)}
                        confirm="Yes, disable" onconfirm={toggle} />
                }
                if locked {
                    <button class="btn btn-small unlock" disabled={busy} onclick={unlock}>{ "Unlock" }</button>
                }
            </td>
        </tr>
    }
}
