//! Clinical free text sealed at rest (issue 14): record titles, amendment
//! reasons, access-request purposes and emergency reasons are in no
//! database dump, still read back through the api (and a title search still
//! finds them), and a database written before sealing is moved into the
//! sealed columns by the migration step — never dropped unsealed.
#![allow(clippy::unwrap_used)]

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{body, TestApp};

const TITLE: &str = "CANARY-T-41c7 Latex allergy";
const REASON: &str = "CANARY-R-9e02 dose corrected";
const PURPOSE: &str = "CANARY-P-77ab second opinion on oncology";
const EMERGENCY: &str = "CANARY-E-3d15 unconscious, anaphylaxis suspected";

fn pg_dump(app: &TestApp) -> String {
    let bin = ["/usr/bin/pg_dump"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|d| d.path().join("bin/pg_dump")),
        )
        .find(|p| p.exists())
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(bin)
        .arg("--no-owner")
        .arg(&app.db_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[actix_rt::test]
async fn no_canary_title_reason_or_purpose_is_in_pg_dump_and_all_read_back() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let smith = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    let p2 = app.patient_id("patient2");
    let created = body(
        app.post_json(
            &format!("/api/v1/patients/{p1}/records"),
            Some(&smith),
            &json!({"kind": "allergy", "title": TITLE, "body": {"substance": "Latex", "reaction": "rash", "severity": "mild"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let amended = body(
        app.post_json(
            &format!("/api/v1/records/{id}/amendments"),
            Some(&smith),
            &json!({"body": {"substance": "Latex", "reaction": "hives", "severity": "moderate"}, "reason": REASON}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(amended["title"], TITLE, "an amendment keeps the title");
    assert_eq!(amended["reason"], REASON);
    let asked = body(
        app.post_json(
            "/api/v1/access-requests",
            Some(&smith),
            &json!({"patient_id": p2, "purpose": PURPOSE, "access": "read", "scope": {"type": "chart"}, "duration_hours": 24}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(asked["purpose"], PURPOSE);
    let opened = body(
        app.post_json(
            &format!("/api/v1/patients/{p2}/emergency-access"),
            Some(&smith),
            &json!({"reason": EMERGENCY}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["reason"], EMERGENCY);

    // Read back: one record, its history, a title search (any case).
    let one = body(
        app.get(&format!("/api/v1/records/{id}"), Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (one["title"].as_str(), one["reason"].as_str()),
        (Some(TITLE), Some(REASON))
    );
    let hist = body(
        app.get(&format!("/api/v1/records/{id}/versions"), Some(&smith))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["title"] == TITLE));
    let found = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?q=latex%20ALLERGY"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], id);
    let none = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?q=no-such-title"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none["total"], 0);
    let guardian = app.token("guardian1").await;
    let reqs = body(
        app.get("/api/v1/access-requests", Some(&guardian)).await,
        StatusCode::OK,
    )
    .await;
    assert!(reqs["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["purpose"] == PURPOSE));

    let dump = pg_dump(&app);
    assert!(
        dump.contains("title_sealed"),
        "the dump has the sealed column"
    );
    for canary in [
        "CANARY-T-41c7",
        "CANARY-R-9e02",
        "CANARY-P-77ab",
        "CANARY-E-3d15",
    ] {
        assert_eq!(dump.matches(canary).count(), 0, "{canary} in the dump");
    }
    // Seeded titles and purposes are sealed too.
    assert_eq!(dump.matches("Penicillin allergy").count(), 0);
    assert_eq!(dump.matches("Second opinion on hypertension").count(), 0);
}

/// record id, version, patient id, sealed title, sealed reason
type VersionTexts = (uuid::Uuid, i32, uuid::Uuid, Vec<u8>, Option<Vec<u8>>);

/// Puts the database back as a version before sealing left it: the clear
/// columns (re-added by reverting the last migration) hold the texts and
/// the sealed ones are empty.
fn unseal_to_clear(app: &TestApp, conn: &mut PgConnection) {
    let reverted = conn.revert_last_migration(api::db::MIGRATIONS).unwrap();
    assert_eq!(reverted.to_string(), "20261202000920");
    app.sql(
        "UPDATE record_versions SET title = 'Old clear title ' || version, \
         reason = CASE WHEN version > 1 THEN 'Old clear reason' END, \
         title_sealed = NULL, reason_sealed = NULL",
    );
    app.sql("UPDATE access_requests SET purpose = 'Old clear purpose', purpose_sealed = NULL");
    app.sql(
        "UPDATE emergency_accesses SET reason = 'Old clear emergency reason', reason_sealed = NULL",
    );
}

#[actix_rt::test]
async fn migrating_seals_clear_text_and_refuses_to_drop_it_without_the_key_ring() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let smith = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    let rec = app.record_of_kind(p1, "allergy");
    body(
        app.post_json(
            &format!("/api/v1/records/{rec}/amendments"),
            Some(&smith),
            &json!({"body": {"substance": "Penicillin", "reaction": "rash", "severity": "mild"}, "reason": "was wrong"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    body(
        app.post_json(
            &format!("/api/v1/patients/{p1}/emergency-access"),
            Some(&smith),
            &json!({"reason": "Collapsed in the waiting room"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut conn = app.conn();
    unseal_to_clear(&app, &mut conn);
    let clear = app.sql("SELECT 1 FROM record_versions WHERE title IS NOT NULL");
    assert!(clear >= 2);

    // Without the key ring nothing is dropped: the error names the fix.
    let err = api::db::run_migrations(&mut conn).unwrap_err().to_string();
    assert!(err.contains("seal key ring"), "{err}");
    assert_eq!(
        app.sql("SELECT 1 FROM record_versions WHERE title IS NOT NULL"),
        clear
    );

    // With it, every clear value is sealed and the clear columns are gone.
    let sealer = app.sealer();
    api::db::run_migrations_sealing(&mut conn, Some(&sealer)).unwrap();
    assert_eq!(
        app.sql("SELECT 1 FROM information_schema.columns WHERE table_name IN ('records', 'record_versions', 'access_requests', 'emergency_accesses') AND column_name IN ('title', 'reason', 'purpose')"),
        0
    );
    let dump = pg_dump(&app);
    assert_eq!(dump.matches("Old clear").count(), 0);
    // … and every value opens with the key ring, bound to its own row.
    // (Checked on the stored rows: the running server's schema changed
    // under it, which a real upgrade never does.)
    let versions: Vec<VersionTexts> = {
        use api::db::schema::{record_versions as v, records as r};
        v::table
            .inner_join(r::table)
            .select((
                v::record_id,
                v::version,
                r::patient_id,
                v::title_sealed,
                v::reason_sealed,
            ))
            .load(&mut conn)
            .unwrap()
    };
    assert!(versions.len() >= 2);
    for (record_id, version, patient_id, title, reason) in &versions {
        let (record_id, version, patient_id) = (*record_id, *version, *patient_id);
        let t = sealer.open_text(
            title,
            &api::crypto::Aad::RecordTitle {
                record_id,
                version,
                patient_id,
            },
        );
        assert_eq!(t.unwrap(), format!("Old clear title {version}"));
        let r = reason.as_ref().map(|r| {
            sealer
                .open_text(
                    r,
                    &api::crypto::Aad::AmendReason {
                        record_id,
                        version,
                        patient_id,
                    },
                )
                .unwrap()
        });
        assert_eq!(r.as_deref(), (version > 1).then_some("Old clear reason"));
    }
    let purposes: Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid, Vec<u8>)> = {
        use api::db::schema::access_requests as a;
        a::table
            .select((a::id, a::patient_id, a::requester_id, a::purpose_sealed))
            .load(&mut conn)
            .unwrap()
    };
    assert!(!purposes.is_empty());
    for (request_id, patient_id, requester_id, sealed) in &purposes {
        let aad = api::crypto::Aad::RequestPurpose {
            request_id: *request_id,
            patient_id: *patient_id,
            requester_id: *requester_id,
        };
        assert_eq!(sealer.open_text(sealed, &aad).unwrap(), "Old clear purpose");
    }
    let reasons: Vec<(uuid::Uuid, uuid::Uuid, uuid::Uuid, Vec<u8>)> = {
        use api::db::schema::emergency_accesses as e;
        e::table
            .select((e::id, e::patient_id, e::doctor_id, e::reason_sealed))
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(reasons.len(), 1);
    let (access_id, patient_id, doctor_id, sealed) = &reasons[0];
    let aad = api::crypto::Aad::EmergencyReason {
        access_id: *access_id,
        patient_id: *patient_id,
        doctor_id: *doctor_id,
    };
    assert_eq!(
        sealer.open_text(sealed, &aad).unwrap(),
        "Old clear emergency reason"
    );
}
