//! Each role's task inbox: what happened that the person should know of or
//! act on, built from what the api already lists (scoped by the server to
//! what the caller may see) — emergency accesses to my charts, access
//! requests waiting for my answer, answers to my requests, consents about
//! to expire, emergency reviews owed. The home page lists the items; the
//! navigation shows their count. Never a second source of truth: the items
//! are recomputed from the lists on every load.

use chrono::{DateTime, Duration, Utc};
use shared::consents::{ConsentStatus, RequestStatus};
use shared::{PatientId, Role};

use crate::api::{self, ApiError};
use crate::route::Route;

/// How far back an event still counts as news, and ahead an expiry as close.
const WINDOW_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A doctor opened emergency access to a chart I hold or act for.
    EmergencyOnMyChart {
        doctor: String,
        chart: String,
        reason: String,
        opened_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        active: bool,
    },
    /// A clinician asks for access to a chart I answer for.
    RequestWaiting {
        requester: String,
        chart: String,
        purpose: String,
    },
    /// My request was answered.
    RequestAnswered {
        chart: String,
        patient: PatientId,
        approved: bool,
        note: Option<String>,
    },
    /// A consent I gave ends soon.
    ConsentExpiring {
        grantee: String,
        chart: String,
        expires_at: DateTime<Utc>,
    },
    /// A consent I hold (a clinician) ends soon.
    AccessExpiring {
        chart: String,
        patient: PatientId,
        expires_at: DateTime<Utc>,
    },
    /// My emergency access is open.
    MyEmergencyOpen {
        chart: String,
        patient: PatientId,
        expires_at: DateTime<Utc>,
    },
    /// An emergency access waits for an admin's review.
    ReviewOwed {
        doctor: String,
        chart: String,
        opened_at: DateTime<Utc>,
    },
}

impl Item {
    /// Where the item is dealt with.
    pub fn route(&self) -> Route {
        match self {
            Item::EmergencyOnMyChart { .. } => Route::AccessLog,
            Item::RequestWaiting { .. } => Route::Requests,
            Item::RequestAnswered {
                approved: true,
                patient,
                ..
            }
            | Item::MyEmergencyOpen { patient, .. }
            | Item::AccessExpiring { patient, .. } => Route::Patient { id: *patient },
            Item::RequestAnswered { .. } => Route::FindPatient,
            Item::ConsentExpiring { .. } => Route::Consents,
            Item::ReviewOwed { .. } => Route::AdminEmergency,
        }
    }

    /// A stable class per kind, for the stylesheet and the browser tests.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::EmergencyOnMyChart { .. } => "emergency-on-chart",
            Item::RequestWaiting { .. } => "request-waiting",
            Item::RequestAnswered { .. } => "request-answered",
            Item::ConsentExpiring { .. } => "consent-expiring",
            Item::AccessExpiring { .. } => "access-expiring",
            Item::MyEmergencyOpen { .. } => "my-emergency",
            Item::ReviewOwed { .. } => "review-owed",
        }
    }

    /// Whether it is an alarm rather than a task.
    pub fn urgent(&self) -> bool {
        matches!(self, Item::EmergencyOnMyChart { active: true, .. })
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(crate::components::time::now_millis()).unwrap_or_default()
}

fn recent(t: &DateTime<Utc>) -> bool {
    *t > now() - Duration::days(WINDOW_DAYS)
}

fn soon(t: &DateTime<Utc>) -> bool {
    *t < now() + Duration::days(WINDOW_DAYS)
}

/// The inbox of a user with `role`, newest concerns first.
pub async fn load(role: Role) -> Result<Vec<Item>, ApiError> {
    match role {
        Role::Patient => patient().await,
        Role::Doctor => {
            let (mut items, expiring) = futures::try_join!(doctor(), access_expiring())?;
            items.extend(expiring);
            Ok(items)
        }
        Role::Nurse => access_expiring().await,
        Role::Admin => admin().await,
    }
}

async fn patient() -> Result<Vec<Item>, ApiError> {
    let (emergencies, requests, consents) = futures::try_join!(
        api::emergency::list(None, None),
        api::consents::requests(None, Some(RequestStatus::Pending)),
        api::consents::list(None, Some(ConsentStatus::Active)),
    )?;
    let mut items: Vec<Item> = emergencies
        .items
        .into_iter()
        .filter(|e| e.active || recent(&e.opened_at))
        .map(|e| Item::EmergencyOnMyChart {
            doctor: e.doctor_name,
            chart: e.patient_name,
            reason: e.reason.unwrap_or_default(),
            opened_at: e.opened_at,
            expires_at: e.expires_at,
            active: e.active,
        })
        .collect();
    items.extend(requests.items.into_iter().map(|r| Item::RequestWaiting {
        requester: r.requester_name,
        chart: r.patient_name,
        purpose: r.purpose.unwrap_or_default(),
    }));
    items.extend(consents.items.into_iter().filter_map(|c| {
        let expires_at = c.expires_at.filter(soon)?;
        Some(Item::ConsentExpiring {
            grantee: c.grantee_name,
            chart: c.patient_name,
            expires_at,
        })
    }));
    Ok(items)
}

async fn doctor() -> Result<Vec<Item>, ApiError> {
    let (requests, emergencies) = futures::try_join!(
        api::consents::requests(None, None),
        api::emergency::list(None, Some("open")),
    )?;
    let mut items: Vec<Item> = emergencies
        .items
        .into_iter()
        .filter(|e| e.active)
        .map(|e| Item::MyEmergencyOpen {
            chart: e.patient_name,
            patient: e.patient_id,
            expires_at: e.expires_at,
        })
        .collect();
    items.extend(
        requests
            .items
            .into_iter()
            .filter(|r| {
                r.status != RequestStatus::Pending && r.decided_at.is_some_and(|t| recent(&t))
            })
            .map(|r| Item::RequestAnswered {
                chart: r.patient_name,
                patient: r.patient_id,
                approved: r.status == RequestStatus::Approved,
                note: r.decision_note,
            }),
    );
    Ok(items)
}

/// Consents a clinician holds that end within the window.
async fn access_expiring() -> Result<Vec<Item>, ApiError> {
    let consents = api::consents::list(None, Some(ConsentStatus::Active)).await?;
    Ok(consents
        .items
        .into_iter()
        .filter_map(|c| {
            Some(Item::AccessExpiring {
                expires_at: c.expires_at.filter(soon)?,
                chart: c.patient_name,
                patient: c.patient_id,
            })
        })
        .collect())
}

async fn admin() -> Result<Vec<Item>, ApiError> {
    let owed = api::emergency::list(None, Some("unreviewed")).await?;
    Ok(owed
        .items
        .into_iter()
        .map(|e| Item::ReviewOwed {
            doctor: e.doctor_name,
            chart: e.patient_name,
            opened_at: e.opened_at,
        })
        .collect())
}
