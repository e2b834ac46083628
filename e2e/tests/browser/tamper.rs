//! Someone with database access rewrites one ledger event behind the
//! application's back: the patient's browser no longer verifies that row, and
//! the admin's ledger verification names exactly that event.

use crate::stack_or_skip;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_event_fails_its_badge_and_the_admin_verify_names_it() {
    let stack = stack_or_skip!();
    let b = &stack.browser;

    // Before: patient1's access log verifies, so this browser has seen a
    // good checkpoint.
    b.sign_in("patient1").await.unwrap();
    b.click("a.nav-link[href='/access-log']").await.unwrap();
    let row = b
        .wait_text_with(
            "#access-log tr[data-action='consent_granted']",
            "",
            ".verified",
        )
        .await
        .unwrap();
    let seq: i64 = row
        .attr("data-seq")
        .await
        .unwrap()
        .expect("rows carry their sequence number")
        .parse()
        .unwrap();
    assert_eq!(b.count("#access-log .verify-failed").await.unwrap(), 0);

    // The database owner shifts the event's time by one second, with the
    // insert-only triggers switched off.
    stack
        .sql(&format!(
            "SET session_replication_role = replica; \
             UPDATE ledger_entries SET time = time - interval '1 second' \
              WHERE id = (SELECT entry_id FROM ledger_events WHERE seq = {seq})"
        ))
        .unwrap();

    // The patient's browser re-hashes the event and the proof no longer fits.
    b.goto("/access-log").await.unwrap();
    b.wait(&format!("#access-log tr[data-seq='{seq}'] .verify-failed"))
        .await
        .unwrap();
    // …and only that row: every other entry still verifies.
    let rows = b.count("#access-log tbody tr").await.unwrap();
    b.wait_count("#access-log tbody tr .verified", rows - 1)
        .await
        .unwrap();
    assert_eq!(b.count("#access-log .verify-failed").await.unwrap(), 1);
    b.screenshot("patient-access-log-tampered").await.unwrap();
    b.sign_out().await.unwrap();

    // The admin's full verification stops at that event and says so.
    b.sign_in("admin").await.unwrap();
    b.click("a.nav-link[href='/admin/ledger']").await.unwrap();
    b.click("#verify-ledger").await.unwrap();
    b.wait_text("#verify-result", &format!("first bad event #{seq} "))
        .await
        .unwrap();
    assert_eq!(
        b.count("#verify-result.banner-error").await.unwrap(),
        1,
        "shown as a failure"
    );
    b.screenshot("admin-ledger-tampered").await.unwrap();
    stack.finish().await;
}
