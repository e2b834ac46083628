//! The app's routes, which roles may open each, and the navigation a role
//! sees. The api enforces access on its own; this only keeps the menus honest.

use shared::Role;
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/admin/users")]
    AdminUsers,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    /// Whether `role` may open this route (public routes: everyone).
    pub fn allows(&self, role: Role) -> bool {
        match self {
            Route::Home | Route::Login | Route::NotFound => true,
            Route::AdminUsers => role == Role::Admin,
        }
    }

    /// Routes reachable without signing in.
    pub fn is_public(&self) -> bool {
        matches!(self, Route::Login | Route::NotFound)
    }
}

/// The navigation entries for a role, in menu order.
pub fn nav_for(role: Role) -> Vec<(Route, &'static str)> {
    match role {
        Role::Admin => vec![(Route::Home, "Overview"), (Route::AdminUsers, "Users")],
        Role::Doctor | Role::Nurse | Role::Patient => vec![(Route::Home, "Home")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nav_entry_is_allowed_for_its_role() {
        for role in Role::ALL {
            for (route, _) in nav_for(role) {
                assert!(route.allows(role), "{route:?} in {role}'s menu");
            }
        }
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(Route::AdminUsers.allows(Role::Admin));
        assert!(!Route::AdminUsers.allows(Role::Doctor));
        assert!(!Route::AdminUsers.allows(Role::Patient));
    }
}
