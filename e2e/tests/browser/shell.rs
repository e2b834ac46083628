//! Sign-in, the role-aware shell, deep links and sign-out.

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_shows_only_the_roles_screens_and_sign_out_ends_the_session() {
    let stack = stack_or_skip!();
    let b = &stack.browser;

    b.goto("/").await.unwrap();
    b.wait("#sign-in").await.unwrap();
    b.screenshot("sign-in").await.unwrap();

    // Wrong password: a readable message, no session.
    b.sign_in_with("dr_smith", "not-the-password")
        .await
        .unwrap();
    b.wait_text("#login-error", "nvalid").await.unwrap();
    // Client-side validation next to the field.
    b.fill("#username", "x").await.unwrap();
    b.click("#sign-in").await.unwrap();
    b.wait_text("#username-error", "3 to 32").await.unwrap();

    b.sign_in("dr_smith").await.unwrap();
    b.wait_text("#home-title", "Dr. Sam Smith").await.unwrap();
    b.screenshot("doctor-home").await.unwrap();
    assert_eq!(b.count("a.nav-link[href='/admin/users']").await.unwrap(), 0);

    // A deep link to an admin screen is refused for a doctor.
    b.goto("/admin/users").await.unwrap();
    b.wait_text("h1", "Not available").await.unwrap();

    b.sign_out().await.unwrap();
    // After sign-out a reload does not bring the session back.
    b.goto("/admin/users").await.unwrap();
    b.wait("#sign-in").await.unwrap();

    // Deep link while signed out: sign in in place and land on the page.
    b.fill("#username", "admin").await.unwrap();
    b.fill("#password", crate::browser::DEMO_PASSWORD)
        .await
        .unwrap();
    b.click("#sign-in").await.unwrap();
    b.wait("#users-table").await.unwrap();
    // A reload keeps the session (refresh cookie) and the page.
    b.client.refresh().await.unwrap();
    b.wait("#users-table").await.unwrap();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_is_refreshed_once_and_the_request_retried() {
    let mut stack = stack_or_skip!();
    stack.browser.sign_in("admin").await.unwrap();
    stack.browser.wait("#home-title").await.unwrap();
    // The token in the page's memory is now signed with a key the server no
    // longer has; the next call gets 401, refreshes via the cookie, retries.
    stack.restart_with_new_token_key().unwrap();
    let b = &stack.browser;
    b.click("a.nav-link[href='/admin/users']").await.unwrap();
    b.wait_text("#users-table", "nurse_kim").await.unwrap();
    assert_eq!(b.count(".banner-error").await.unwrap(), 0);
    assert_eq!(b.count("#signed-in-as").await.unwrap(), 1);
    stack.finish().await;
}
