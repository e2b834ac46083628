//! Emergency access: reason, time box, the patient's view and the admin's
//! review.
#![allow(clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{body, TestApp};

#[actix_rt::test]
async fn emergency_access_needs_a_reason_is_time_boxed_and_reviewed() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let jones = app.token("dr_jones").await;
    let path = format!("/api/v1/patients/{p1}/emergency-access");
    for bad in [
        json!({"reason": "too short"}),
        json!({"reason": "Unconscious patient", "duration_minutes": 61}),
    ] {
        let resp = app.post_json(&path, Some(&jones), &bad).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let opened = body(
        app.post_json(
            &path,
            Some(&jones),
            &json!({"reason": "Unconscious patient in A&E", "duration_minutes": 30}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["active"], true);
    let diagnosis = app.record_of_kind(p1, "diagnosis");
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&jones))
            .await
            .status(),
        StatusCode::OK
    );
    let eid = opened["id"].as_str().unwrap();
    let basis: (Option<String>, Option<Uuid>) = {
        use api::db::schema::ledger_entries::dsl;
        use diesel::prelude::*;
        dsl::ledger_entries
            .filter(dsl::action.eq("record_viewed"))
            .filter(dsl::record_id.eq(diagnosis))
            .order(dsl::id.desc())
            .select((dsl::basis_kind, dsl::basis_id))
            .first(&mut app.conn())
            .unwrap()
    };
    assert_eq!(
        basis,
        (Some("emergency".into()), Some(eid.parse().unwrap()))
    );
    // The patient sees it; admins see it as unreviewed and review it once.
    let patient = app.token("patient1").await;
    let seen = body(
        app.get("/api/v1/emergency-access", Some(&patient)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["items"][0]["reason"], "Unconscious patient in A&E");
    let admin = app.token("admin").await;
    let open = body(
        app.get("/api/v1/emergency-access?status=unreviewed", Some(&admin))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(open["total"], 1);
    let review = format!("/api/v1/emergency-access/{eid}/review");
    assert_eq!(
        app.post_json(&review, Some(&admin), &json!({"note": " "}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = body(
        app.post_json(&review, Some(&admin), &json!({"note": "Justified"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["review_note"], "Justified");
    assert_eq!(
        app.post_json(&review, Some(&admin), &json!({"note": "again"}))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    // Admins still see no clinical content, and cannot break the glass.
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&admin))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_json(
            &path,
            Some(&admin),
            &json!({"reason": "I am curious about this"})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    // When the time is up, access ends by itself.
    app.sql("UPDATE emergency_accesses SET opened_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'");
    assert_eq!(
        app.get(&format!("/api/v1/records/{diagnosis}"), Some(&jones))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_rt::test]
async fn emergency_access_accepts_exactly_ten_characters_and_sixty_minutes() {
    let app = TestApp::spawn().await;
    app.seed_demo();
    let p1 = app.patient_id("patient1");
    let jones = app.token("dr_jones").await;
    let path = format!("/api/v1/patients/{p1}/emergency-access");
    let nine = "Collapsed";
    let ten = "Collapsed!";
    assert_eq!((nine.chars().count(), ten.chars().count()), (9, 10));
    let resp = app
        .post_json(
            &path,
            Some(&jones),
            &json!({"reason": nine, "duration_minutes": 60}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let opened = body(
        app.post_json(
            &path,
            Some(&jones),
            &json!({"reason": ten, "duration_minutes": 60}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(opened["reason"], ten);
    let at = |f: &str| chrono::DateTime::parse_from_rfc3339(opened[f].as_str().unwrap()).unwrap();
    assert_eq!(
        at("expires_at") - at("opened_at"),
        chrono::Duration::minutes(60)
    );
}
