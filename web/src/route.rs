//! The app's routes, which roles may open each, and the navigation a role
//! sees. The api enforces access on its own; this only keeps the menus honest.

use shared::{PatientId, RecordId, Role};
use yew_router::prelude::*;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    Login,
    #[at("/chart")]
    MyChart,
    #[at("/consents")]
    Consents,
    #[at("/requests")]
    Requests,
    #[at("/access-log")]
    AccessLog,
    #[at("/patients")]
    Patients,
    #[at("/patients/:id")]
    Patient { id: PatientId },
    #[at("/find-patient")]
    FindPatient,
    #[at("/admin/users")]
    AdminUsers,
    #[at("/admin/access")]
    AdminAccess,
    #[at("/admin/emergency")]
    AdminEmergency,
    #[at("/admin/ledger")]
    AdminLedger,
    #[at("/admin/records/:id/sealed")]
    SealedRecord { id: RecordId },
    #[at("/admin/demographics")]
    Demographics,
    #[at("/account/security")]
    Security,
    #[not_found]
    #[at("/404")]
    NotFound,
}

impl Route {
    /// Whether `role` may open this route (public routes: everyone).
    pub fn allows(&self, role: Role) -> bool {
        match self {
            Route::Home | Route::Login | Route::NotFound | Route::Security => true,
            Route::MyChart | Route::Consents | Route::Requests | Route::AccessLog => {
                role == Role::Patient
            }
            Route::Patients | Route::Patient { .. } => role.is_clinician(),
            Route::FindPatient => role == Role::Doctor,
            Route::AdminUsers
            | Route::AdminAccess
            | Route::AdminEmergency
            | Route::AdminLedger
            | Route::SealedRecord { .. }
            | Route::Demographics => role == Role::Admin,
        }
    }

    /// The page's title (the browser tab says "<title> — CareLedger").
    pub fn title(&self) -> &'static str {
        match self {
            Route::Home => "Home",
            Route::Login => "Sign in",
            Route::MyChart => "My chart",
            Route::Consents => "Consents",
            Route::Requests => "Access requests",
            Route::AccessLog => "Who saw my data",
            Route::Patients => "My patients",
            Route::Patient { .. } => "Patient chart",
            Route::FindPatient => "Find a patient",
            Route::AdminUsers => "Users",
            Route::AdminAccess => "Access overview",
            Route::AdminEmergency => "Emergency reviews",
            Route::AdminLedger => "Ledger",
            Route::SealedRecord { .. } => "Sealed record",
            Route::Demographics => "Demographics",
            Route::Security => "Sign-in security",
            Route::NotFound => "Page not found",
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
        Role::Admin => vec![
            (Route::Home, "Overview"),
            (Route::AdminUsers, "Users"),
            (Route::AdminAccess, "Access"),
            (Route::AdminEmergency, "Emergency reviews"),
            (Route::AdminLedger, "Ledger"),
            (Route::Demographics, "Demographics"),
        ],
        Role::Doctor => vec![
            (Route::Home, "Home"),
            (Route::Patients, "My patients"),
            (Route::FindPatient, "Find a patient"),
        ],
        Role::Nurse => vec![(Route::Home, "Home"), (Route::Patients, "My patients")],
        Role::Patient => vec![
            (Route::Home, "Home"),
            (Route::MyChart, "My chart"),
            (Route::Consents, "Consents"),
            (Route::Requests, "Access requests"),
            (Route::AccessLog, "Who saw my data"),
        ],
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
    fn only_admins_manage_users_and_only_doctors_find_patients() {
        assert!(Route::AdminUsers.allows(Role::Admin));
        assert!(!Route::AdminUsers.allows(Role::Doctor));
        assert!(!Route::AdminLedger.allows(Role::Patient));
        assert!(Route::FindPatient.allows(Role::Doctor));
        assert!(!Route::FindPatient.allows(Role::Nurse));
        assert!(!Route::MyChart.allows(Role::Admin));
    }
}
