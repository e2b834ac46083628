//! Admin journeys: accounts.

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_disables_and_reenables_an_account() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("admin").await.unwrap();
    b.click("a.nav-link[href='/admin/users']").await.unwrap();
    b.wait_text("#users-table", "nurse_kim").await.unwrap();

    // Validation next to the fields before anything is sent.
    b.click("#create-user-submit").await.unwrap();
    b.wait_text("#new-username-error", "3 to 32").await.unwrap();
    b.wait_text("#new-password-error", "at least 12")
        .await
        .unwrap();

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
    b.wait_text("#users-table", "Nurse Ola Nord").await.unwrap();
    b.screenshot("admin-users").await.unwrap();

    // Disabling asks first.
    b.click("tr[data-username='nurse_ola'] .toggle-disabled")
        .await
        .unwrap();
    b.click("tr[data-username='nurse_ola'] .confirm-yes")
        .await
        .unwrap();
    b.wait_text(".banner-ok", "Nurse Ola Nord (nurse_ola) disabled")
        .await
        .unwrap();
    b.wait_text("tr[data-username='nurse_ola']", "disabled")
        .await
        .unwrap();
    b.sign_out().await.unwrap();
    b.sign_in_with("nurse_ola", "a-long-enough-password")
        .await
        .unwrap();
    b.wait("#login-error").await.unwrap();

    b.sign_in("admin").await.unwrap();
    b.goto("/admin/users").await.unwrap();
    b.click("tr[data-username='nurse_ola'] .toggle-disabled")
        .await
        .unwrap();
    b.wait_text("tr[data-username='nurse_ola']", "active")
        .await
        .unwrap();
    b.sign_out().await.unwrap();
    b.sign_in_with("nurse_ola", "a-long-enough-password")
        .await
        .unwrap();
    b.wait_text("#signed-in-as", "Nurse Ola Nord")
        .await
        .unwrap();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_explores_and_verifies_the_ledger() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("admin").await.unwrap();
    b.click("a.nav-link[href='/admin/ledger']").await.unwrap();
    // The admin's own sign-in is in the log.
    b.refresh_until("#ledger-refresh", "#ledger-events", "signed in")
        .await
        .unwrap();
    b.select("#ledger-action", "login").await.unwrap();
    b.wait_count("#ledger-events tbody tr:not([data-action='login'])", 0)
        .await
        .unwrap();
    b.wait("#ledger-events tr[data-action='login']")
        .await
        .unwrap();
    b.click("#verify-ledger").await.unwrap();
    b.wait_text("#verify-result", "Ledger verified")
        .await
        .unwrap();
    b.screenshot("admin-ledger").await.unwrap();

    // From a record event to the sealed view: ciphertext, never the text.
    b.select("#ledger-action", "record_created").await.unwrap();
    b.click("#ledger-events tr[data-action='record_created'] a")
        .await
        .unwrap();
    b.wait("#sealed-versions tbody tr").await.unwrap();
    let page = b.text(".page").await.unwrap();
    assert!(!page.contains("once daily"), "no clinical text: {page}");
    b.screenshot("admin-sealed").await.unwrap();
    stack.finish().await;
}
