//! Tests for `event`: the encoding is exactly as documented, covers every
//! field, and survives a JSON round trip.

#![allow(clippy::unwrap_used)]

use super::*;
use chrono::TimeZone;

pub(crate) fn minimal_event(seq: u64, prev_hash: Hash) -> SequencedEvent {
    SequencedEvent {
        seq,
        prev_hash,
        body: EventBody {
            time: Utc.timestamp_opt(0, 1_000).unwrap(),
            actor_id: None,
            actor_role: None,
            action: Action::Login,
            outcome: Outcome::Allowed,
            patient_id: None,
            record_id: None,
            subject_user_id: None,
            basis: None,
            request_id: None,
            source_addr: None,
            content_digest: None,
            prior_digest: None,
        },
    }
}

pub(crate) fn full_event(seq: u64, prev_hash: Hash) -> SequencedEvent {
    SequencedEvent {
        seq,
        prev_hash,
        body: EventBody {
            time: Utc.timestamp_opt(1_717_171_717, 123_456_000).unwrap(),
            actor_id: Some(Uuid::from_u128(0x1111)),
            actor_role: Some(Role::Doctor),
            action: Action::RecordViewed,
            outcome: Outcome::Allowed,
            patient_id: Some(Uuid::from_u128(0x2222)),
            record_id: Some(Uuid::from_u128(0x3333)),
            subject_user_id: Some(Uuid::from_u128(0x4444)),
            basis: Some(Basis {
                kind: BasisKind::Consent,
                id: Some(Uuid::from_u128(0x5555)),
            }),
            request_id: Some("req-7".into()),
            source_addr: Some("192.0.2.1".into()),
            content_digest: Some([0xcd; 32]),
            prior_digest: Some([0xab; 32]),
        },
    }
}

#[test]
fn minimal_event_encodes_exactly_as_documented() {
    let mut want = vec![0x01];
    want.extend_from_slice(&0u64.to_be_bytes());
    want.extend_from_slice(&[0u8; 32]);
    want.extend_from_slice(&1i64.to_be_bytes());
    want.push(0); // actor_id
    want.push(0); // actor_role
    want.extend_from_slice(&[0, 0, 0, 5]);
    want.extend_from_slice(b"login");
    want.extend_from_slice(&[0, 0, 0, 7]);
    want.extend_from_slice(b"allowed");
    want.extend_from_slice(&[0; 8]); // eight absent optionals
    assert_eq!(canonical_bytes(&minimal_event(0, GENESIS_PREV_HASH)), want);
}

#[test]
fn full_event_encodes_every_field_in_order() {
    let e = full_event(7, [0x77; 32]);
    let mut want = vec![0x01];
    want.extend_from_slice(&7u64.to_be_bytes());
    want.extend_from_slice(&[0x77; 32]);
    want.extend_from_slice(&1_717_171_717_123_456i64.to_be_bytes());
    want.push(1);
    want.extend_from_slice(Uuid::from_u128(0x1111).as_bytes());
    want.extend_from_slice(&[1, 0, 0, 0, 6]);
    want.extend_from_slice(b"doctor");
    want.extend_from_slice(&[0, 0, 0, 13]);
    want.extend_from_slice(b"record_viewed");
    want.extend_from_slice(&[0, 0, 0, 7]);
    want.extend_from_slice(b"allowed");
    for id in [0x2222u128, 0x3333, 0x4444] {
        want.push(1);
        want.extend_from_slice(Uuid::from_u128(id).as_bytes());
    }
    want.extend_from_slice(&[1, 0, 0, 0, 7]);
    want.extend_from_slice(b"consent");
    want.push(1);
    want.extend_from_slice(Uuid::from_u128(0x5555).as_bytes());
    want.extend_from_slice(&[1, 0, 0, 0, 5]);
    want.extend_from_slice(b"req-7");
    want.extend_from_slice(&[1, 0, 0, 0, 9]);
    want.extend_from_slice(b"192.0.2.1");
    want.push(1);
    want.extend_from_slice(&[0xcd; 32]);
    want.push(1);
    want.extend_from_slice(&[0xab; 32]);
    assert_eq!(canonical_bytes(&e), want);
}

#[test]
fn leaf_hash_is_pinned_for_the_documented_example() {
    // Pinned so any accidental change to the public format fails here.
    let h = leaf_hash(&minimal_event(0, GENESIS_PREV_HASH));
    assert_eq!(hex::encode(h), PINNED_MINIMAL_LEAF_HASH);
    let mut buf = Vec::new();
    assert_eq!(
        leaf_hash_with(&minimal_event(0, GENESIS_PREV_HASH), &mut buf),
        h
    );
}
const PINNED_MINIMAL_LEAF_HASH: &str =
    "0a83228f45732459ffd22d0de1476b0043388fe4f80f34a948b852e5d27d8496";

