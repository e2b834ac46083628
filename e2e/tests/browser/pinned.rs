//! The browser trusts only the keys deployed with the app
//! (`trust-policy.txt`: the log key, the witness keys, k of n), never a key
//! the api hands out: with the log and a real witness process, the access
//! log verifies against the cosigned checkpoint and shows the pinned
//! fingerprints; a deployment that pins a witness quorum the checkpoint
//! lacks, or another log key, refuses every badge.

use crate::consistency::{all_verified, failure_reasons, settled};
use crate::stack::{Options, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_checkpoints_signed_by_the_pinned_log_key_and_witness_quorum_verify() {
    let Some(stack) = Stack::start_with(Options { witnesses: 1 })
        .await
        .expect("the stack starts")
    else {
        return;
    };
    let b = &stack.browser;
    let deployed = stack.policy().unwrap();
    assert!(
        deployed.contains("\nwitness w1.example/witness+") && deployed.contains("\nquorum 1\n"),
        "the deployment pins its witness: {deployed}"
    );

    // As deployed: the witness cosigned, so every entry verifies.
    b.sign_in("patient1").await.unwrap();
    b.click("a.nav-link[href='/access-log']").await.unwrap();
    all_verified(b).await;
    b.click("#trust-panel summary").await.unwrap();
    b.wait_text(
        "#trust-panel .trust-witness",
        "w1.example/witness — fingerprint ",
    )
    .await
    .unwrap();
    b.wait_text("#trust-quorum", "At least 1 of these 1")
        .await
        .unwrap();
    b.wait_text("#trust-panel .trust-log", "fingerprint ")
        .await
        .unwrap();
    b.screenshot("patient-access-log-pinned-keys")
        .await
        .unwrap();

    // Pinned: two witnesses must cosign, one of which the log never asked.
    let stranger = stack.stranger_witness_key().unwrap();
    stack
        .set_policy(&format!("{deployed}witness {stranger}\n").replace("quorum 1\n", "quorum 2\n"))
        .unwrap();
    refused(
        b,
        "only 1 of the 2 witness cosignatures the policy requires",
    )
    .await;
    b.screenshot("patient-access-log-below-quorum")
        .await
        .unwrap();

    // Pinned: another log key (the checkpoint is signed by a key not pinned).
    let other = stack.stranger_log_key().unwrap();
    let log_line = deployed
        .lines()
        .find(|l| l.starts_with("log "))
        .unwrap()
        .to_owned();
    stack
        .set_policy(&deployed.replace(&log_line, &format!("log {other}")))
        .unwrap();
    refused(b, "the note has no signature by key").await;

    // Without any pinned keys the app checks nothing (and says why).
    stack.set_policy("").unwrap();
    b.goto("/access-log").await.unwrap();
    let rows = settled(b).await;
    assert_eq!(
        b.count("#access-log tbody tr .verify-failed")
            .await
            .unwrap(),
        rows,
        "an empty policy is malformed, so nothing verifies"
    );
    assert_eq!(b.count("#access-log .verified").await.unwrap(), 0);

    // The deployed policy again: verified.
    stack.set_policy(&deployed).unwrap();
    b.goto("/access-log").await.unwrap();
    all_verified(b).await;
    stack.finish().await;
}

/// Reloads the access log: every badge fails, naming `why`.
async fn refused(b: &crate::browser::Browser, why: &str) {
    b.goto("/access-log").await.unwrap();
    let rows = settled(b).await;
    assert!(rows > 0);
    assert_eq!(
        b.count("#access-log tbody tr .verify-failed")
            .await
            .unwrap(),
        rows,
        "every badge is refused"
    );
    assert_eq!(b.count("#access-log .verified").await.unwrap(), 0);
    let reasons = failure_reasons(b).await;
    assert!(
        reasons.iter().all(|r| r.contains(why)
            && r.starts_with("the log's checkpoint is refused by the keys pinned in this app")),
        "{reasons:?}"
    );
}
