//! List endpoints disclose only what the caller may see (issue 3). The
//! authorization matrix compares status codes; this compares contents: every
//! list each actor may call is read in full and checked row by row.
//!
//! The fixture makes every list hold rows each actor must not see (a consent,
//! a request and an emergency access on more than one chart), so a missing
//! filter shows up as a forbidden row. For each list the rows an actor gets
//! must be exactly the admin's rows that the scope rule allows, and no row
//! may belong to a chart the actor cannot see unless the actor is its party
//! (the grantee, requester or doctor). Charts are tabulated by hand below,
//! not read back from the API.
//!
//! Not covered: `/patients/directory` (a search over every patient for
//! clinicians, by design), `/users` and `/admin/*` (admin only),
//! `/clinicians` (not chart-linked).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::ledger::api::LedgerEventItem;
use uuid::Uuid;

use crate::helpers::{TestApp, DEMO_PASSWORD};
use crate::ledger_helpers::{spawn_fast, wait_integrated};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Admin,
    /// A patient-role account: acts for its own chart and its wards'.
    PatientSide,
    Clinician,
}

struct Actor {
    name: &'static str,
    kind: Kind,
    id: Uuid,
    token: String,
    /// Charts whose profile and records the actor may see.
    charts: BTreeSet<Uuid>,
}

impl Actor {
    /// Whether a chart-linked row (consent, request, emergency access) whose
    /// clinician is `party` may be listed to this actor.
    fn may_list(&self, chart: Uuid, party: Uuid) -> bool {
        match self.kind {
            Kind::Admin => true,
            Kind::PatientSide => self.charts.contains(&chart),
            Kind::Clinician => party == self.id,
        }
    }
}

fn uuid(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("not a uuid: {v}"))
        .parse()
        .unwrap()
}

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Every item of a paged list, page by page.
async fn all_items(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out: Vec<Value> = Vec::new();
    loop {
        let url = format!("{path}{sep}limit=100&offset={}", out.len());
        let resp = app.get(&url, Some(token)).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {url}");
        let page: Value = resp.json().await.unwrap();
        let items = page["items"].as_array().unwrap().clone();
        let done = items.len() < 100;
        out.extend(items);
        if done {
            assert_eq!(page["total"].as_u64().unwrap() as usize, out.len(), "{url}");
            return out;
        }
    }
}

struct Fixture {
    p1: Uuid,
    p2: Uuid,
    /// guardian1's own chart.
    g: Uuid,
    admin: String,
    actors: Vec<Actor>,
}

/// The demo seed (patient1 → dr_smith consent, dr_jones's pending request on
/// patient1, guardian1 guardian of patient2) plus: guardian1 grants
/// nurse_kim read on patient2, dr_smith asks for patient2, and two new
/// doctors open emergency access: dr_er on patient1, dr_er2 on patient2.
async fn setup(app: &TestApp) -> Fixture {
    app.seed_demo();
    let admin = app.token("admin").await;
    let (p1, p2, g) = (
        app.patient_id("patient1"),
        app.patient_id("patient2"),
        app.patient_id("guardian1"),
    );
    for name in ["dr_er", "dr_er2"] {
        let body = json!({"username": name, "password": DEMO_PASSWORD, "role": "doctor",
                          "display_name": name});
        ok_json(app.post_json("/api/v1/users", Some(&admin), &body).await).await;
    }

    let guardian = app.token("guardian1").await;
    let body = json!({"patient_id": p2, "grantee_id": app.user_id("nurse_kim"),
                      "access": "read", "scope": {"type": "chart"}, "expires_at": null});
    ok_json(
        app.post_json("/api/v1/consents", Some(&guardian), &body)
            .await,
    )
    .await;

    let smith = app.token("dr_smith").await;
    let body = json!({"patient_id": p2, "purpose": "Cardiac murmur follow-up",
                      "access": "read", "scope": {"type": "chart"}, "duration_hours": 24});
    ok_json(
        app.post_json("/api/v1/access-requests", Some(&smith), &body)
            .await,
    )
    .await;

    for (doctor, chart) in [("dr_er", p1), ("dr_er2", p2)] {
        let token = app.token(doctor).await;
        ok_json(
            app.post_json(
                &format!("/api/v1/patients/{chart}/emergency-access"),
                Some(&token),
                &json!({"reason": "Brought in unconscious, no history available"}),
            )
            .await,
        )
        .await;
    }

    let table: [(&str, Kind, &[Uuid]); 9] = [
        ("admin", Kind::Admin, &[p1, p2, g]),
        ("patient1", Kind::PatientSide, &[p1]),
        ("patient2", Kind::PatientSide, &[p2]),
        ("guardian1", Kind::PatientSide, &[g, p2]),
        ("dr_smith", Kind::Clinician, &[p1]),
        ("dr_jones", Kind::Clinician, &[]),
        ("nurse_kim", Kind::Clinician, &[p2]),
        ("dr_er", Kind::Clinician, &[p1]),
        ("dr_er2", Kind::Clinician, &[p2]),
    ];
    let mut actors = Vec::new();
    for (name, kind, charts) in table {
        actors.push(Actor {
            name,
            kind,
            id: app.user_id(name),
            token: app.token(name).await,
            charts: charts.iter().copied().collect(),
        });
    }
    Fixture {
        p1,
        p2,
        g,
        admin,
        actors,
    }
}

