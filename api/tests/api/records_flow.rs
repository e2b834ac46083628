//! Records: creation, amendments and versions, who may write what, the
//! ledger trail of every disclosure, and the profile registration creates
//! (the authorization matrix covers who-may-call-what).
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{body, grant, rx, TestApp};

#[actix_rt::test]
async fn mass_assignment_cannot_change_owner_patient_or_role() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let (p1, p2) = (app.patient_id("patient1"), app.patient_id("patient2"));
    let path = format!("/api/v1/patients/{p1}/records");
    for extra in [
        json!({"patient_id": p2}),
        json!({"author_id": Uuid::new_v4()}),
        json!({"created_by": Uuid::new_v4()}),
        json!({"version": 7}),
    ] {
        let mut req = json!({"kind": "prescription", "title": "Rx", "body": rx()});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        let resp = app.post_json(&path, Some(&doctor), &req).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{extra}");
    }
    // Unknown fields inside the structured body are refused too.
    let mut sneaky = rx();
    sneaky["patient_id"] = json!(p2);
    let resp = app
        .post_json(
            &path,
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Rx", "body": sneaky}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The patient and author are the path's and the caller's.
    let made = body(
        app.post_json(
            &path,
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Rx", "body": rx()}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["patient_id"], json!(p1));
    assert_eq!(made["author_id"], json!(app.user_id("dr_smith")));
    let id = made["id"].as_str().unwrap();
    for extra in [
        json!({"patient_id": p2}),
        json!({"kind": "diagnosis"}),
        json!({"author_id": Uuid::new_v4()}),
    ] {
        let mut req = json!({"body": rx(), "reason": "dose change"});
        for (k, v) in extra.as_object().unwrap() {
            req[k] = v.clone();
        }
        let resp = app
            .post_json(
                &format!("/api/v1/records/{id}/amendments"),
                Some(&doctor),
                &req,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{extra}");
    }
    // Consents: the granter is the caller, never a field.
    let patient = app.token("patient1").await;
    let resp = app
        .post_json(
            "/api/v1/consents",
            Some(&patient),
            &json!({"patient_id": p1, "grantee_id": app.user_id("dr_jones"), "access": "read",
                    "scope": {"type": "chart"}, "granted_by": app.user_id("admin")}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Self-registration ignores a role and always makes a patient.
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "mallory", "password": "a-long-enough-pw", "display_name": "M", "role": "admin"}),
        )
        .await;
    let user = body(resp, StatusCode::CREATED).await;
    assert_eq!(user["role"], "patient");
    // Admin profile creation refuses a record number or id from the body.
    let admin = app.token("admin").await;
    let resp = app
        .post_json(
            "/api/v1/patients",
            Some(&admin),
            &json!({"full_name": "X", "mrn": "MRN-1"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // An account's role is not a field of the account change: the body is
    // refused as malformed whoever sends it (an admin, or the user about
    // their own account), and the stored role stays what it was.
    let nurse = app.user_id("nurse_kim");
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{nurse}"),
            Some(&admin),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{nurse}"),
            Some(&admin),
            &json!({"display_name": "Kim", "role": "doctor"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let own = app.user_id("patient1");
    let resp = app
        .patch_json(
            &format!("/api/v1/users/{own}"),
            Some(&patient),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(stored_role(&app, nurse), "nurse");
    assert_eq!(stored_role(&app, own), "patient");
    assert_eq!(stored_name(&app, nurse), "Nurse Kim Lee");
}

fn stored_role(app: &TestApp, id: Uuid) -> String {
    use api::db::schema::users::dsl;
    use diesel::prelude::*;
    dsl::users
        .find(id)
        .select(dsl::role)
        .first(&mut app.conn())
        .unwrap()
}

fn stored_name(app: &TestApp, id: Uuid) -> String {
    use api::db::schema::users::dsl;
    use diesel::prelude::*;
    dsl::users
        .find(id)
        .select(dsl::display_name)
        .first(&mut app.conn())
        .unwrap()
}

#[actix_rt::test]
async fn amendments_add_versions_and_never_overwrite() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let doctor = app.token("dr_smith").await;
    let p1 = app.patient_id("patient1");
    let made = body(
        app.post_json(
            &format!("/api/v1/patients/{p1}/records"),
            Some(&doctor),
            &json!({"kind": "prescription", "title": "Amoxicillin", "body": rx()}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = made["id"].as_str().unwrap();
    for dose in ["250 mg", "125 mg"] {
        let mut b = rx();
        b["dose"] = json!(dose);
        let v = body(
            app.post_json(
                &format!("/api/v1/records/{id}/amendments"),
                Some(&doctor),
                &json!({"body": b, "reason": format!("dose to {dose}")}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(v["body"]["dose"], dose);
    }
    let current = body(
        app.get(&format!("/api/v1/records/{id}"), Some(&doctor))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(current["version"], 3);
    assert_eq!(current["supersedes"], 2);
    assert_eq!(current["body"]["dose"], "125 mg");
    let versions = body(
        app.get(&format!("/api/v1/records/{id}/versions"), Some(&doctor))
            .await,
        StatusCode::OK,
    )
    .await;
    let items = versions["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(items[2]["body"]["dose"], "500 mg");
    assert!(items[2]["reason"].is_null());
    assert_eq!(items[0]["reason"], "dose to 125 mg");
    assert_eq!(app.ledger_count("record_amended"), 2);
    // A reason is required.
    let resp = app
        .post_json(
            &format!("/api/v1/records/{id}/amendments"),
            Some(&doctor),
            &json!({"body": rx(), "reason": ""}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
#[actix_rt::test]
async fn a_nurse_with_consent_adds_a_treatment_update() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let nurse = app.token("nurse_kim").await;
    let path = format!("/api/v1/patients/{p1}/records");
    let update = json!({"kind": "treatment_update", "title": "Dressing changed",
                        "body": {"treatment": "Wound care", "update": "Dressing changed, healing well"}});
    // Without consent the chart is invisible to her.
    let resp = app.post_json(&path, Some(&nurse), &update).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let patient = app.token("patient1").await;
    grant(
        &app,
        &patient,
        json!({"patient_id": p1, "grantee_id": app.user_id("nurse_kim"), "access": "read_write",
               "scope": {"type": "chart"}}),
    )
    .await;
    let made = body(
        app.post_json(&path, Some(&nurse), &update).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(made["kind"], "treatment_update");
    assert_eq!(made["author_id"], json!(app.user_id("nurse_kim")));
    assert_eq!(made["body"]["update"], "Dressing changed, healing well");
    // A nurse's consent does not make her a prescriber.
    let resp = app
        .post_json(
            &path,
            Some(&nurse),
            &json!({"kind": "prescription", "title": "Rx", "body": rx()}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[actix_rt::test]
async fn every_disclosure_and_every_denial_is_in_the_ledger() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let smith = app.token("dr_smith").await;
    let before = app.ledger_count_outcome("record_viewed", "allowed");
    let list = body(
        app.get(
            &format!("/api/v1/patients/{p1}/records?limit=3"),
            Some(&smith),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["total"], 6);
    // One event per record returned (plus none for records not returned).
    assert_eq!(
        app.ledger_count_outcome("record_viewed", "allowed") - before,
        3
    );
    let kinds: Vec<String> = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::record_id.is_not_null())
            .select(dsl::basis_kind.assume_not_null())
            .load(&mut app.conn())
            .unwrap()
    };
    assert!(kinds.iter().all(|k| k == "consent"), "{kinds:?}");
    let digests: i64 = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::content_digest.is_not_null())
            .count()
            .get_result(&mut app.conn())
            .unwrap()
    };
    assert_eq!(digests, 3);
    // A denied read commits its event even though the request fails.
    let jones = app.token("dr_jones").await;
    let denied_before = app.ledger_count_outcome("record_viewed", "denied");
    let rec = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{rec}"), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/records/{}", Uuid::new_v4()), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.ledger_count_outcome("record_viewed", "denied") - denied_before,
        2
    );
}
#[actix_rt::test]
async fn registration_creates_the_patient_profile() {
    let app = TestApp::spawn().await;
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "newbie", "password": "a-long-enough-pw", "display_name": "New Bie", "date_of_birth": "1990-02-03", "sex": "male"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let login = app.login_response("newbie", "a-long-enough-pw").await;
    let token = body(login, StatusCode::OK).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = body(
        app.get("/api/v1/patients", Some(&token)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["date_of_birth"], "1990-02-03");
    assert_eq!(mine["items"][0]["sex"], "male");
    assert!(mine["items"][0]["mrn"]
        .as_str()
        .unwrap()
        .starts_with("MRN-"));
    // Without the optional fields it still works (backward compatible).
    let resp = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"username": "plain", "password": "a-long-enough-pw", "display_name": "Plain"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}
