//! Actions that cannot be taken twice by accident: a destructive button
//! asks first (focus on "Cancel"), the outcome line takes the focus (so a
//! second Enter lands nowhere — the old bug revoked the next clinician), and
//! a request cannot be sent twice.

use fantoccini::key::Key;

use crate::browser::Browser;
use crate::stack_or_skip;

async fn active(b: &Browser) -> String {
    b.client
        .execute(
            "const a = document.activeElement; return a.className + '|' + a.textContent;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn press(b: &Browser, key: Key) {
    let el = b.client.active_element().await.unwrap();
    el.send_keys(&char::from(key).to_string()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enter_twice_on_revoke_revokes_one_clinician_and_only_after_confirming() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    // patient1 already lets Dr. Smith in; they also let Nurse Kim Lee in.
    b.sign_in("patient1").await.unwrap();
    b.click("a.nav-link[href='/consents']").await.unwrap();
    b.select_text("#grantee", "Kim Lee").await.unwrap();
    b.click("#grant-submit").await.unwrap();
    b.wait_text(".banner-ok", "may now see").await.unwrap();
    // The outcome line has the focus, not the form.
    assert!(active(b).await.contains("may now see"));
    b.wait_count("#consents-table tr[data-status='active']", 2)
        .await
        .unwrap();

    // Keyboard only: Enter on the first Revoke asks; a second Enter hits
    // "Cancel", which has the focus; nothing is revoked.
    let first = "#consents-table tr[data-status='active'] .revoke";
    b.wait(first).await.unwrap();
    b.client
        .execute(
            &format!("document.querySelector(\"{first}\").focus();"),
            vec![],
        )
        .await
        .unwrap();
    press(b, Key::Enter).await;
    b.wait(".confirm .confirm-no").await.unwrap();
    assert!(
        active(b).await.contains("Cancel"),
        "focus on Cancel: {}",
        active(b).await
    );
    b.screenshot("patient-consents-confirm-revoke")
        .await
        .unwrap();
    press(b, Key::Enter).await;
    b.wait_count(".confirm", 0).await.unwrap();
    assert!(active(b).await.contains("Revoke"), "focus back on Revoke");
    b.wait_count("#consents-table tr[data-status='active']", 2)
        .await
        .unwrap();

    // Enter, then Shift+Tab to "Yes, revoke", Enter: one revoked; focus on
    // the outcome; Enter again does nothing more.
    press(b, Key::Enter).await;
    b.wait(".confirm .confirm-no").await.unwrap();
    b.client
        .execute(
            "document.querySelector('.confirm .confirm-yes').focus();",
            vec![],
        )
        .await
        .unwrap();
    press(b, Key::Enter).await;
    b.wait_text(".banner-ok", "revoked").await.unwrap();
    assert!(
        active(b).await.contains("revoked"),
        "focus on the outcome: {}",
        active(b).await
    );
    b.wait_count("#consents-table tr[data-status='active']", 1)
        .await
        .unwrap();
    press(b, Key::Enter).await;
    press(b, Key::Enter).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(
        b.count("#consents-table tr[data-status='active']")
            .await
            .unwrap(),
        1,
        "a second Enter revoked nobody else"
    );
    assert_eq!(b.count(".confirm").await.unwrap(), 0);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_request_goes_once_and_deny_asks_first() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    b.sign_in("dr_smith").await.unwrap();
    b.click("a.nav-link[href='/find-patient']").await.unwrap();
    b.fill("#directory-q", "Pia").await.unwrap();
    b.click("#directory-search").await.unwrap();
    b.click("#directory-results tr[data-patient='Pia Two'] .choose")
        .await
        .unwrap();
    // Focus goes to the forms for the chosen patient.
    assert!(active(b).await.contains("Access to Pia Two"));
    b.fill("#request-purpose", "Review of the asthma plan")
        .await
        .unwrap();
    // Two clicks before the page can re-render: one request.
    b.client
        .execute(
            "const s = document.querySelector('#request-submit'); s.click(); s.click();",
            vec![],
        )
        .await
        .unwrap();
    b.wait_text(".banner-ok", "Request sent").await.unwrap();
    b.wait_text("#request-submit", "Request sent")
        .await
        .unwrap();
    assert!(b
        .wait("#request-submit")
        .await
        .unwrap()
        .attr("disabled")
        .await
        .unwrap()
        .is_some());
    b.sign_out().await.unwrap();

    // Pia Two sees exactly one request and must confirm a denial.
    b.sign_in("patient2").await.unwrap();
    b.click("a.nav-link[href='/requests']").await.unwrap();
    let card = ".pending-request[data-requester='Dr. Sam Smith']";
    b.wait_text(card, "asthma plan").await.unwrap();
    assert_eq!(b.count(card).await.unwrap(), 1, "one request, not two");
    b.click(&format!("{card} .deny")).await.unwrap();
    b.wait_text(
        &format!("{card} .confirm"),
        "Deny the request from Dr. Sam Smith?",
    )
    .await
    .unwrap();
    b.click(&format!("{card} .confirm-no")).await.unwrap();
    b.wait_count(&format!("{card} .confirm"), 0).await.unwrap();
    b.click(&format!("{card} .deny")).await.unwrap();
    b.click(&format!("{card} .confirm-yes")).await.unwrap();
    b.wait_text(".banner-ok", "Denied the request from Dr. Sam Smith")
        .await
        .unwrap();
    assert!(active(b).await.contains("Denied"));
    b.wait_count(card, 0).await.unwrap();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guardian_always_sees_whose_chart_and_the_choice_holds() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    // An admin links guardian1 to a second dependent, Pat One.
    b.sign_in("admin").await.unwrap();
    b.click("a.nav-link[href='/admin/users']").await.unwrap();
    b.click("#guardian-submit").await.unwrap();
    b.wait_text("#guardian-user-error", "guardian")
        .await
        .unwrap();
    b.select_text("#guardian-user", "guardian1").await.unwrap();
    b.select_text("#guardian-patient", "Pat One").await.unwrap();
    b.fill("#guardian-relationship", "legal guardian")
        .await
        .unwrap();
    b.click("#guardian-submit").await.unwrap();
    b.wait_text(
        "#guardian-form .banner-ok",
        "Gail Guardian is now a guardian of Pat One",
    )
    .await
    .unwrap();
    b.sign_out().await.unwrap();

    b.sign_in("guardian1").await.unwrap();
    b.click("a.nav-link[href='/chart']").await.unwrap();
    b.click(".chart-choice[data-chart='Pia Two']")
        .await
        .unwrap();
    b.wait_text("#patient-name", "Pia Two").await.unwrap();
    b.wait_text("#chart-of", "Chart of Pia Two").await.unwrap();
    b.check_screen("guardian-chart").await.unwrap();

    // Arrow keys on the switcher move nothing.
    b.client
        .execute(
            "document.querySelector(\".chart-choice[data-chart='Pia Two']\").focus();",
            vec![],
        )
        .await
        .unwrap();
    press(b, Key::Right).await;
    press(b, Key::Down).await;
    press(b, Key::Left).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    b.wait_text("#chart-of", "Chart of Pia Two").await.unwrap();

    // Every patient screen names the chart; the choice survives a reload.
    for (href, ready) in [
        ("/consents", "#grant-form"),
        ("/requests", "h2"),
        ("/access-log", "#log-person"),
    ] {
        b.click(&format!("a.nav-link[href='{href}']"))
            .await
            .unwrap();
        b.wait(ready).await.unwrap();
        b.wait_text("#chart-of", "Chart of Pia Two").await.unwrap();
        assert_eq!(
            b.count(".chart-choice[data-chart='Pia Two'][aria-pressed='true']")
                .await
                .unwrap(),
            1
        );
    }
    b.client.refresh().await.unwrap();
    b.wait("#log-person").await.unwrap();
    b.wait_text("#chart-of", "Chart of Pia Two").await.unwrap();
    b.click(".chart-choice[data-chart='Pat One']")
        .await
        .unwrap();
    b.wait_text("#chart-of", "Chart of Pat One").await.unwrap();
    stack.finish().await;
}
