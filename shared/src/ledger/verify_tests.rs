//! Tests for `verify`: each kind of tampering is detected, with the seq the
//! module doc promises.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::ledger::event::tests::{full_event, minimal_event, mutations};
use crate::ledger::event::{leaf_hash, EventBody};
use crate::ledger::hash::EMPTY_ROOT;
use crate::ledger::merkle::root;
use FailureReason::*;

type Stored = Vec<(SequencedEvent, Hash)>;

fn body(i: u64) -> EventBody {
    let mut e = if i.is_multiple_of(3) {
        minimal_event(0, [0; 32])
    } else {
        full_event(0, [0; 32])
    };
    e.body.time += chrono::Duration::microseconds(i as i64 * 1_001);
    if let Some(r) = &mut e.body.request_id {
        r.push_str(&i.to_string());
    }
    e.body
}

/// Re-links and re-hashes `bodies` into a well-formed stored log, as an
/// honest sequencer (or an attacker who recomputes everything) would.
fn sequence(bodies: Vec<EventBody>) -> Stored {
    let mut prev = [0u8; 32];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let e = SequencedEvent {
                seq: i as u64,
                prev_hash: prev,
                body,
            };
            prev = leaf_hash(&e);
            (e, prev)
        })
        .collect()
}

fn log(n: u64) -> Stored {
    sequence((0..n).map(body).collect())
}

fn checkpoint_of(log: &Stored, size: usize) -> (u64, Hash) {
    let leaves: Vec<Hash> = log[..size].iter().map(|(_, h)| *h).collect();
    (size as u64, root(&leaves))
}

fn verify(stored: &Stored, checkpoints: &[(u64, Hash)]) -> Result<Verified, Failure> {
    let mut v = ChainVerifier::with_checkpoints(checkpoints.iter().copied());
    for (e, h) in stored {
        v.push(e, h)?;
    }
    v.finish()
}

fn fails_at(seq: u64, reason: FailureReason) -> Result<Verified, Failure> {
    Err(Failure { seq, reason })
}

#[test]
fn an_intact_log_verifies_against_all_its_checkpoints() {
    let l = log(50);
    let cps: Vec<_> = [0, 1, 7, 32, 50]
        .iter()
        .map(|&s| checkpoint_of(&l, s))
        .collect();
    let v = verify(&l, &cps).unwrap();
    assert_eq!(v.size, 50);
    assert_eq!(v.root, checkpoint_of(&l, 50).1);
    assert_eq!(v.checkpoints_checked, 5);
    assert_eq!(cps[0].1, EMPTY_ROOT);
}

#[test]
fn an_altered_field_is_named_as_content_altered() {
    for (name, mutate) in mutations() {
        if name == "seq" || name == "prev_hash" {
            continue;
        }
        let mut l = log(20);
        mutate(&mut l[7].0);
        if l[7].0 == log(20)[7].0 {
            continue; // mutation was a no-op for this event's shape
        }
        assert_eq!(verify(&l, &[]), fails_at(7, ContentAltered), "{name}");
    }
}

#[test]
fn an_altered_stored_hash_is_named() {
    let mut l = log(20);
    l[11].1[0] ^= 0x80;
    assert_eq!(verify(&l, &[]), fails_at(11, ContentAltered));
}

#[test]
fn an_altered_and_rehashed_event_breaks_the_next_link() {
    let mut l = log(20);
    l[7].0.body.outcome = crate::ledger::Outcome::Denied;
    l[7].1 = leaf_hash(&l[7].0);
    assert_eq!(verify(&l, &[]), fails_at(8, PrevHashMismatch));
}

#[test]
fn an_altered_prev_hash_is_named() {
    let mut l = log(20);
    l[5].0.prev_hash[3] ^= 1;
    assert_eq!(verify(&l, &[]), fails_at(5, PrevHashMismatch));
    let mut l = log(3);
    l[0].0.prev_hash = [1; 32];
    l[0].1 = leaf_hash(&l[0].0);
    assert_eq!(verify(&l, &[]), fails_at(0, PrevHashMismatch));
}

#[test]
fn a_deleted_event_is_named_as_missing() {
    let mut l = log(20);
    l.remove(9);
    assert_eq!(verify(&l, &[]), fails_at(9, MissingEvent { found: 10 }));
    let mut l = log(5);
    l.remove(0);
    assert_eq!(verify(&l, &[]), fails_at(0, MissingEvent { found: 1 }));
}

#[test]
fn a_deleted_event_with_renumbering_breaks_the_link_at_its_place() {
    let mut l = log(20);
    l.remove(9);
    for (e, h) in &mut l[9..] {
        e.seq -= 1;
        *h = leaf_hash(e);
    }
    assert_eq!(verify(&l, &[]), fails_at(9, PrevHashMismatch));
}

#[test]
fn an_inserted_duplicate_is_named_as_out_of_order() {
    let mut l = log(20);
    let dup = l[6].clone();
    l.insert(7, dup);
    assert_eq!(verify(&l, &[]), fails_at(7, OutOfOrder { found: 6 }));
}

