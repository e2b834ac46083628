//! Clinician journeys: a doctor requests access and the patient approves;
//! emergency access with its countdown and the admin's review; an admin
//! creates a nurse who records vitals. (Guardians: see safety.rs.)

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_requests_access_and_the_patient_approves_it_narrower() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("dr_jones").await.unwrap();
    b.click("a.nav-link[href='/find-patient']").await.unwrap();
    b.fill("#directory-q", "Pia").await.unwrap();
    b.click("#directory-search").await.unwrap();
    b.click("#directory-results tr[data-patient='Pia Two'] .choose")
        .await
        .unwrap();
    b.click("#request-submit").await.unwrap();
    b.wait_text("#request-purpose-error", "why").await.unwrap();
    b.fill("#request-purpose", "Follow-up of the chest X-ray")
        .await
        .unwrap();
    b.select("#request-access", "read_write").await.unwrap();
    b.fill("#request-hours", "48").await.unwrap();
    b.click("#request-submit").await.unwrap();
    b.wait_text(".banner-ok", "Request sent").await.unwrap();
    b.screenshot("doctor-find-patient").await.unwrap();
    b.sign_out().await.unwrap();

    // The patient's home lists the request, and the menu counts it.
    b.sign_in("patient2").await.unwrap();
    b.wait_text(
        "#inbox .inbox-request-waiting",
        "Dr. Jordan Jones asks to see the chart of Pia Two: “Follow-up of the chest X-ray”",
    )
    .await
    .unwrap();
    inbox_count_matches(b).await;
    b.click("#inbox .inbox-request-waiting .inbox-action")
        .await
        .unwrap();
    let card = ".pending-request[data-requester='Dr. Jordan Jones']";
    b.wait_text(card, "Follow-up of the chest X-ray")
        .await
        .unwrap();
    b.screenshot("patient-requests").await.unwrap();
    b.click(&format!("{card} .narrow")).await.unwrap();
    b.select(&format!("{card} select"), "read").await.unwrap();
    b.click(&format!("{card} .approve")).await.unwrap();
    b.wait_text(".banner-ok", "Approved").await.unwrap();
    b.wait_text("#decided-requests", "approved").await.unwrap();
    b.click("a.nav-link[href='/consents']").await.unwrap();
    b.wait_text(
        "#consents-table tr[data-status='active']",
        "Dr. Jordan Jones",
    )
    .await
    .unwrap();
    b.sign_out().await.unwrap();

    // The doctor's home says the request was approved and opens the chart.
    b.sign_in("dr_jones").await.unwrap();
    b.wait_text(
        "#inbox .inbox-request-answered",
        "Your request to see the chart of Pia Two was approved.",
    )
    .await
    .unwrap();
    b.screenshot("doctor-inbox").await.unwrap();
    b.click("#inbox .inbox-request-answered .inbox-action")
        .await
        .unwrap();
    b.wait_text("#patient-name", "Pia Two").await.unwrap();
    b.click("a.nav-link[href='/patients']").await.unwrap();
    b.wait_text("#patients-table tr[data-patient='Pia Two']", "Read")
        .await
        .unwrap();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_access_counts_down_and_an_admin_reviews_it() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("dr_jones").await.unwrap();
    b.click("a.nav-link[href='/find-patient']").await.unwrap();
    b.fill("#directory-q", "Pat").await.unwrap();
    b.click("#directory-search").await.unwrap();
    b.click("#directory-results tr[data-patient='Pat One'] .choose")
        .await
        .unwrap();
    b.fill("#emergency-reason", "short").await.unwrap();
    b.click("#emergency-submit").await.unwrap();
    b.wait_text("#emergency-reason-error", "at least 10")
        .await
        .unwrap();
    b.fill("#emergency-reason", "Unconscious in the ER, need allergies")
        .await
        .unwrap();
    b.fill("#emergency-minutes", "30").await.unwrap();
    // Opening the whole chart is asked first; Cancel keeps it closed.
    b.click("#emergency-submit").await.unwrap();
    b.wait_text(
        "#emergency-form .confirm",
        "Open the whole chart of Pat One",
    )
    .await
    .unwrap();
    b.click("#emergency-form .confirm-no").await.unwrap();
    b.wait_count("#emergency-form .confirm", 0).await.unwrap();
    b.click("#emergency-submit").await.unwrap();
    b.click("#emergency-form .confirm-yes").await.unwrap();
    b.wait_text("#patient-name", "Pat One").await.unwrap();
    let first = b.text(".emergency-active .countdown").await.unwrap();
    assert!(first.contains("left"), "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let later = b.text(".emergency-active .countdown").await.unwrap();
    assert_ne!(first, later, "the countdown ticks");
    b.screenshot("doctor-emergency").await.unwrap();
    b.sign_out().await.unwrap();

    // The patient is told at once: first thing on the home page.
    b.sign_in("patient1").await.unwrap();
    b.wait_text(
        "#inbox .inbox-emergency-on-chart.inbox-urgent",
        "Emergency access: Dr. Jordan Jones opened the chart of Pat One",
    )
    .await
    .unwrap();
    b.wait_text(
        "#inbox .inbox-emergency-on-chart",
        "“Unconscious in the ER, need allergies”",
    )
    .await
    .unwrap();
    inbox_count_matches(b).await;
    b.screenshot("patient-inbox-emergency").await.unwrap();
    b.click("a.nav-link[href='/access-log']").await.unwrap();
    b.wait_text(".emergency-notice", "Dr. Jordan Jones")
        .await
        .unwrap();
    b.sign_out().await.unwrap();

    // The admin's home lists the review owed.
    b.sign_in("admin").await.unwrap();
    b.wait_text(
        "#inbox .inbox-review-owed",
        "Review owed: Dr. Jordan Jones's emergency access to the chart of Pat One",
    )
    .await
    .unwrap();
    b.click("a.nav-link[href='/admin/emergency']")
        .await
        .unwrap();
    let card = ".emergency-review[data-doctor='Dr. Jordan Jones']";
    // The list carries no reason: the admin opens it for the review.
    b.wait_text(card, "Open for review").await.unwrap();
    b.click(&format!("{card} .open-reason")).await.unwrap();
    b.wait_text(card, "Unconscious in the ER").await.unwrap();
    b.screenshot("admin-emergency").await.unwrap();
    b.click(&format!("{card} .review")).await.unwrap();
    b.wait_text(&format!("{card} .field-error"), "review note")
        .await
        .unwrap();
    b.fill(
        &format!("{card} .review-note"),
        "Justified: ER admission confirmed",
    )
    .await
    .unwrap();
    b.click(&format!("{card} .review")).await.unwrap();
    b.wait_text(".banner-ok", "Reviewed").await.unwrap();
    b.click(".tab[data-filter='reviewed']").await.unwrap();
    b.wait_text(card, "ER admission confirmed").await.unwrap();

    // The other oversight screens.
    b.click("a.nav-link[href='/admin/access']").await.unwrap();
    b.wait_text("#access-overview", "emergency").await.unwrap();
    b.screenshot("admin-access").await.unwrap();
    b.click("a.nav-link[href='/admin/demographics']")
        .await
        .unwrap();
    b.wait("#age-chart .bar-row").await.unwrap();
    b.wait("#sex-chart .bar-row").await.unwrap();
    b.screenshot("admin-demographics").await.unwrap();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_a_nurse_who_records_vitals() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("admin").await.unwrap();
    b.click("a.nav-link[href='/admin/users']").await.unwrap();
    b.fill("#new-username", "nurse_ola").await.unwrap();
    b.fill("#new-display-name", "Nurse Ola Nord").await.unwrap();
    b.select("#new-role", "nurse").await.unwrap();
    b.fill("#new-password", "a-long-enough-password")
        .await
        .unwrap();
    b.click("#create-user-submit").await.unwrap();
    b.wait_text(".banner-ok", "nurse_ola created")
        .await
        .unwrap();
    b.sign_out().await.unwrap();

    // patient1 lets the new nurse write to the chart.
    b.sign_in("patient1").await.unwrap();
    b.click("a.nav-link[href='/consents']").await.unwrap();
    b.select_text("#grantee", "Nurse Ola Nord").await.unwrap();
    b.select("#grant-access", "read_write").await.unwrap();
    b.click("#grant-submit").await.unwrap();
    b.wait_text(".banner-ok", "may now see").await.unwrap();
    b.sign_out().await.unwrap();

    b.sign_in_with("nurse_ola", "a-long-enough-password")
        .await
        .unwrap();
    b.wait("#signed-in-as").await.unwrap();
    assert_eq!(
        b.count("a.nav-link[href='/find-patient']").await.unwrap(),
        0
    );
    b.click("a.nav-link[href='/patients']").await.unwrap();
    b.click_text("#patients-table a", "Pat One").await.unwrap();
    b.wait_text("#patient-name", "Pat One").await.unwrap();
    // The banner and summary a clinician reads first.
    b.wait_text("#patient-banner", "Pat One").await.unwrap();
    b.wait_text("#patient-banner .has-allergies", "Allergies: Penicillin")
        .await
        .unwrap();
    b.wait_text(
        "#chart-summary .summary-problems",
        "Essential hypertension (I10)",
    )
    .await
    .unwrap();
    b.wait_text(
        "#chart-summary .summary-meds",
        "Lisinopril 10 mg oral once daily",
    )
    .await
    .unwrap();
    b.wait_text(
        "#chart-summary .summary-vitals",
        "Blood pressure: 138/86 mmHg",
    )
    .await
    .unwrap();
    assert_eq!(b.count("#chart-summary .vital-flagged").await.unwrap(), 0);
    b.select("#rec-kind", "vitals").await.unwrap();
    b.fill("#rec-title", "Morning vitals").await.unwrap();
    b.fill("#rec-heart_rate_bpm", "fast").await.unwrap();
    b.click("#rec-submit").await.unwrap();
    b.wait_text("#rec-heart_rate_bpm-error", "whole number")
        .await
        .unwrap();
    b.fill("#rec-heart_rate_bpm", "72").await.unwrap();
    b.fill("#rec-systolic_mmhg", "141").await.unwrap();
    b.fill("#rec-diastolic_mmhg", "92").await.unwrap();
    b.fill("#rec-temperature_c", "38.2").await.unwrap();
    b.fill("#rec-spo2_percent", "95").await.unwrap();
    b.click("#rec-submit").await.unwrap();
    b.wait_text(".record[data-kind='vitals']", "72")
        .await
        .unwrap();
    // The new reading leads the summary, out-of-range values flagged in
    // words, with the trend from the earlier reading.
    let bp = "#chart-summary .vital-flagged[data-vital='Blood pressure']";
    b.wait_text(bp, "Blood pressure: 141/92 mmHg")
        .await
        .unwrap();
    b.wait_text(bp, "high — outside the usual range")
        .await
        .unwrap();
    b.wait_text(bp, "trend: 138/86 mmHg → 141/92 mmHg")
        .await
        .unwrap();
    b.wait_text(
        "#chart-summary .vital-flagged[data-vital='Temperature']",
        "38.2 °C high",
    )
    .await
    .unwrap();
    b.wait_text(
        "#chart-summary .vital-flagged[data-vital='SpO₂']",
        "95 % low",
    )
    .await
    .unwrap();
    assert_eq!(b.count("#chart-summary .vital-flagged").await.unwrap(), 3);
    b.screenshot("nurse-vitals").await.unwrap();
    stack.finish().await;
}

/// The count beside "Home" is the number of inbox items.
async fn inbox_count_matches(b: &crate::browser::Browser) {
    let items = b.count("#inbox .inbox-item").await.unwrap();
    assert!(items > 0);
    b.wait_text("#inbox-count", &items.to_string())
        .await
        .unwrap();
}
