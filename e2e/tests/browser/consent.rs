//! The consent journey: a patient grants access, the doctor reads and writes,
//! the patient sees both in the verified access log, revokes, and the doctor
//! is refused. The chart and the access log fit a 390-px phone without
//! sideways scrolling.

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_lets_a_doctor_write_the_log_shows_it_and_revoking_ends_it() {
    let stack = stack_or_skip!();
    let b = &stack.browser;

    // patient2 grants dr_smith read+write to the whole chart.
    b.sign_in("patient2").await.unwrap();
    b.click("a.nav-link[href='/consents']").await.unwrap();
    b.click("#grant-submit").await.unwrap();
    b.wait_text("#grantee-error", "Choose a clinician")
        .await
        .unwrap();
    b.select_text("#grantee", "Sam Smith").await.unwrap();
    b.select("#grant-access", "read_write").await.unwrap();
    b.click("#grant-submit").await.unwrap();
    b.wait_text(".banner-ok", "may now see").await.unwrap();
    b.wait_text("#consents-table tr[data-status='active']", "Dr. Sam Smith")
        .await
        .unwrap();
    b.screenshot("patient-consents").await.unwrap();
    b.sign_out().await.unwrap();

    // dr_smith finds Pia Two among their patients and adds a prescription.
    b.sign_in("dr_smith").await.unwrap();
    b.click("a.nav-link[href='/patients']").await.unwrap();
    b.wait_text("#patients-table", "Pia Two").await.unwrap();
    b.screenshot("doctor-patients").await.unwrap();
    b.click_text("#patients-table a", "Pia Two").await.unwrap();
    b.wait_text("#patient-name", "Pia Two").await.unwrap();
    let chart_path = b.path().await.unwrap();
    b.select("#rec-kind", "prescription").await.unwrap();
    b.fill("#rec-title", "Amoxicillin course").await.unwrap();
    b.fill("#rec-drug", "Amoxicillin").await.unwrap();
    b.click("#rec-submit").await.unwrap();
    b.wait_text("#rec-dose-error", "Dose is required")
        .await
        .unwrap();
    b.fill("#rec-dose", "500 mg").await.unwrap();
    b.select("#rec-route", "oral").await.unwrap();
    b.fill("#rec-frequency", "three times a day").await.unwrap();
    b.fill("#rec-duration", "7 days").await.unwrap();
    b.click("#rec-submit").await.unwrap();
    b.wait_text(".banner-ok", "Amoxicillin course")
        .await
        .unwrap();
    b.wait_text(".record[data-kind='prescription']", "500 mg")
        .await
        .unwrap();

    // Amend with a reason: a second version, with history.
    b.click(".record[data-kind='prescription'] .amend")
        .await
        .unwrap();
    b.fill("#amend-dose", "250 mg").await.unwrap();
    b.click("#amend-submit").await.unwrap();
    b.wait_text("#amend-reason-error", "why").await.unwrap();
    b.fill("#amend-reason", "Dose halved for weight")
        .await
        .unwrap();
    b.click("#amend-submit").await.unwrap();
    b.wait_text(".record[data-kind='prescription']", "version 2")
        .await
        .unwrap();
    b.click(".record[data-kind='prescription'] .history")
        .await
        .unwrap();
    b.wait_text(".record[data-kind='prescription'] .versions", "Dose halved")
        .await
        .unwrap();
    b.screenshot("doctor-patient-view").await.unwrap();
    b.sign_out().await.unwrap();

    // patient2 sees the prescription and who touched the chart, verified.
    b.sign_in("patient2").await.unwrap();
    b.click("a.nav-link[href='/chart']").await.unwrap();
    b.wait_text(".record[data-kind='prescription']", "250 mg")
        .await
        .unwrap();
    b.screenshot_phone_fit("patient-chart").await.unwrap();
    b.click("a.nav-link[href='/access-log']").await.unwrap();
    b.wait_text("#access-log", "changed a record")
        .await
        .unwrap();
    b.wait_text(
        "#access-log tr[data-action='record_created']",
        "Dr. Sam Smith",
    )
    .await
    .unwrap();
    b.wait("#access-log tr[data-action='record_created'] .verified")
        .await
        .unwrap();
    b.wait("#access-log tr[data-action='consent_granted'] .verified")
        .await
        .unwrap();
    // The doctor's read of the chart, not only the write, with its badge.
    b.wait_text_with(
        "#access-log tr[data-action='record_viewed']",
        "Dr. Sam Smith",
        ".verified",
    )
    .await
    .unwrap();
    assert_eq!(b.count("#access-log .verify-failed").await.unwrap(), 0);
    // People and plain words: no ids, no session housekeeping, no snake_case.
    // A row newer than the latest checkpoint may still show its pending
    // badge ("checking…"); any other ellipsis would be truncated text.
    let log = b
        .text("#access-log")
        .await
        .unwrap()
        .replace("checking…", "");
    for absent in ["token", "sealed", "_", "…"] {
        assert!(!log.contains(absent), "{absent:?} in the log: {log}");
    }
    assert_eq!(
        b.count("#access-log tr[data-action='token_refreshed'], #access-log tr[data-action='sealed_record_viewed']")
            .await
            .unwrap(),
        0
    );
    // One row per chart opening: the doctor's record views are grouped,
    // the single entries on expand.
    let opening = b
        .wait("#access-log tr[data-action='record_viewed'][data-count]")
        .await
        .unwrap();
    let n: usize = opening
        .attr("data-count")
        .await
        .unwrap()
        .unwrap_or_default()
        .parse()
        .unwrap();
    let views = b
        .count("#access-log tr[data-action='record_viewed']")
        .await
        .unwrap();
    if n > 1 {
        b.click("#access-log tr[data-action='record_viewed'][data-count] .expand")
            .await
            .unwrap();
        b.wait_count(".group-details li", n).await.unwrap();
    }
    assert!(views >= 1);
    // Filters: by kind, then by person.
    b.select("#log-topic", "changed").await.unwrap();
    b.wait_count("#access-log tr[data-action='record_viewed']", 0)
        .await
        .unwrap();
    assert_eq!(
        b.count("#access-log tr[data-action='consent_granted']")
            .await
            .unwrap(),
        0
    );
    b.wait("#access-log tr[data-action='record_amended']")
        .await
        .unwrap();
    b.select("#log-topic", "").await.unwrap();
    b.select_text("#log-person", "You (Pia Two)").await.unwrap();
    b.wait_gone("#access-log", "Dr. Sam Smith").await.unwrap();
    b.select("#log-person", "").await.unwrap();
    b.wait_text("#access-log", "Dr. Sam Smith").await.unwrap();
    b.screenshot_phone_fit("patient-access-log").await.unwrap();

    // Revoke; the doctor is refused on the next request.
    b.click("a.nav-link[href='/consents']").await.unwrap();
    b.click("#consents-table tr[data-status='active'][data-grantee='Dr. Sam Smith'] .revoke")
        .await
        .unwrap();
    b.click("#consents-table tr[data-grantee='Dr. Sam Smith'] .confirm-yes")
        .await
        .unwrap();
    b.wait_text(".banner-ok", "revoked").await.unwrap();
    b.wait("#consents-table tr[data-status='revoked']")
        .await
        .unwrap();
    b.sign_out().await.unwrap();

    b.sign_in("dr_smith").await.unwrap();
    b.click("a.nav-link[href='/patients']").await.unwrap();
    b.wait("#patients-table, .empty").await.unwrap();
    b.wait_gone("#patients-table", "Pia Two").await.unwrap();
    b.goto(&chart_path).await.unwrap();
    b.wait(".banner-error").await.unwrap();
    assert_eq!(b.count("#patient-name").await.unwrap(), 0);
    stack.finish().await;
}