/// A chart-linked list: what the actor gets is exactly the admin's rows the
/// rule allows, the admin's list holds rows the actor may not get (so the
/// check can fail), and no row the actor gets is of a chart it cannot see
/// unless it is the row's party. Filtering by a chart must not widen it.
async fn check_oversight_list(
    app: &TestApp,
    fx: &Fixture,
    path: &str,
    party_field: &str,
    actor: &Actor,
) {
    let all = all_items(app, path, &fx.admin).await;
    let chart_of = |v: &Value| uuid(&v["patient_id"]);
    let party_of = |v: &Value| uuid(&v[party_field]);
    let ids = |rows: &[&Value]| -> BTreeSet<Uuid> { rows.iter().map(|v| uuid(&v["id"])).collect() };
    let want: Vec<&Value> = all
        .iter()
        .filter(|v| actor.may_list(chart_of(v), party_of(v)))
        .collect();
    if actor.kind != Kind::Admin {
        assert!(
            want.len() < all.len(),
            "{path}: the fixture holds no row {} may not see",
            actor.name
        );
    }
    let got = all_items(app, path, &actor.token).await;
    for row in &got {
        let (chart, party) = (chart_of(row), party_of(row));
        assert!(
            actor.kind == Kind::Admin || actor.charts.contains(&chart) || party == actor.id,
            "{path} as {}: a row of a chart it cannot see: {row}",
            actor.name
        );
    }
    assert_eq!(
        ids(&got.iter().collect::<Vec<_>>()),
        ids(&want),
        "{path} as {}",
        actor.name
    );
    for chart in [fx.p1, fx.p2, fx.g] {
        let filtered = all_items(app, &format!("{path}?patient_id={chart}"), &actor.token).await;
        let want: Vec<&Value> = want
            .iter()
            .copied()
            .filter(|v| chart_of(v) == chart)
            .collect();
        assert_eq!(
            ids(&filtered.iter().collect::<Vec<_>>()),
            ids(&want),
            "{path}?patient_id={chart} as {}",
            actor.name
        );
    }
}

/// The chart's record ids, as stored.
fn stored_records(app: &TestApp, chart: Uuid) -> BTreeSet<Uuid> {
    use api::db::schema::records;
    use diesel::prelude::*;
    records::table
        .filter(records::patient_id.eq(chart))
        .select(records::id)
        .load::<Uuid>(&mut app.conn())
        .unwrap()
        .into_iter()
        .collect()
}