/// Each mutation changes exactly one stored field (or its presence).
pub(crate) type Mutation = (&'static str, fn(&mut SequencedEvent));

pub(crate) fn mutations() -> Vec<Mutation> {
    vec![
        ("seq", |e| e.seq += 1),
        ("prev_hash", |e| e.prev_hash[31] ^= 1),
        ("time", |e| e.body.time += chrono::Duration::microseconds(1)),
        ("actor_id", |e| e.body.actor_id = Some(Uuid::from_u128(9))),
        ("actor_id absent", |e| e.body.actor_id = None),
        ("actor_role", |e| e.body.actor_role = Some(Role::Nurse)),
        ("actor_role absent", |e| e.body.actor_role = None),
        ("action", |e| e.body.action = Action::RecordAmended),
        ("outcome", |e| e.body.outcome = Outcome::Denied),
        ("patient_id", |e| {
            e.body.patient_id = Some(Uuid::from_u128(9))
        }),
        ("patient_id absent", |e| e.body.patient_id = None),
        ("record_id", |e| e.body.record_id = Some(Uuid::from_u128(9))),
        ("record_id absent", |e| e.body.record_id = None),
        ("subject_user_id", |e| {
            e.body.subject_user_id = Some(Uuid::from_u128(9))
        }),
        ("subject_user_id absent", |e| e.body.subject_user_id = None),
        ("basis kind", |e| {
            e.body.basis = Some(Basis {
                kind: BasisKind::Emergency,
                id: Some(Uuid::from_u128(0x5555)),
            })
        }),
        ("basis id", |e| {
            e.body.basis = Some(Basis {
                kind: BasisKind::Consent,
                id: Some(Uuid::from_u128(0x5556)),
            })
        }),
        ("basis id absent", |e| {
            e.body.basis = Some(Basis {
                kind: BasisKind::Consent,
                id: None,
            })
        }),
        ("basis absent", |e| e.body.basis = None),
        ("request_id", |e| e.body.request_id = Some("req-8".into())),
        ("request_id absent", |e| e.body.request_id = None),
        ("source_addr", |e| {
            e.body.source_addr = Some("192.0.2.2".into())
        }),
        ("source_addr absent", |e| e.body.source_addr = None),
        ("content_digest", |e| {
            e.body.content_digest = Some([0xce; 32])
        }),
        ("content_digest absent", |e| e.body.content_digest = None),
        ("prior_digest", |e| e.body.prior_digest = Some([0xac; 32])),
        ("prior_digest absent", |e| e.body.prior_digest = None),
    ]
}

#[test]
fn every_stored_field_changes_the_leaf_hash() {
    let base = full_event(7, [0x77; 32]);
    let base_hash = leaf_hash(&base);
    let mut seen = std::collections::HashSet::new();
    for (name, mutate) in mutations() {
        let mut e = base.clone();
        mutate(&mut e);
        assert_ne!(e, base, "{name} mutation did nothing");
        let h = leaf_hash(&e);
        assert_ne!(h, base_hash, "{name} is not covered by the hash");
        assert!(seen.insert(h), "{name} collides with another mutation");
    }
}

#[test]
fn strings_are_length_prefixed_so_boundaries_cannot_shift() {
    let mut a = full_event(1, [0; 32]);
    let mut b = a.clone();
    a.body.request_id = Some("ab".into());
    a.body.source_addr = Some("c".into());
    b.body.request_id = Some("a".into());
    b.body.source_addr = Some("bc".into());
    assert_ne!(canonical_bytes(&a), canonical_bytes(&b));
}

#[test]
fn sub_microsecond_digits_do_not_affect_the_hash() {
    let a = full_event(1, [0; 32]);
    let mut b = a.clone();
    b.body.time += chrono::Duration::nanoseconds(999);
    assert_eq!(leaf_hash(&a), leaf_hash(&b));
    assert_eq!(truncate_to_micros(b.body.time), a.body.time);
}

#[test]
fn times_before_1970_round_toward_negative_infinity() {
    let t = Utc.timestamp_opt(-1, 999_999_500).unwrap();
    let mut e = minimal_event(0, [0; 32]);
    e.body.time = t;
    // -0.0000005 s is stored as -1 µs, not 0.
    assert_eq!(&canonical_bytes(&e)[41..49], &(-1i64).to_be_bytes());
    assert_eq!(truncate_to_micros(t).timestamp_micros(), -1);
}

#[test]
fn json_round_trip_preserves_the_leaf_hash() {
    for e in [
        minimal_event(0, GENESIS_PREV_HASH),
        full_event(42, [0x5a; 32]),
    ] {
        let json = serde_json::to_string(&e).unwrap();
        let back: SequencedEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(leaf_hash(&back), leaf_hash(&e));
    }
}

#[test]
fn json_spells_hashes_as_lowercase_hex_and_names_in_snake_case() {
    let v = serde_json::to_value(full_event(42, [0x5a; 32])).unwrap();
    assert_eq!(v["prev_hash"], "5a".repeat(32));
    assert_eq!(v["body"]["content_digest"], "cd".repeat(32));
    assert_eq!(v["body"]["basis"]["kind"], "consent");
    assert_eq!(v["body"]["actor_role"], "doctor");
    assert_eq!(v["body"]["action"], "record_viewed");
    let v = serde_json::to_value(minimal_event(0, [0; 32])).unwrap();
    assert!(v["body"]["content_digest"].is_null());
}

#[test]
fn json_rejects_a_short_hash() {
    let mut v = serde_json::to_value(full_event(1, [1; 32])).unwrap();
    v["prev_hash"] = serde_json::Value::String("abcd".into());
    assert!(serde_json::from_value::<SequencedEvent>(v).is_err());
}

#[test]
fn basis_kind_round_trips_through_its_name_and_serde_agrees() {
    for k in BasisKind::ALL {
        assert_eq!(k.as_str().parse::<BasisKind>().ok(), Some(k));
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            format!("\"{}\"", k.as_str())
        );
    }
    assert!("root".parse::<BasisKind>().is_err());
}
