//! The FHIR R4 façade (`/fhir/R4`) on a realistic chart: the
//! CapabilityStatement, every read and search it serves and
//! `Patient/$everything` validate with 0 errors under the strict R4
//! validator; references a searchset leaves out resolve on the server (in
//! `$everything`, which must itself be self-contained); access follows the
//! patient's consent exactly as the JSON API does, refusals are
//! OperationOutcome, and every disclosure is a ledger event the patient sees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::fhir_export::wait_sequenced;
use crate::fhir_r4::{realistic_chart, validate_r4};
use crate::helpers::TestApp;

/// A client that never reuses a connection: the validator runs between
/// requests, and a pooled connection the server closed meanwhile (keep-alive)
/// would fail the next request.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn fhir(app: &TestApp, path: &str, token: Option<&str>, want: StatusCode) -> Value {
    let mut req = client().get(app.url(&format!("/fhir/R4/{path}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, want, "{path}: {body}");
    assert_eq!(ctype.as_deref(), Some("application/fhir+json"), "{path}");
    body
}

/// Validates strictly; returns the searchset's references outside it. The
/// validator runs off the test's runtime thread, which keeps serving the
/// client's connections meanwhile.
async fn strictly_valid(what: &str, r: &Value) -> Vec<String> {
    let r = r.clone();
    let report = actix_rt::task::spawn_blocking(move || validate_r4(&r))
        .await
        .unwrap();
    assert_eq!(report["errors"], json!([]), "{what}: {report}");
    report["external_refs"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn ids_of(bundle: &Value) -> BTreeSet<String> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap(),
                e["resource"]["id"].as_str().unwrap()
            )
        })
        .collect()
}

