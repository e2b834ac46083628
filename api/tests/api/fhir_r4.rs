//! Strict R4 validation of the FHIR export: a chart holding every record kind
//! with realistic values (eGFR in `mL/min/1.73m2`, a WBC in `x10^9/L`, a
//! SNOMED CT and an ICD-10-CM diagnosis, a `<5` CRP, 37.2 °C, SpO₂, a
//! blood pressure missing its diastolic, an amended record) exports with 0
//! errors from scripts/fhir_validate_r4.mjs (Medplum's R4 validator, the HL7
//! R4 JSON schema, R4's vital-signs profiles, UCUM), and the issue-18 defects
//! are checked one by one. The validator itself is shown to catch them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::fhir_export::{add_record, wait_sequenced};
use crate::helpers::TestApp;

/// Runs scripts/fhir_validate_r4.mjs on `resource`. Fails, never skips, when
/// node or the validator's packages are missing.
pub fn validate_r4(resource: &Value) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tools = std::env::var("CARELEDGER_FHIR_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join(".data/tools/fhir-r4"));
    assert!(
        tools.join("node_modules/@medplum/core").exists(),
        "no R4 validator at {}: run ./scripts/ensure-tools.sh fhir (./scripts/test does)",
        tools.display()
    );
    let file = std::env::temp_dir().join(format!("r4-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, serde_json::to_vec(resource).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(root.join("scripts/fhir_validate_r4.mjs"))
        .arg(&file)
        .env("CARELEDGER_FHIR_TOOLS", &tools)
        .output()
        .expect("node is needed for the R4 validator: ./scripts/ensure-tools.sh fhir");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "validator output: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let _ = std::fs::remove_file(&file);
    report
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn by_id<'a>(bundle: &'a Value, id: &str) -> &'a Value {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the bundle"))
}

fn loinc_codes(r: &Value) -> Vec<&str> {
    r["code"]["coding"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter(|x| x["system"] == "http://loinc.org")
                .map(|x| x["code"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// patient1's chart with every kind, realistic values, and the cases.
pub(crate) async fn realistic_chart(app: &TestApp) -> (uuid::Uuid, HashMap<&'static str, String>) {
    app.seed_demo();
    let chart = app.patient_id("patient1");
    let dr = app.token("dr_smith").await;
    let me = app.token("patient1").await;
    let mut ids = HashMap::new();
    let cases: [(&str, &str, &str, &str, Value); 12] = [
        (
            "asthma",
            "diagnosis",
            "Asthma",
            "dr",
            json!({"condition": "Asthma", "code": "195967001", "code_system": "snomed_ct", "status": "active"}),
        ),
        (
            "t2dm",
            "diagnosis",
            "Type 2 diabetes",
            "dr",
            json!({"condition": "Type 2 diabetes mellitus without complications", "code": "E11.9", "code_system": "icd10_cm", "status": "suspected", "notes": "HbA1c pending"}),
        ),
        (
            "egfr",
            "lab_result",
            "eGFR",
            "dr",
            json!({"test": "eGFR (CKD-EPI)", "value": "72", "unit": "mL/min/1.73m2", "reference_range": ">60", "loinc": "33914-3", "collected_on": "2026-11-20"}),
        ),
        (
            "wbc",
            "lab_result",
            "White cell count",
            "dr",
            json!({"test": "White blood cells", "value": "6.4", "unit": "x10^9/L", "reference_range": "4.0-11.0", "loinc": "6690-2"}),
        ),
        (
            "crp",
            "lab_result",
            "CRP",
            "dr",
            json!({"test": "C-reactive protein", "value": "<5", "unit": "mg/L", "reference_range": "<5", "loinc": "1988-5"}),
        ),
        (
            "casts",
            "lab_result",
            "Urine casts",
            "dr",
            json!({"test": "Hyaline casts", "value": "2", "unit": "casts per field", "reference_range": "0-2"}),
        ),
        (
            "culture",
            "lab_result",
            "Urine culture",
            "dr",
            json!({"test": "Urine culture", "value": "No growth", "unit": "n/a", "reference_range": "No growth"}),
        ),
        (
            "vitals",
            "vitals",
            "Clinic vitals",
            "dr",
            json!({"heart_rate_bpm": 88, "systolic_mmhg": 128, "diastolic_mmhg": 82, "temperature_c": 37.2, "respiratory_rate": 16, "spo2_percent": 97}),
        ),
        (
            "bp_only",
            "vitals",
            "Home systolic",
            "dr",
            json!({"systolic_mmhg": 142}),
        ),
        (
            "amlodipine",
            "prescription",
            "Amlodipine",
            "dr",
            json!({"drug": "Amlodipine 5 mg oral tablet", "dose": "5 mg", "route": "oral", "frequency": "once daily", "duration": "90 days", "rxnorm": "197361"}),
        ),
        (
            "penicillin",
            "allergy",
            "Penicillin allergy",
            "me",
            json!({"substance": "Penicillin", "reaction": "Hives", "severity": "severe", "code": "70618", "code_system": "rxnorm"}),
        ),
        (
            "note",
            "visit_note",
            "Asthma review",
            "dr",
            json!({"note": "Wheeze on exertion, peak flow 380 L/min.", "plan": "Step up inhaled steroid."}),
        ),
    ];
    for (key, kind, title, who, body) in cases {
        let token = if who == "dr" { &dr } else { &me };
        ids.insert(key, add_record(app, token, chart, kind, title, body).await);
    }
    let doc = json!({"filename": "peak-flow.txt", "content_type": "text/plain", "content": "380, 400, 410 L/min"});
    ids.insert(
        "document",
        add_record(app, &me, chart, "document", "Peak flow diary", doc).await,
    );
    let resp = app
        .post_json(
            &format!("/api/v1/records/{}/amendments", ids["asthma"]),
            Some(&dr),
            &json!({"body": {"condition": "Asthma", "code": "195967001", "code_system": "snomed_ct", "status": "remission"}, "reason": "Symptom-free for 12 months"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    wait_sequenced(app).await;
    (chart, ids)
}

#[actix_rt::test]
async fn a_realistic_chart_exports_as_strictly_valid_r4() {
    let app = TestApp::spawn().await;
    let (chart, ids) = realistic_chart(&app).await;
    let token = app.token("patient1").await;
    let resp = app
        .get(&format!("/api/v1/patients/{chart}/fhir"), Some(&token))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();

    let report = validate_r4(&bundle);
    assert_eq!(report["errors"], json!([]), "{report}");
    assert_eq!(report["valid"], true);
    assert!(
        report["profiles_checked"].as_u64().unwrap() >= 8,
        "{report}"
    );
    assert!(
        report["quantities_checked"].as_u64().unwrap() >= 10,
        "{report}"
    );

    // Every resource has meta.versionId.
    for e in bundle["entry"].as_array().unwrap() {
        assert!(e["resource"]["meta"]["versionId"].is_string(), "{e}");
    }

    // Diagnoses carry the system the user chose; nothing is labelled ICD-10.
    let asthma = by_id(&bundle, &ids["asthma"]);
    assert_eq!(
        asthma["code"]["coding"],
        json!([{"system": "http://snomed.info/sct", "code": "195967001"}])
    );
    assert_eq!(asthma["meta"]["versionId"], "2");
    assert_eq!(asthma["clinicalStatus"]["coding"][0]["code"], "remission");
    let t2dm = by_id(&bundle, &ids["t2dm"]);
    assert_eq!(
        t2dm["code"]["coding"][0]["system"],
        "http://hl7.org/fhir/sid/icd-10-cm"
    );
    assert_eq!(t2dm["clinicalStatus"]["coding"][0]["code"], "active");
    assert_eq!(
        t2dm["verificationStatus"]["coding"][0]["code"],
        "provisional"
    );
    assert!(!text.contains("\"http://hl7.org/fhir/sid/icd-10\""));

    // UCUM only for UCUM units; the typed unit is kept as text.
    let q = |key: &str| by_id(&bundle, &ids[key])["valueQuantity"].clone();
    assert_eq!(
        q("egfr"),
        json!({"value": 72.0, "unit": "mL/min/1.73m2", "system": "http://unitsofmeasure.org", "code": "mL/min/{1.73_m2}"})
    );
    assert_eq!(q("wbc")["code"], "10*9/L");
    assert_eq!(
        q("crp"),
        json!({"value": 5.0, "comparator": "<", "unit": "mg/L", "system": "http://unitsofmeasure.org", "code": "mg/L"})
    );
    assert_eq!(q("casts"), json!({"value": 2.0, "unit": "casts per field"}));
    assert_eq!(by_id(&bundle, &ids["culture"])["valueString"], "No growth");
    assert_eq!(loinc_codes(by_id(&bundle, &ids["egfr"])), ["33914-3"]);

    // Vitals: a vitalspanel whose members are profiled Observations.
    let panel = by_id(&bundle, &ids["vitals"]);
    assert_eq!(loinc_codes(panel), ["85353-1"]);
    assert!(panel.get("component").is_none());
    let members: Vec<&Value> = panel["hasMember"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let id = m["reference"]
                .as_str()
                .unwrap()
                .trim_start_matches("urn:uuid:");
            by_id(&bundle, id)
        })
        .collect();
    let mut codes: Vec<Vec<&str>> = members.iter().map(|m| loinc_codes(m)).collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            vec!["2708-6", "59408-5"],
            vec!["8310-5"],
            vec!["85354-9"],
            vec!["8867-4"],
            vec!["9279-1"]
        ]
    );
    let temp = members
        .iter()
        .find(|m| loinc_codes(m) == ["8310-5"])
        .unwrap();
    assert_eq!(temp["valueQuantity"]["value"].as_f64(), Some(37.2));
    assert_eq!(temp["valueQuantity"]["code"], "Cel");
    assert!(text.contains(":37.2}") && !text.contains("37.2000"));
    let bp_only = by_id(&bundle, &ids["bp_only"]);
    let bp = by_id(
        &bundle,
        bp_only["hasMember"][0]["reference"]
            .as_str()
            .unwrap()
            .trim_start_matches("urn:uuid:"),
    );
    assert_eq!(
        bp["component"][0]["valueQuantity"]["value"].as_f64(),
        Some(142.0)
    );
    assert!(bp["component"][1]["dataAbsentReason"].is_object());

    // Medication and allergy codes.
    let rx = by_id(&bundle, &ids["amlodipine"]);
    assert_eq!(
        rx["medicationCodeableConcept"]["coding"][0],
        json!({"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361"})
    );
    assert_eq!(
        rx["dosageInstruction"][0]["route"]["coding"][0]["code"],
        "26643006"
    );
    let allergy = by_id(&bundle, &ids["penicillin"]);
    assert_eq!(allergy["code"]["coding"][0]["code"], "70618");

    // Authors are resources: Practitioner for the doctor, the Patient for
    // the patient's own entries.
    let smith = app.user_id("dr_smith").to_string();
    let practitioner = by_id(&bundle, &smith);
    assert_eq!(practitioner["resourceType"], "Practitioner");
    assert_eq!(asthma["recorder"]["reference"], format!("urn:uuid:{smith}"));
    assert_eq!(
        allergy["recorder"]["reference"],
        format!("urn:uuid:{chart}")
    );
    assert_eq!(
        resources(&bundle, "Practitioner").len(),
        1,
        "one per author"
    );

    // Provenance targets are versioned: v1 of the amended diagnosis points at
    // _history/1, v2 at _history/2; the vitals' Provenance covers panel and members.
    let targets = |record: &str| -> Vec<String> {
        let mut t: Vec<String> = resources(&bundle, "Provenance")
            .into_iter()
            .flat_map(|p| p["target"].as_array().unwrap().iter())
            .map(|t| t["reference"].as_str().unwrap().to_owned())
            .filter(|r| r.contains(record))
            .collect();
        t.sort();
        t
    };
    let asthma_id = &ids["asthma"];
    assert_eq!(
        targets(asthma_id),
        [
            format!("Condition/{asthma_id}/_history/1"),
            format!("Condition/{asthma_id}/_history/2")
        ]
    );
    let vitals_prov = resources(&bundle, "Provenance")
        .into_iter()
        .find(|p| {
            p["target"][0]["reference"]
                .as_str()
                .unwrap()
                .contains(&ids["vitals"])
        })
        .unwrap();
    assert_eq!(vitals_prov["target"].as_array().unwrap().len(), 6);
    assert_eq!(
        vitals_prov["agent"][0]["who"]["reference"],
        format!("urn:uuid:{smith}")
    );
}

#[actix_rt::test]
async fn a_guardian_and_a_nurse_are_exported_as_related_person_and_practitioner() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let ward = app.patient_id("patient2");
    let guardian = app.token("guardian1").await;
    let bundle: Value = app
        .get(&format!("/api/v1/patients/{ward}/fhir"), Some(&guardian))
        .await
        .json()
        .await
        .unwrap();
    let report = validate_r4(&bundle);
    assert_eq!(report["errors"], json!([]), "{report}");
    let related = resources(&bundle, "RelatedPerson");
    assert_eq!(related.len(), 1);
    assert_eq!(
        related[0]["patient"]["reference"],
        format!("urn:uuid:{ward}")
    );
    let nurse = app.user_id("nurse_kim").to_string();
    assert_eq!(by_id(&bundle, &nurse)["resourceType"], "Practitioner");
}

#[actix_rt::test]
async fn statuses_and_codes_outside_their_lists_are_refused_at_input() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let chart = app.patient_id("patient1");
    let dr = app.token("dr_smith").await;
    for (body, field) in [
        (json!({"condition": "Asthma", "status": "chronic"}), "body"),
        (
            json!({"condition": "Asthma", "code": "195967001", "code_system": "icd10_cm"}),
            "code",
        ),
        (json!({"condition": "Asthma", "code": "401.9"}), "code"),
    ] {
        let resp = app
            .post_json(
                &format!("/api/v1/patients/{chart}/records"),
                Some(&dr),
                &json!({"kind": "diagnosis", "title": "Asthma", "body": body}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["error"]["field"], field, "{err}");
    }
}

/// The validator is not vacuous: the old export's defects each fail it.
#[test]
fn the_r4_validator_catches_the_old_exports_defects() {
    let patient = "urn:uuid:11111111-1111-1111-1111-111111111111";
    let obs = |id: &str, extra: Value| {
        let mut r = json!({"resourceType": "Observation", "id": id, "status": "final",
            "subject": {"reference": patient}, "effectiveDateTime": "2026-11-20T10:00:00Z"});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        json!({"fullUrl": format!("urn:uuid:{id}"), "resource": r})
    };
    let vs = json!([{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}]);
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": patient, "resource": {"resourceType": "Patient", "id": "11111111-1111-1111-1111-111111111111"}},
        // a panel of components, no hasMember, SpO2 without 2708-6
        obs("22222222-2222-2222-2222-222222222222", json!({"category": vs,
            "code": {"coding": [{"system": "http://loinc.org", "code": "85353-1"}]},
            "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
                "valueQuantity": {"value": 97, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}]})),
        // a non-UCUM unit sent as a UCUM code
        obs("33333333-3333-3333-3333-333333333333", json!({"code": {"text": "WBC"},
            "valueQuantity": {"value": 6.4, "unit": "x10^9/L", "system": "http://unitsofmeasure.org", "code": "x10^9/L"}})),
        // a heart rate in a non-UCUM unit, without its profile
        obs("44444444-4444-4444-4444-444444444444", json!({"category": vs,
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "valueQuantity": {"value": 72, "unit": "bpm", "system": "http://unitsofmeasure.org", "code": "bpm"}})),
        // a comparator R4 does not have, and an R4B/R5-only element
        obs("55555555-5555-5555-5555-555555555555", json!({"code": {"text": "CRP"}, "instantiatesReference": {"reference": patient},
            "valueQuantity": {"value": 5, "comparator": "less than"}})),
    ]});
    let report = validate_r4(&bundle);
    assert_eq!(report["valid"], false);
    let errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    let has = |id: &str, what: &str| {
        assert!(
            errors.iter().any(|e| e.contains(id) && e.contains(what)),
            "no error about {what} on {id}: {errors:#?}"
        )
    };
    has("2222", "hasMember");
    has("2222", "59408-5");
    has("3333", "x10^9/L");
    has("4444", "heartrate");
    has("4444", "bpm");
    has("5555", "comparator");
    has("5555", "instantiatesReference");
}
