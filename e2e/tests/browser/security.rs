//! Two-factor sign-in from the browser: set up an authenticator app, save
//! the recovery codes, sign in again with one, and turn it off.

use api::auth::totp;

use crate::stack_or_skip;

/// What an authenticator app holding `secret` (as shown, grouped) shows now.
fn app_code(shown_secret: &str) -> String {
    let secret = totp::base32_decode(&shown_secret.replace(' ', "")).expect("a base32 secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp::code_at(&secret, totp::current_step(now as i64))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_sets_up_two_factor_sign_in_uses_a_recovery_code_and_turns_it_off() {
    let stack = stack_or_skip!();
    let b = &stack.browser;

    b.sign_in("patient1").await.unwrap();
    b.click("a.security-link").await.unwrap();
    b.wait_text("#totp-status", "is off").await.unwrap();

    // A wrong code is refused in place; the right one turns it on.
    b.click("#totp-start").await.unwrap();
    let secret = b.wait("#totp-secret").await.unwrap().text().await.unwrap();
    assert!(
        secret.replace(' ', "").len() >= 26,
        "secret shown: {secret:?}"
    );
    b.screenshot("security-setup").await.unwrap();
    b.fill("#totp-code", "12345").await.unwrap();
    b.click("#totp-confirm").await.unwrap();
    b.wait_text("#totp-code-error", "six-digit").await.unwrap();
    b.fill("#totp-code", &app_code(&secret)).await.unwrap();
    b.click("#totp-confirm").await.unwrap();
    b.wait("#recovery-codes").await.unwrap();
    b.wait_count("#recovery-codes li", 10).await.unwrap();
    let recovery = b.text("#recovery-codes li:first-child").await.unwrap();
    b.screenshot("security-recovery-codes").await.unwrap();
    b.click("#totp-done").await.unwrap();
    b.wait_text("#totp-status", "10 recovery codes left")
        .await
        .unwrap();

    // The password alone no longer signs in; a recovery code does, once.
    b.sign_out().await.unwrap();
    b.sign_in_with("patient1", crate::browser::DEMO_PASSWORD)
        .await
        .unwrap();
    b.wait_text("#login-error", "two-factor").await.unwrap();
    b.fill("#code", recovery.trim()).await.unwrap();
    b.click("#sign-in").await.unwrap();
    b.wait("#signed-in-as").await.unwrap();
    b.click("a.security-link").await.unwrap();
    b.wait_text("#totp-status", "9 recovery codes left")
        .await
        .unwrap();

    // Turning it off needs the password.
    b.fill("#totp-disable-password", "not-the-password")
        .await
        .unwrap();
    b.click("#totp-disable").await.unwrap();
    b.wait("#totp-disable-form .banner-error").await.unwrap();
    b.fill("#totp-disable-password", crate::browser::DEMO_PASSWORD)
        .await
        .unwrap();
    b.click("#totp-disable").await.unwrap();
    b.wait_text("#totp-status", "is off").await.unwrap();
    b.screenshot("security-off").await.unwrap();
    stack.finish().await;
}

/// The idle lock: a browser left alone signs itself out (server session
/// included), says why, and keeps the page to return to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_browser_signs_itself_out_and_says_why() {
    const KEY: &str = "careledger.idle_lock_seconds";
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("patient1").await.unwrap();

    // The setting: 15 minutes unless chosen otherwise, kept in this browser.
    b.click("a.security-link").await.unwrap();
    b.wait_text("#idle-lock option:checked", "15 minutes")
        .await
        .unwrap();
    b.select("#idle-lock", "5").await.unwrap();
    let stored = b
        .client
        .execute(
            "return localStorage.getItem(arguments[0]);",
            vec![KEY.into()],
        )
        .await
        .unwrap();
    assert_eq!(stored.as_str(), Some("300"));

    // Stored as seconds: 2 seconds, so the test need not wait minutes.
    b.client
        .execute("localStorage.setItem(arguments[0], '2');", vec![KEY.into()])
        .await
        .unwrap();
    b.click("a.nav-link[href='/access-log']").await.unwrap();
    b.wait_text(
        ".login .banner",
        "You were signed out after 2 seconds without activity",
    )
    .await
    .unwrap();
    assert_eq!(b.path().await.unwrap(), "/access-log");
    b.screenshot("idle-lock-signed-out").await.unwrap();

    // The server ended the session too: a reload does not restore it.
    b.goto("/access-log").await.unwrap();
    b.wait("#sign-in").await.unwrap();
    assert_eq!(b.count("#signed-in-as").await.unwrap(), 0);

    // Signing in again returns to the page (with a longer limit).
    b.client
        .execute(
            "localStorage.setItem(arguments[0], '900');",
            vec![KEY.into()],
        )
        .await
        .unwrap();
    b.fill("#username", "patient1").await.unwrap();
    b.fill("#password", "CareLedger-demo-1").await.unwrap();
    b.click("#sign-in").await.unwrap();
    b.wait("#access-log").await.unwrap();
    stack.finish().await;
}
