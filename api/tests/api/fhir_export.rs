//! FHIR R4 export: a chart with every record kind validates against the
//! `fhir.resources` models and the strict R4 validator (fhir_r4.rs) with 0
//! errors and every reference resolves; the
//! export holds only what the caller may read; it is a ledger event carrying
//! the digest of the bytes sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;

/// The Python with `fhir.resources` that `./scripts/test` installs.
fn validator_python() -> PathBuf {
    if let Ok(p) = std::env::var("CARELEDGER_FHIR_PYTHON") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.data/tools/fhir-venv/bin/python");
    assert!(
        p.exists(),
        "no FHIR validator at {}: run ./scripts/ensure-tools.sh python (./scripts/test does)",
        p.display()
    );
    p
}

/// Runs scripts/fhir_validate.py on `bundle`.
fn validate(bundle: &Value) -> Value {
    let file = std::env::temp_dir().join(format!("bundle-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, serde_json::to_vec(bundle).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/fhir_validate.py");
    let out = Command::new(validator_python())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "validator output: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn counts(bundle: &Value) -> HashMap<String, usize> {
    let mut c = HashMap::new();
    for e in bundle["entry"].as_array().unwrap() {
        *c.entry(e["resource"]["resourceType"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    c
}

async fn export(app: &TestApp, token: &str, chart: uuid::Uuid) -> reqwest::Response {
    app.get(&format!("/api/v1/patients/{chart}/fhir"), Some(token))
        .await
}

pub(crate) async fn add_record(
    app: &TestApp,
    token: &str,
    chart: uuid::Uuid,
    kind: &str,
    title: &str,
    body: Value,
) -> String {
    let resp = app
        .post_json(
            &format!("/api/v1/patients/{chart}/records"),
            Some(token),
            &json!({"kind": kind, "title": title, "body": body}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{kind}");
    let v: Value = resp.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

/// patient1's chart with all eight kinds and one amended record.
async fn full_chart(app: &TestApp) -> uuid::Uuid {
    app.seed_demo();
    let chart = app.patient_id("patient1");
    let doctor = app.token("dr_smith").await;
    let patient = app.token("patient1").await;
    add_record(
        app,
        &doctor,
        chart,
        "treatment_update",
        "Wound dressing",
        json!({"treatment": "Dressing", "update": "Changed, healing well"}),
    )
    .await;
    add_record(app, &patient, chart, "document", "Home BP log", json!({"filename": "bp.txt", "content_type": "text/plain", "content": "120/80 every morning"})).await;
    let rx = add_record(app, &doctor, chart, "prescription", "Ramipril", json!({"drug": "Ramipril", "dose": "5 mg", "route": "oral", "frequency": "daily", "duration": "90 days"})).await;
    let resp = app
        .post_json(
            &format!("/api/v1/records/{rx}/amendments"),
            Some(&doctor),
            &json!({"body": {"drug": "Ramipril", "dose": "10 mg", "route": "oral", "frequency": "daily", "duration": "90 days"}, "reason": "Dose titrated"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    wait_sequenced(app).await;
    chart
}

/// Waits until the sequencer has integrated every ledger entry, so each
/// Provenance can name its event.
pub(crate) async fn wait_sequenced(app: &TestApp) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Pending {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for _ in 0..100 {
        let p: Pending = diesel::sql_query(
            "SELECT count(*) AS n FROM ledger_entries e WHERE NOT EXISTS \
             (SELECT 1 FROM ledger_events v WHERE v.entry_id = e.id)",
        )
        .get_result(&mut app.conn())
        .unwrap();
        if p.n == 0 {
            return;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("ledger entries were not sequenced within 5 s");
}

#[actix_rt::test]
async fn a_full_chart_exports_as_a_valid_r4_bundle() {
    let app = TestApp::spawn().await;
    let chart = full_chart(&app).await;
    let token = app.token("patient1").await;
    let resp = export(&app, &token, chart).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/fhir+json"));
    let bytes = resp.bytes().await.unwrap();
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");

    let records: Value = app
        .get(
            &format!("/api/v1/patients/{chart}/records?limit=100"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    let n = |k: &str| kinds.iter().filter(|x| **x == k).count();
    let c = counts(&bundle);
    assert_eq!(c["Patient"], 1);
    assert_eq!(c["Condition"], n("diagnosis"));
    assert_eq!(c["MedicationRequest"], n("prescription"));
    // A lab result is one Observation; vitals a panel plus one per sign.
    let observations = |category: &str, loinc: Option<&str>| {
        bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == "Observation")
            .filter(|r| r["category"][0]["coding"][0]["code"] == category)
            .filter(|r| loinc.is_none_or(|l| r["code"]["coding"][0]["code"] == l))
            .count()
    };
    assert_eq!(observations("laboratory", None), n("lab_result"));
    assert_eq!(observations("vital-signs", Some("85353-1")), n("vitals"));
    assert_eq!(c["AllergyIntolerance"], n("allergy"));
    assert_eq!(
        c["DocumentReference"],
        n("visit_note") + n("treatment_update") + n("document")
    );
    for k in [
        "diagnosis",
        "prescription",
        "lab_result",
        "vitals",
        "allergy",
        "visit_note",
        "treatment_update",
        "document",
    ] {
        assert!(n(k) >= 1, "the chart lacks {k}");
    }
    // One Provenance per version: every record has one, the amended one two.
    let versions: usize = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_i64().unwrap() as usize)
        .sum();
    assert_eq!(c["Provenance"], versions);
    assert!(
        c.get("Consent").copied().unwrap_or(0) >= 1,
        "the active consent to dr_smith"
    );
    // Every Provenance names its ledger event.
    for e in bundle["entry"].as_array().unwrap() {
        let r = &e["resource"];
        if r["resourceType"] == "Provenance" {
            assert_eq!(
                r["entity"][0]["what"]["identifier"]["system"], "urn:careledger:ledger:seq",
                "{r}"
            );
        }
    }
    check_references(&bundle, &records);
    check_ucum(&bundle);
    // The export is a ledger event with the digest of exactly these bytes.
    use diesel::prelude::*;
    let digest: Option<Vec<u8>> = api::db::schema::ledger_entries::table
        .filter(api::db::schema::ledger_entries::action.eq("export"))
        .select(api::db::schema::ledger_entries::content_digest)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(digest.unwrap(), Sha256::digest(&bytes).to_vec());
    // …and the patient sees it in the access log of their chart.
    let mut seen = 0;
    for _ in 0..50 {
        let page: Value = app
            .get(
                &format!("/api/v1/ledger/events?patient={chart}&action=export"),
                Some(&token),
            )
            .await
            .json()
            .await
            .unwrap();
        seen = page["total"].as_i64().unwrap_or(0);
        if seen > 0 {
            break;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 1, "the export in the patient's access log");

    // Exporting the same chart again gives the same resources, same ids.
    let again: Value = export(&app, &token, chart).await.json().await.unwrap();
    let ids = resource_ids(&bundle);
    assert_eq!(ids.len(), bundle["entry"].as_array().unwrap().len());
    assert_eq!(resource_ids(&again), ids);
    // Last: the validators are slow enough (on a loaded machine) for the
    // server to close the client's idle keep-alive connection.
    let report = validate(&bundle);
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(report["unresolved_references"], json!([]));
    let strict = crate::fhir_r4::validate_r4(&again);
    assert_eq!(strict["errors"], json!([]), "{strict}");
}

/// `(resourceType, id, fullUrl)` of every entry, sorted.
fn resource_ids(bundle: &Value) -> Vec<(String, String, String)> {
    let mut ids: Vec<_> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["resource"]["resourceType"].as_str().unwrap().to_owned(),
                e["resource"]["id"].as_str().unwrap().to_owned(),
                e["fullUrl"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Every resource's patient reference is the Patient entry's fullUrl; every
/// entry's fullUrl names its own id; each record's Provenances target that
/// record (one per version, numbered 1..=version).
fn check_references(bundle: &Value, records: &Value) {
    let entries = bundle["entry"].as_array().unwrap();
    let patients: Vec<&Value> = entries
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Patient")
        .collect();
    assert_eq!(patients.len(), 1);
    let patient_url = patients[0]["fullUrl"].as_str().unwrap();
    let mut by_url: HashMap<&str, &Value> = HashMap::new();
    for e in entries {
        let url = e["fullUrl"].as_str().unwrap();
        let r = &e["resource"];
        assert_eq!(url, format!("urn:uuid:{}", r["id"].as_str().unwrap()));
        assert!(by_url.insert(url, r).is_none(), "duplicate fullUrl {url}");
        let subject = match r["resourceType"].as_str().unwrap() {
            "Patient" | "Provenance" | "Practitioner" => continue,
            "AllergyIntolerance" | "Consent" | "RelatedPerson" => &r["patient"],
            _ => &r["subject"],
        };
        assert_eq!(subject["reference"], patient_url, "{r}");
    }
    // record id -> (kind, current version)
    let mut expected: HashMap<String, (String, i64)> = HashMap::new();
    for rec in records["items"].as_array().unwrap() {
        expected.insert(
            format!("urn:uuid:{}", rec["id"].as_str().unwrap()),
            (
                rec["kind"].as_str().unwrap().to_owned(),
                rec["version"].as_i64().unwrap(),
            ),
        );
    }
    // record fullUrl -> the "… version N" displays of its Provenances
    let mut provenances: HashMap<String, Vec<String>> = HashMap::new();
    for e in entries {
        let r = &e["resource"];
        if r["resourceType"] != "Provenance" {
            continue;
        }
        // Versioned targets (`Type/id/_history/n`); the first is the record's own resource.
        let target = r["target"][0]["reference"].as_str().unwrap();
        let mut parts = target.split('/');
        let (kind, id, history, version) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(history, "_history", "{r}");
        let url = format!("urn:uuid:{id}");
        let resource = by_url
            .get(url.as_str())
            .unwrap_or_else(|| panic!("Provenance target {target} is not in the bundle"));
        assert_eq!(resource["resourceType"], kind, "{r}");
        let (rec_kind, _) = &expected[&url];
        let want = match rec_kind.as_str() {
            "diagnosis" => "Condition",
            "prescription" => "MedicationRequest",
            "lab_result" | "vitals" => "Observation",
            "allergy" => "AllergyIntolerance",
            _ => "DocumentReference",
        };
        assert_eq!(kind, want, "{r}");
        let display = r["target"][0]["display"].as_str().unwrap();
        assert_eq!(display.rsplit(' ').next(), Some(version), "{r}");
        provenances.entry(url).or_default().push(display.to_owned());
    }
    assert_eq!(provenances.len(), expected.len(), "a Provenance per record");
    for (url, (_, version)) in &expected {
        let mut numbers: Vec<i64> = provenances[url]
            .iter()
            .map(|d| d.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        numbers.sort_unstable();
        let want: Vec<i64> = (1..=*version).collect();
        assert_eq!(numbers, want, "Provenances of {url}");
    }
}

/// Every coded quantity in an Observation is UCUM, and the vitals' and the
/// seeded lab's (mmol/L) units are coded.
fn check_ucum(bundle: &Value) {
    let mut quantities = 0;
    for e in bundle["entry"].as_array().unwrap() {
        let r = &e["resource"];
        if r["resourceType"] != "Observation" {
            continue;
        }
        let mut qs: Vec<&Value> = vec![&r["valueQuantity"]];
        if let Some(components) = r["component"].as_array() {
            qs.extend(components.iter().map(|c| &c["valueQuantity"]));
        }
        for q in qs.into_iter().filter(|q| q["code"].is_string()) {
            assert_eq!(q["system"], "http://unitsofmeasure.org", "{r}");
            assert!(q["code"].is_string(), "{r}");
            quantities += 1;
        }
    }
    assert!(quantities >= 2, "vitals and a lab value with units");
}

#[actix_rt::test]
async fn a_prescription_only_consent_exports_only_prescriptions() {
    let app = TestApp::spawn().await;
    let chart = full_chart(&app).await;
    let admin = app.token("admin").await;
    let resp = app
        .post_json("/api/v1/users", Some(&admin), &json!({"username": "dr_pharm", "password": "CareLedger-demo-1", "role": "doctor", "display_name": "Dr Pharm"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let patient = app.token("patient1").await;
    let resp = app
        .post_json(
            "/api/v1/consents",
            Some(&patient),
            &json!({"patient_id": chart, "grantee_id": app.user_id("dr_pharm"), "access": "read", "scope": {"type": "kinds", "kinds": ["prescription"]}}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let consent: Value = resp.json().await.unwrap();
    let doctor = app.token("dr_pharm").await;
    let bundle: Value = export(&app, &doctor, chart).await.json().await.unwrap();
    let c = counts(&bundle);
    assert!(c["MedicationRequest"] >= 2);
    for other in [
        "Condition",
        "Observation",
        "AllergyIntolerance",
        "DocumentReference",
    ] {
        assert_eq!(c.get(other), None, "{other} must not be exported");
    }
    // Only the doctor's own grant, not the patient's other consents.
    assert_eq!(c.get("Consent"), Some(&1));

    // After revocation the chart does not exist for this doctor.
    let resp = app
        .post_json(
            &format!(
                "/api/v1/consents/{}/revoke",
                consent["id"].as_str().unwrap()
            ),
            Some(&patient),
            &json!({}),
        )
        .await;
    assert!(resp.status().is_success());
    assert_eq!(
        export(&app, &doctor, chart).await.status(),
        StatusCode::NOT_FOUND
    );
    // Last (see above): both validators.
    assert_eq!(validate(&bundle)["valid"], true);
    let strict = crate::fhir_r4::validate_r4(&bundle);
    assert_eq!(strict["errors"], json!([]), "{strict}");
}

#[actix_rt::test]
async fn strangers_and_admins_get_no_export() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let chart = app.patient_id("patient1");
    assert_eq!(
        export(&app, &app.token("dr_jones").await, chart)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        export(&app, &app.token("patient2").await, chart)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        export(&app, &app.token("admin").await, chart)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let guardian = app.token("guardian1").await;
    let ward = app.patient_id("patient2");
    assert_eq!(export(&app, &guardian, ward).await.status(), StatusCode::OK);
}