/// Records, their versions and guardian links, chart by chart: the charts
/// the actor sees list only their own rows; the others answer 404.
async fn check_chart_lists(app: &TestApp, fx: &Fixture, actor: &Actor) {
    for chart in [fx.p1, fx.p2, fx.g] {
        let path = format!("/api/v1/patients/{chart}/records");
        if actor.kind == Kind::Admin {
            let resp = app.get(&path, Some(&actor.token)).await;
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path} as admin");
        } else if !actor.charts.contains(&chart) {
            let resp = app.get(&path, Some(&actor.token)).await;
            assert_eq!(
                resp.status(),
                StatusCode::NOT_FOUND,
                "{path} as {}",
                actor.name
            );
        } else {
            let got = all_items(app, &path, &actor.token).await;
            for row in &got {
                assert_eq!(uuid(&row["patient_id"]), chart, "{path} as {}", actor.name);
            }
            let ids: BTreeSet<Uuid> = got.iter().map(|v| uuid(&v["id"])).collect();
            assert_eq!(ids, stored_records(app, chart), "{path} as {}", actor.name);
            for record in &ids {
                let path = format!("/api/v1/records/{record}/versions");
                for v in all_items(app, &path, &actor.token).await {
                    assert_eq!(uuid(&v["id"]), *record, "{path} as {}", actor.name);
                    assert_eq!(uuid(&v["patient_id"]), chart, "{path} as {}", actor.name);
                }
            }
        }
        if actor.kind == Kind::PatientSide && actor.charts.contains(&chart) {
            let path = format!("/api/v1/patients/{chart}/guardians");
            for link in all_items(app, &path, &actor.token).await {
                assert_eq!(uuid(&link["patient_id"]), chart, "{path} as {}", actor.name);
            }
        }
    }
    // patient1 and patient2 both have records, so a list that ignored its
    // chart would show foreign rows.
    assert!(!stored_records(app, fx.p1).is_empty() && !stored_records(app, fx.p2).is_empty());
}

#[actix_rt::test]
async fn every_list_holds_only_rows_of_charts_the_caller_may_see() {
    let app = spawn_fast().await;
    let fx = setup(&app).await;
    let every_chart: BTreeSet<Uuid> = [fx.p1, fx.p2, fx.g].into();

    for actor in &fx.actors {
        let got: BTreeSet<Uuid> = all_items(&app, "/api/v1/patients", &actor.token)
            .await
            .iter()
            .map(|v| uuid(&v["id"]))
            .collect();
        assert_eq!(got, actor.charts, "/api/v1/patients as {}", actor.name);
        assert!(actor.charts.is_subset(&every_chart));

        check_oversight_list(&app, &fx, "/api/v1/consents", "grantee_id", actor).await;
        check_oversight_list(&app, &fx, "/api/v1/access-requests", "requester_id", actor).await;
        check_oversight_list(&app, &fx, "/api/v1/emergency-access", "doctor_id", actor).await;
        check_chart_lists(&app, &fx, actor).await;
    }

    // The access log last: the reads above are events too. Listing the log
    // writes none, so once everything is integrated the admin's list is the
    // whole log.
    wait_integrated(&app, Duration::from_secs(10)).await;
    let log = "/api/v1/ledger/events";
    let all: Vec<LedgerEventItem> = all_items(&app, log, &fx.admin)
        .await
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    for actor in fx.actors.iter().filter(|a| a.kind != Kind::Admin) {
        // Patients and guardians see the events of the charts they act for;
        // clinicians only what they did themselves.
        let acted_for = |p: Option<Uuid>| {
            actor.kind == Kind::PatientSide && p.is_some_and(|p| actor.charts.contains(&p))
        };
        let allowed = |i: &LedgerEventItem| {
            i.event.body.actor_id == Some(actor.id) || acted_for(i.event.body.patient_id)
        };
        let want: Vec<u64> = all
            .iter()
            .filter(|i| allowed(i))
            .map(|i| i.event.seq)
            .collect();
        assert!(
            all.iter()
                .any(|i| !allowed(i) && i.event.body.patient_id.is_some()),
            "the log holds no chart event {} may not see",
            actor.name
        );
        let got: Vec<LedgerEventItem> = all_items(&app, log, &actor.token)
            .await
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        for item in &got {
            assert!(
                allowed(item),
                "{log} as {}: {:?}",
                actor.name,
                item.event.body
            );
        }
        let seqs: Vec<u64> = got.iter().map(|i| i.event.seq).collect();
        assert_eq!(seqs, want, "{log} as {}", actor.name);
        for chart in [fx.p1, fx.p2, fx.g] {
            let path = format!("{log}?patient={chart}");
            let got = all_items(&app, &path, &actor.token).await;
            let want = all
                .iter()
                .filter(|i| allowed(i) && i.event.body.patient_id == Some(chart))
                .count();
            assert_eq!(got.len(), want, "{path} as {}", actor.name);
        }
    }
}
