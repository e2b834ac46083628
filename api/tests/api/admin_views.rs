//! Paging and filters of the lists, the directory, and the admin views
//! (sealed record, access overview, demographics) holding no clinical text.
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{body, TestApp};

#[actix_rt::test]
async fn lists_are_paged_filtered_and_admin_views_hold_no_clinical_text() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let smith = app.token("dr_smith").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/patients/{p1}/records?limit=101"),
            Some(&smith)
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let labs = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?kind=lab_result"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(labs["total"], 1);
    let titled = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?q=lipid"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(titled["total"], 1);
    let found = body(
        app.get("/api/v1/patients/directory?q=pia", Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(
        found["items"][0].as_object().unwrap().len(),
        3,
        "id, name and record number only"
    );
    assert_eq!(app.ledger_count("directory_searched"), 1);
    let cardio = body(
        app.get("/api/v1/clinicians?q=cardio", Some(&smith)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cardio["items"][0]["display_name"], "Dr. Sam Smith");
    let admin = app.token("admin").await;
    let rx = app.record_of_kind(p1, "prescription");
    let sealed = app
        .get(&format!("/api/v1/admin/records/{rx}/sealed"), Some(&admin))
        .await;
    let text = sealed.text().await.unwrap();
    assert!(
        !text.contains("10 mg") && !text.contains("once daily"),
        "{text}"
    );
    // The title is clinical text too ("Penicillin allergy"): not in the view.
    let title: String = {
        let doctor = app.token("dr_smith").await;
        let read: Value = app
            .get(&format!("/api/v1/records/{rx}"), Some(&doctor))
            .await
            .json()
            .await
            .unwrap();
        read["title"].as_str().unwrap().to_owned()
    };
    assert!(
        title.len() >= 5 && !text.contains(&title),
        "{title}: {text}"
    );
    let sealed: Value = serde_json::from_str(&text).unwrap();
    assert!(sealed.get("title").is_none(), "{text}");
    assert_eq!(sealed["versions"][0]["key_id"], 1);
    assert_eq!(
        sealed["versions"][0]["nonce_hex"].as_str().unwrap().len(),
        24
    );
    assert_eq!(app.ledger_count("sealed_record_viewed"), 1);
    let overview = body(
        app.get("/api/v1/admin/access-overview?basis=consent", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(overview["total"], 1);
    assert_eq!(overview["items"][0]["user_name"], "Dr. Sam Smith");
    let guardians = body(
        app.get("/api/v1/admin/access-overview?basis=guardian", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(guardians["items"][0]["patient_name"], "Pia Two");
    let stats = body(
        app.get("/api/v1/admin/stats/demographics", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stats["total"], 3);
    let female = stats["sex"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sex"] == "female")
        .unwrap();
    assert_eq!(female["count"], 3);
    let minors = stats["age_bands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["band"] == "0-17")
        .unwrap();
    assert_eq!(minors["count"], 1);
}
