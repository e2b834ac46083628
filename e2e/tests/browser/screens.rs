//! Every main screen of every role, as each role meets it: axe-core finds no
//! violation at 1280 and 390 px, no page scrolls sideways from 320 to
//! 1440 px, the console stays free of errors, the tab names the page, and
//! screenshots of both widths land in e2e/screenshots/ for review.

use crate::browser::Browser;
use crate::stack_or_skip;

/// Opens a screen from the navigation, waits for `ready`, checks the title
/// and where the focus went, then the whole screen.
async fn nav_screen(b: &Browser, href: &str, ready: &str, title: &str, name: &str) {
    b.click(&format!("a.nav-link[href='{href}']"))
        .await
        .unwrap();
    b.wait(ready).await.unwrap();
    assert_eq!(
        b.client.title().await.unwrap(),
        format!("{title} — CareLedger"),
        "the tab names the page"
    );
    // After a route change, focus is on the new page's main region.
    let focused = b
        .client
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, "main", "{name}: focus moves to the page");
    b.check_screen(name).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_patient_screens_pass_axe_at_both_widths() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.goto("/").await.unwrap();
    b.wait("#sign-in").await.unwrap();
    assert_eq!(b.client.title().await.unwrap(), "Sign in — CareLedger");
    // A signed-out load asks nothing of the api: no 401 in the console.
    b.check_screen("sign-in").await.unwrap();

    b.sign_in("patient1").await.unwrap();
    b.wait("#home-title").await.unwrap();
    // The skip link is the first stop and leads into the page.
    b.client
        .execute("document.querySelector('.skip-link').focus();", vec![])
        .await
        .unwrap();
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&char::from(fantoccini::key::Key::Enter).to_string())
        .await
        .unwrap();
    let focused = b
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "main");
    b.check_screen("patient-home").await.unwrap();
    nav_screen(b, "/chart", ".record", "My chart", "patient-chart").await;
    nav_screen(
        b,
        "/consents",
        "#consents-table",
        "Consents",
        "patient-consents",
    )
    .await;
    nav_screen(
        b,
        "/requests",
        ".pending-request",
        "Access requests",
        "patient-requests",
    )
    .await;
    nav_screen(
        b,
        "/access-log",
        "#access-log .verified",
        "Who saw my data",
        "patient-access-log",
    )
    .await;
    nav_screen(
        b,
        "/account/security",
        "#totp-status",
        "Sign-in security",
        "patient-security",
    )
    .await;
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clinician_screens_pass_axe_at_both_widths() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("dr_smith").await.unwrap();
    b.wait("#home-title").await.unwrap();
    b.check_screen("doctor-home").await.unwrap();
    nav_screen(
        b,
        "/patients",
        "#patients-table",
        "My patients",
        "doctor-patients",
    )
    .await;
    b.click_text("#patients-table a", "Pat One").await.unwrap();
    b.wait(".record").await.unwrap();
    assert_eq!(
        b.client.title().await.unwrap(),
        "Patient chart — CareLedger"
    );
    b.check_screen("doctor-patient-chart").await.unwrap();
    nav_screen(
        b,
        "/find-patient",
        "#directory-q",
        "Find a patient",
        "doctor-find-patient",
    )
    .await;
    b.fill("#directory-q", "Pia").await.unwrap();
    b.click("#directory-search").await.unwrap();
    b.click("#directory-results tr[data-patient='Pia Two'] .choose")
        .await
        .unwrap();
    b.wait("#request-form").await.unwrap();
    b.check_screen("doctor-request-access").await.unwrap();
    b.sign_out().await.unwrap();

    b.sign_in("nurse_kim").await.unwrap();
    b.wait("#home-title").await.unwrap();
    b.check_screen("nurse-home").await.unwrap();
    nav_screen(
        b,
        "/patients",
        "#patients-table, .empty",
        "My patients",
        "nurse-patients",
    )
    .await;
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_screens_pass_axe_at_both_widths() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("admin").await.unwrap();
    b.wait("#home-title").await.unwrap();
    b.check_screen("admin-home").await.unwrap();
    nav_screen(b, "/admin/users", "#users-table", "Users", "admin-users").await;
    nav_screen(
        b,
        "/admin/access",
        "#access-overview",
        "Access overview",
        "admin-access",
    )
    .await;
    nav_screen(
        b,
        "/admin/emergency",
        ".tabs",
        "Emergency reviews",
        "admin-emergency",
    )
    .await;
    nav_screen(
        b,
        "/admin/ledger",
        "#ledger-events",
        "Ledger",
        "admin-ledger",
    )
    .await;
    b.select("#ledger-action", "record_created").await.unwrap();
    b.click("#ledger-events tr[data-action='record_created'] a")
        .await
        .unwrap();
    b.wait("#sealed-versions tbody tr").await.unwrap();
    b.check_screen("admin-sealed-record").await.unwrap();
    nav_screen(
        b,
        "/admin/demographics",
        "#age-chart .bar-row",
        "Demographics",
        "admin-demographics",
    )
    .await;
    stack.finish().await;
}
