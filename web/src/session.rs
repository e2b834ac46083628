//! The signed-in user, as a context with a reducer. Pages read it with
//! [`use_session`]; only sign-in, restore and sign-out change it.

use std::rc::Rc;

use shared::auth::UserInfo;
use shared::{PatientId, Role};
use yew::prelude::*;

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Asking the server whether the refresh cookie still holds a session.
    Restoring,
    SignedOut,
    SignedIn(UserInfo),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub status: Status,
    /// The chart a patient or guardian is looking at (own or a dependent's).
    pub chart: Option<PatientId>,
    /// Why the last session ended, shown on the sign-in page.
    pub notice: Option<String>,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            status: Status::Restoring,
            chart: None,
            notice: None,
        }
    }
}

impl Session {
    pub fn user(&self) -> Option<&UserInfo> {
        match &self.status {
            Status::SignedIn(u) => Some(u),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.user().map(|u| u.role)
    }
}

pub enum Action {
    SignedIn(UserInfo),
    SignedOut,
    /// The session ended without the user asking (refresh failed).
    Expired,
    /// The idle lock signed the user out after this long without activity.
    IdleLocked(String),
    SelectChart(PatientId),
}

impl Reducible for Session {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let next = match action {
            Action::SignedIn(user) => Session {
                status: Status::SignedIn(user),
                chart: None,
                notice: None,
            },
            Action::SignedOut => Session {
                status: Status::SignedOut,
                chart: None,
                notice: None,
            },
            Action::Expired => Session {
                status: Status::SignedOut,
                chart: None,
                notice: Some("Your session has ended. Please sign in again.".into()),
            },
            Action::IdleLocked(after) => Session {
                status: Status::SignedOut,
                chart: None,
                notice: Some(format!(
                    "You were signed out after {after} without activity. Sign in again to continue."
                )),
            },
            Action::SelectChart(id) => Session {
                chart: Some(id),
                ..(*self).clone()
            },
        };
        Rc::new(next)
    }
}

pub type SessionHandle = UseReducerHandle<Session>;

/// The session context; panics only if used outside the app root, which is a
/// programming error caught by the first render.
#[hook]
pub fn use_session() -> SessionHandle {
    #[allow(clippy::expect_used)]
    use_context::<SessionHandle>().expect("session context is provided by the app root")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::UserId;

    fn user() -> UserInfo {
        UserInfo {
            id: UserId(uuid::Uuid::nil()),
            username: "dr_smith".into(),
            role: Role::Doctor,
            display_name: "Dr. Sam Smith".into(),
        }
    }

    #[test]
    fn sign_in_then_expiry_leaves_a_notice() {
        let s = Rc::new(Session::default()).reduce(Action::SignedIn(user()));
        assert_eq!(s.role(), Some(Role::Doctor));
        let s = s.reduce(Action::Expired);
        assert_eq!(s.status, Status::SignedOut);
        assert!(s.notice.is_some());
    }
}
