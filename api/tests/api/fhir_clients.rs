//! A real, unmodified third-party FHIR client (fhirpy, from PyPI) drives the
//! façade over HTTP: CapabilityStatement, a read, a search, a search paged
//! one resource at a time through the server's `next` links, and
//! `$everything` — and what it saw matches the server's own answers. After
//! the patient revokes the clinician's consent, the same client is refused
//! on its next call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Runs scripts/fhir_client_journey.py with the venv's python. Fails, never
/// skips, when the venv is missing.
async fn journey(args: &[&str]) -> Value {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    // Off the test's runtime thread, which keeps serving connections meanwhile.
    actix_rt::task::spawn_blocking(move || run_journey(&args))
        .await
        .unwrap()
}

fn run_journey(args: &[String]) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".data/tools/fhir-venv/bin/python");
    assert!(
        python.exists(),
        "no FHIR client venv: run ./scripts/ensure-tools.sh python (./scripts/test does)"
    );
    let out = Command::new(python)
        .arg(root.join("scripts/fhir_client_journey.py"))
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "fhirpy journey: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

async fn ids(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let b: Value = app.get(path, Some(token)).await.json().await.unwrap();
    let mut ids: Vec<String> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "match")
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[actix_rt::test]
async fn fhirpy_searches_pages_and_runs_everything_until_the_consent_is_revoked() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let chart = app.patient_id("patient1").to_string();
    let dr = app.token("dr_smith").await;
    let base = app.url("/fhir/R4");

    let seen = journey(&[&base, &dr, &chart]).await;
    assert_eq!(seen["fhirVersion"], "4.0.1");
    assert_eq!(seen["patient"], chart.as_str());
    let conditions = ids(&app, &format!("/fhir/R4/Condition?patient={chart}"), &dr).await;
    assert!(!conditions.is_empty());
    assert_eq!(seen["conditions"], json!(conditions));
    let observations = ids(
        &app,
        &format!("/fhir/R4/Observation?patient={chart}&_count=200"),
        &dr,
    )
    .await;
    assert!(observations.len() > 1, "paging needs more than one page");
    assert_eq!(
        seen["observations"],
        json!(observations),
        "fhirpy followed every next link"
    );
    let everything: Value = app
        .get(&format!("/fhir/R4/Patient/{chart}/$everything"), Some(&dr))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["everything_total"], everything["total"]);
    for t in [
        "Patient",
        "Condition",
        "Observation",
        "Provenance",
        "Practitioner",
    ] {
        assert!(
            seen["everything_types"]
                .as_array()
                .unwrap()
                .contains(&json!(t)),
            "{seen}"
        );
    }

    // The patient revokes dr_smith's consent: the client's next call is refused.
    let me = app.token("patient1").await;
    let consents: Value = app
        .get("/api/v1/consents", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    let smith = app.user_id("dr_smith").to_string();
    for c in consents["items"].as_array().unwrap() {
        if c["grantee_id"] == smith.as_str() && c["status"] == "active" {
            let id = c["id"].as_str().unwrap();
            let resp = app
                .post_json(
                    &format!("/api/v1/consents/{id}/revoke"),
                    Some(&me),
                    &json!({}),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    let refused = journey(&["--expect-refused", &base, &dr, &chart]).await;
    assert_eq!(refused["refused"], 404, "{refused}");
}