#[test]
fn a_forged_inserted_event_is_caught_where_the_chain_resumes() {
    // The forger links the new event to event 6 and hashes it correctly and
    // renumbers the rest: indistinguishable until the next original event.
    let mut l = log(20);
    let mut forged = SequencedEvent {
        seq: 7,
        prev_hash: l[6].1,
        body: body(99),
    };
    forged.body.action = crate::ledger::Action::Export;
    let h = leaf_hash(&forged);
    l.insert(7, (forged, h));
    for (e, _) in &mut l[8..] {
        e.seq += 1;
    }
    assert_eq!(verify(&l, &[]), fails_at(8, PrevHashMismatch));
}

#[test]
fn swapped_events_are_named_at_the_first_swapped_position() {
    let mut l = log(20);
    l.swap(4, 5);
    assert_eq!(verify(&l, &[]), fails_at(4, MissingEvent { found: 5 }));
    // Swapped contents with the seq numbers left in place.
    let mut l = log(20);
    let (a, b) = (l[4].0.body.clone(), l[5].0.body.clone());
    l[4].0.body = b;
    l[5].0.body = a;
    assert_eq!(verify(&l, &[]), fails_at(4, ContentAltered));
    // Swapped whole rows, renumbered and re-hashed: the link breaks.
    let mut l = log(20);
    l.swap(4, 5);
    for (i, (e, h)) in l.iter_mut().enumerate().skip(4).take(2) {
        e.seq = i as u64;
        *h = leaf_hash(e);
    }
    assert_eq!(verify(&l, &[]), fails_at(4, PrevHashMismatch));
}

#[test]
fn a_truncated_tail_is_caught_by_a_later_checkpoint() {
    let full = log(30);
    let cp = checkpoint_of(&full, 30);
    let mut l = full.clone();
    l.truncate(27);
    // The chain alone looks fine...
    assert!(verify(&l, &[]).is_ok());
    // ...but the signed checkpoint covers 30 events.
    assert_eq!(
        verify(&l, &[cp]),
        fails_at(
            27,
            TreeShorterThanCheckpoint {
                checkpoint_size: 30
            }
        )
    );
    let mut v = ChainVerifier::new();
    for (e, h) in &l {
        v.push(e, h).unwrap();
    }
    assert_eq!(
        v.check_checkpoint(cp.0, &cp.1),
        Err(Failure {
            seq: 27,
            reason: TreeShorterThanCheckpoint {
                checkpoint_size: 30
            }
        })
    );
}

#[test]
fn a_fully_recomputed_chain_is_caught_by_an_older_checkpoint() {
    let honest = log(40);
    let cps = [
        checkpoint_of(&honest, 10),
        checkpoint_of(&honest, 25),
        checkpoint_of(&honest, 40),
    ];
    let mut bodies: Vec<EventBody> = honest.iter().map(|(e, _)| e.body.clone()).collect();
    bodies[17].outcome = crate::ledger::Outcome::Denied;
    let rewritten = sequence(bodies);
    // Internally consistent: the chain alone cannot tell.
    assert!(verify(&rewritten, &[]).is_ok());
    assert_eq!(
        verify(&rewritten, &cps),
        fails_at(
            24,
            CheckpointRootMismatch {
                checkpoint_size: 25,
                last_good_size: 10
            }
        )
    );
}

#[test]
fn a_deletion_with_full_recompute_is_caught_by_a_checkpoint() {
    let honest = log(40);
    let cps = [checkpoint_of(&honest, 16), checkpoint_of(&honest, 32)];
    let mut bodies: Vec<EventBody> = honest.iter().map(|(e, _)| e.body.clone()).collect();
    bodies.remove(20);
    let rewritten = sequence(bodies);
    assert_eq!(
        verify(&rewritten, &cps),
        fails_at(
            31,
            CheckpointRootMismatch {
                checkpoint_size: 32,
                last_good_size: 16
            }
        )
    );
}

#[test]
fn check_checkpoint_compares_the_current_root() {
    let l = log(12);
    let mut v = ChainVerifier::new();
    v.check_checkpoint(0, &EMPTY_ROOT).unwrap();
    for (e, h) in &l {
        v.push(e, h).unwrap();
    }
    let (size, r) = checkpoint_of(&l, 12);
    assert_eq!(v.root_at_current_size(), r);
    v.check_checkpoint(size, &r).unwrap();
    assert_eq!(
        v.check_checkpoint(12, &[0; 32]),
        Err(Failure {
            seq: 11,
            reason: CheckpointRootMismatch {
                checkpoint_size: 12,
                last_good_size: 12
            }
        })
    );
    assert_eq!(
        v.check_checkpoint(5, &r),
        Err(Failure {
            seq: 5,
            reason: CheckpointAlreadyPassed { checkpoint_size: 5 }
        })
    );
}

#[test]
fn failure_serializes_for_the_api() {
    let f = Failure {
        seq: 3,
        reason: MissingEvent { found: 5 },
    };
    let json = serde_json::to_value(f).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"seq": 3, "reason": {"kind": "missing_event", "found": 5}})
    );
    assert_eq!(
        f.to_string(),
        "ledger invalid at seq 3: event is missing (next event present has seq 5)"
    );
}

/// `cargo test --release -p shared verifier_throughput -- --ignored --nocapture`
#[test]
#[ignore = "benchmark; run in release"]
fn verifier_throughput() {
    let n = 1_000_000u64;
    let l = log(n);
    let cp = checkpoint_of(&l, n as usize);
    let start = std::time::Instant::now();
    let v = verify(&l, &[cp]).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(v.size, n);
    println!(
        "verified {n} events in {secs:.3}s: {:.0} events/s",
        n as f64 / secs
    );
}