/// Disclosure events (`record_viewed`, or `export` for `$everything`) by
/// `actor` about `record` with `outcome`.
fn viewed(app: &TestApp, actor: uuid::Uuid, record: &str, outcome: &str) -> i64 {
    use api::db::schema::ledger_entries::dsl;
    use diesel::prelude::*;
    dsl::ledger_entries
        .filter(dsl::action.eq_any(["record_viewed", "export"]))
        .filter(dsl::actor_id.eq(actor))
        .filter(dsl::record_id.eq(record.parse::<uuid::Uuid>().unwrap()))
        .filter(dsl::outcome.eq(outcome))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

#[actix_rt::test]
async fn every_facade_answer_is_strictly_valid_r4_and_every_disclosure_is_logged() {
    let app = TestApp::spawn().await;
    let (chart, ids) = realistic_chart(&app).await;
    let dr = app.token("dr_smith").await;
    let smith = app.user_id("dr_smith");

    let cap = fhir(&app, "metadata", None, StatusCode::OK).await;
    strictly_valid("metadata", &cap).await;
    assert_eq!(cap["fhirVersion"], "4.0.1");

    let everything = fhir(
        &app,
        &format!("Patient/{chart}/$everything"),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        strictly_valid("$everything", &everything).await,
        Vec::<String>::new()
    );
    let all = ids_of(&everything);
    assert!(all.contains(&format!("Condition/{}", ids["asthma"])));
    assert!(all.contains(&format!("Practitioner/{smith}")));
    assert_eq!(
        viewed(&app, smith, &ids["egfr"], "allowed"),
        1,
        "$everything logs each record"
    );

    let searches = [
        format!("Condition?patient={chart}"),
        format!("Observation?patient=Patient/{chart}&category=vital-signs"),
        format!("Observation?subject={chart}&code=http://loinc.org|33914-3"),
        format!("Observation?patient={chart}&code=85353-1"),
        format!("Observation?patient={chart}&category=laboratory&date=ge2020-01-01"),
        format!("MedicationRequest?patient={chart}"),
        format!("AllergyIntolerance?patient={chart}"),
        format!("DocumentReference?patient={chart}"),
        format!("Provenance?patient={chart}"),
        format!("Patient?_id={chart}"),
    ];
    for s in &searches {
        let bundle = fhir(&app, s, Some(&dr), StatusCode::OK).await;
        assert_eq!(bundle["type"], "searchset", "{s}");
        for r in strictly_valid(s, &bundle).await {
            assert!(all.contains(&r), "{s}: {r} resolves nowhere");
        }
    }
    // Access tokens last 15 minutes; the validator runs above can take
    // longer on a loaded machine.
    let dr = app.token("dr_smith").await;
    let egfr = fhir(
        &app,
        &format!("Observation?patient={chart}&code=http://loinc.org|33914-3"),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    assert_eq!(egfr["total"], 1);
    assert_eq!(egfr["entry"][0]["resource"]["id"], ids["egfr"].as_str());
    assert_eq!(
        egfr["entry"][0]["resource"]["subject"]["reference"],
        format!("Patient/{chart}")
    );
    assert_eq!(
        viewed(&app, smith, &ids["egfr"], "allowed"),
        5,
        "four more searches showed it: by its code, the laboratory category, \
         the chart's Provenances (which name it) and this one"
    );
    // A panel found by its code brings its members along.
    let panels = fhir(
        &app,
        &format!("Observation?patient={chart}&code=85353-1"),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    // The demo vitals, the clinic vitals and the home systolic.
    assert_eq!(panels["total"], 3);
    assert!(panels["entry"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["search"]["mode"] == "include"));
    let none = fhir(
        &app,
        &format!("Condition?patient={chart}&date=lt2000-01-01"),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["total"], 0);

    // Paging: one Condition a page, the next link leads to the other.
    let first = fhir(
        &app,
        &format!("Condition?patient={chart}&_count=1"),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    // The demo hypertension, asthma and diabetes.
    assert_eq!(first["total"], 3);
    let next = first["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = next.split("/fhir/R4/").nth(1).unwrap();
    let second = fhir(&app, path, Some(&dr), StatusCode::OK).await;
    assert_ne!(
        first["entry"][0]["resource"]["id"],
        second["entry"][0]["resource"]["id"]
    );
    assert_eq!(second["entry"].as_array().unwrap().len(), 1);

    // Reads.
    for (path, kind) in [
        (format!("Patient/{chart}"), "Patient"),
        (format!("Condition/{}", ids["asthma"]), "Condition"),
        (format!("Observation/{}", ids["egfr"]), "Observation"),
        (
            format!("MedicationRequest/{}", ids["amlodipine"]),
            "MedicationRequest",
        ),
        (
            format!("DocumentReference/{}", ids["note"]),
            "DocumentReference",
        ),
        (format!("Practitioner/{smith}"), "Practitioner"),
    ] {
        let r = fhir(&app, &path, Some(&dr), StatusCode::OK).await;
        assert_eq!(r["resourceType"], kind);
        strictly_valid(&path, &r).await;
    }
    let asthma = fhir(
        &app,
        &format!("Condition/{}", ids["asthma"]),
        Some(&dr),
        StatusCode::OK,
    )
    .await;
    assert_eq!(asthma["meta"]["versionId"], "2");
    assert_eq!(
        asthma["recorder"]["reference"],
        format!("Practitioner/{smith}")
    );

    // The patient sees the doctor's FHIR reads in their own log, in the
    // JSON API and as IHE BALP AuditEvents, and their consents as Consents.
    wait_sequenced(&app).await;
    let me = app.token("patient1").await;
    let audit = fhir(
        &app,
        &format!("AuditEvent?patient={chart}&_count=200"),
        Some(&me),
        StatusCode::OK,
    )
    .await;
    for r in strictly_valid("AuditEvent", &audit).await {
        assert!(all.contains(&r), "AuditEvent: {r} resolves nowhere");
    }
    let smith_reads = audit["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let r = &e["resource"];
            r["agent"][0]["who"]["identifier"]["value"] == smith.to_string().as_str()
                && r["entity"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["what"]["identifier"]["value"] == ids["asthma"].as_str())
        })
        .count();
    assert!(smith_reads >= 2, "{audit}");
    let consents = fhir(
        &app,
        &format!("Consent?patient={chart}"),
        Some(&me),
        StatusCode::OK,
    )
    .await;
    for r in strictly_valid("Consent", &consents).await {
        assert!(all.contains(&r), "Consent: {r} resolves nowhere");
    }
    assert!(consents["total"].as_u64().unwrap() >= 1);
    let log: Value = app
        .get(&format!("/api/v1/ledger/events?patient={chart}&actor={smith}&action=record_viewed&limit=100"), Some(&me))
        .await
        .json()
        .await
        .unwrap();
    let seen: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"]["body"]["record_id"].as_str())
        .collect();
    assert!(seen.contains(&ids["asthma"].as_str()), "{log}");
}

#[actix_rt::test]
async fn the_facade_refuses_as_the_consent_says_with_operation_outcomes() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let chart = app.patient_id("patient1");
    let record = app.record_of_kind(chart, "vitals");
    let jones = app.token("dr_jones").await;
    let smith = app.token("dr_smith").await;

    // No token, no consent, unknown type, bad parameter, wrong type, wrong method.
    let cases: [(String, Option<&str>, StatusCode, &str); 7] = [
        (
            format!("Condition?patient={chart}"),
            None,
            StatusCode::UNAUTHORIZED,
            "login",
        ),
        (
            format!("Condition?patient={chart}"),
            Some(&jones),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            format!("Observation/{record}"),
            Some(&jones),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            format!("Encounter?patient={chart}"),
            Some(&smith),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            format!("Condition?patient={chart}&name=x"),
            Some(&smith),
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            "Condition".to_owned(),
            Some(&smith),
            StatusCode::BAD_REQUEST,
            "invalid",
        ),
        (
            format!("Condition/{record}"),
            Some(&smith),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
    ];
    for (path, token, status, code) in cases {
        let outcome = fhir(&app, &path, token, status).await;
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}");
        assert_eq!(outcome["issue"][0]["code"], code, "{path}");
        strictly_valid(&path, &outcome).await;
    }
    let resp = app
        .post_json(
            &format!("/fhir/R4/Patient/{chart}"),
            Some(&smith),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()["allow"], "GET");

    // dr_jones's refusal is a denied event; dr_smith reads until the
    // patient revokes, and is refused on the very next call.
    assert!(app.ledger_count_outcome("record_viewed", "denied") >= 2);
    fhir(
        &app,
        &format!("Observation/{record}"),
        Some(&smith),
        StatusCode::OK,
    )
    .await;
    let me = app.token("patient1").await;
    let consents: Value = app
        .get("/api/v1/consents", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    let smith_id = app.user_id("dr_smith").to_string();
    for c in consents["items"].as_array().unwrap() {
        if c["grantee_id"] == smith_id.as_str() && c["status"] == "active" {
            let resp = app
                .post_json(
                    &format!("/api/v1/consents/{}/revoke", c["id"].as_str().unwrap()),
                    Some(&me),
                    &json!({}),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    let refused = fhir(
        &app,
        &format!("Observation/{record}"),
        Some(&smith),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(refused["resourceType"], "OperationOutcome");
}
