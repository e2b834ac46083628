//! Tests for `checkpoint` and `note`: golden note vector, sign / parse /
//! verify round trip, and every tampering we can think of.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::ledger::note::{format_signed, key_id, NoteSignature};
use chrono::TimeZone;
use ed25519_dalek::{Signer, SigningKey};

const NAME: &str = "careledger.example/log";

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn sample() -> Checkpoint {
    Checkpoint::new("careledger.example/log", 42, [0x11; 32]).unwrap()
}

fn legacy_sample() -> Checkpoint {
    let time = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    Checkpoint::legacy("careledger.example/log", 42, [0x11; 32], time).unwrap()
}

fn sign(cp_body: &str, sk: &SigningKey, name: &str) -> String {
    let pk = sk.verifying_key().to_bytes();
    let sig = sk.sign(cp_body.as_bytes()).to_bytes();
    format_signed(cp_body, name, key_id(name, &pk), &sig)
}

// golang.org/x/mod/sumdb/note/note.go, package documentation example.
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_SIG: &str =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

#[test]
fn go_sumdb_note_vector_verifies_and_signing_reproduces_it() {
    let vk = VerifierKey::parse(GO_VKEY).unwrap();
    assert_eq!(vk.name, "PeterNeumann");
    assert_eq!(hex::encode(vk.key_id), "c74f20a3");
    assert_eq!(vk.to_string(), GO_VKEY);
    let note_text = format!("{GO_TEXT}\n\u{2014} PeterNeumann {GO_SIG}\n");
    let note = SignedNote::parse(&note_text).unwrap();
    assert_eq!(note.text, GO_TEXT);
    note.verify(&vk.name, &vk.public_key).unwrap();
    assert_eq!(note.to_string(), note_text);
    // Ed25519 is deterministic: the same seed must produce the same note.
    let seed = STANDARD.decode(GO_SKEY_B64).unwrap();
    let sk = SigningKey::from_bytes(&seed[1..].try_into().unwrap());
    assert_eq!(sk.verifying_key().to_bytes(), vk.public_key);
    assert_eq!(sign(GO_TEXT, &sk, "PeterNeumann"), note_text);
}

#[test]
fn body_text_has_the_documented_shape() {
    assert_eq!(
        sample().body_text(),
        "careledger.example/log\n42\nERERERERERERERERERERERERERERERERERERERERERE=\n"
    );
    assert_eq!(
        Checkpoint::parse_body(&sample().body_text()).unwrap(),
        sample()
    );
}

#[test]
fn legacy_four_line_checkpoints_still_parse_and_verify() {
    let body = legacy_sample().body_text();
    assert_eq!(
        body,
        "careledger.example/log\n42\nERERERERERERERERERERERERERERERERERERERERERE=\ntime 2024-05-01T12:00:00Z\n"
    );
    assert_eq!(Checkpoint::parse_body(&body).unwrap(), legacy_sample());
    let sk = signing_key(7);
    let pk = sk.verifying_key().to_bytes();
    let signed = SignedCheckpoint::parse(&sign(&body, &sk, NAME)).unwrap();
    assert_eq!(signed.verify(NAME, &pk).unwrap(), legacy_sample());
    // The same head without the time line is another body: the legacy
    // signature does not carry over to it.
    let sig_line = &signed.to_string()[body.len()..];
    let moved = SignedCheckpoint::parse(&format!("{}{sig_line}", sample().body_text())).unwrap();
    assert!(moved.verify(NAME, &pk).is_err());
}

#[test]
fn legacy_truncates_time_to_seconds_and_new_rejects_bad_origins() {
    let t = Utc.timestamp_opt(1_700_000_000, 999_999_999).unwrap();
    let cp = Checkpoint::legacy("o", 1, [0; 32], t).unwrap();
    assert_eq!(cp.time, Some(Utc.timestamp_opt(1_700_000_000, 0).unwrap()));
    assert_eq!(Checkpoint::new("o", 1, [0; 32]).unwrap().time, None);
    for bad in ["", "a\nb", "a\tb"] {
        assert!(Checkpoint::new(bad, 1, [0; 32]).is_err(), "{bad:?}");
        assert!(Checkpoint::legacy(bad, 1, [0; 32], t).is_err(), "{bad:?}");
    }
}

#[test]
fn signed_checkpoint_round_trips_and_verifies() {
    let sk = signing_key(7);
    let pk = sk.verifying_key().to_bytes();
    let text = sign(&sample().body_text(), &sk, NAME);
    let signed = SignedCheckpoint::parse(&text).unwrap();
    assert_eq!(signed.to_string(), text);
    assert_eq!(signed.body(), sample().body_text());
    assert_eq!(signed.verify(NAME, &pk).unwrap(), sample());
    let vk = VerifierKey::new(NAME, pk).unwrap();
    assert_eq!(
        signed
            .verify_with(&VerifierKey::parse(&vk.to_string()).unwrap())
            .unwrap(),
        sample()
    );
}

#[test]
fn any_change_to_the_signed_body_breaks_the_signature() {
    let sk = signing_key(7);
    let pk = sk.verifying_key().to_bytes();
    let good = sign(&sample().body_text(), &sk, NAME);
    let sig_line = &good[good.find("\n\n").unwrap() + 1..];
    let mut changed = Vec::new();
    let mut cp = sample();
    cp.size += 1;
    changed.push(cp);
    let mut cp = sample();
    cp.root[31] ^= 1;
    changed.push(cp);
    let mut cp = legacy_sample();
    cp.time = cp.time.map(|t| t + chrono::Duration::seconds(1));
    changed.push(cp);
    changed.push(legacy_sample());
    let mut cp = sample();
    cp.origin.push('x');
    changed.push(cp);
    for cp in changed {
        let forged = format!("{}{}", cp.body_text(), sig_line);
        let signed = SignedCheckpoint::parse(&forged).unwrap();
        assert_eq!(
            signed.verify(NAME, &pk),
            Err(CheckpointError::BadSignature(NAME.into())),
            "{cp:?}"
        );
    }
}

#[test]
fn wrong_key_or_name_finds_no_signature() {
    let text = sign(&sample().body_text(), &signing_key(7), NAME);
    let signed = SignedCheckpoint::parse(&text).unwrap();
    let other = signing_key(8).verifying_key().to_bytes();
    assert_eq!(
        signed.verify(NAME, &other),
        Err(CheckpointError::NoSignatureForKey(NAME.into()))
    );
    let pk = signing_key(7).verifying_key().to_bytes();
    assert!(signed.verify("other.example/log", &pk).is_err());
}

#[test]
fn signature_by_another_key_under_our_name_and_id_is_bad() {
    let pk = signing_key(7).verifying_key().to_bytes();
    let body = sample().body_text();
    let sig = signing_key(8).sign(body.as_bytes()).to_bytes();
    let text = format_signed(&body, NAME, key_id(NAME, &pk), &sig);
    let signed = SignedCheckpoint::parse(&text).unwrap();
    assert_eq!(
        signed.verify(NAME, &pk),
        Err(CheckpointError::BadSignature(NAME.into()))
    );
}

#[test]
fn truncated_or_padded_signature_fails() {
    let sk = signing_key(7);
    let pk = sk.verifying_key().to_bytes();
    let body = sample().body_text();
    let good = SignedCheckpoint::parse(&sign(&body, &sk, NAME)).unwrap();
    let sig = &good.note().signatures[0];
    for bad in [
        sig.signature[..63].to_vec(),
        [sig.signature.clone(), vec![0]].concat(),
    ] {
        let mut note = good.note().clone();
        note.signatures[0] = NoteSignature {
            signature: bad,
            ..sig.clone()
        };
        let signed = SignedCheckpoint::parse(&note.to_string()).unwrap();
        assert_eq!(
            signed.verify(NAME, &pk),
            Err(CheckpointError::BadSignature(NAME.into()))
        );
    }
    // Cutting the note itself short is a parse error.
    let text = sign(&body, &sk, NAME);
    for cut in [1, 5, 40, 80] {
        let short = &text[..text.len() - cut];
        let ok = SignedCheckpoint::parse(short).and_then(|s| s.verify(NAME, &pk));
        assert!(ok.is_err(), "cut {cut}");
    }
}

#[test]
fn unknown_signatures_are_ignored() {
    let sk = signing_key(7);
    let pk = sk.verifying_key().to_bytes();
    let body = sample().body_text();
    let ours = sign(&body, &sk, NAME);
    let theirs = sign(&body, &signing_key(9), "witness.example");
    let sig_line = |t: &str| t[t.find("\n\n").unwrap() + 2..].to_owned();
    let both = format!("{body}\n{}{}", sig_line(&theirs), sig_line(&ours));
    let signed = SignedCheckpoint::parse(&both).unwrap();
    assert_eq!(signed.note().signatures.len(), 2);
    assert_eq!(signed.verify(NAME, &pk).unwrap(), sample());
}

#[test]
fn parser_rejects_non_canonical_or_malformed_bodies() {
    let r = STANDARD.encode([0x11; 32]);
    let t = "time 2024-05-01T12:00:00Z";
    let bad = [
        format!("o\n042\n{r}\n{t}\n"),
        format!("o\n+42\n{r}\n{t}\n"),
        format!("o\n\n{r}\n{t}\n"),
        format!("o\n18446744073709551616\n{r}\n{t}\n"),
        format!("o\n42\n{}\n{t}\n", STANDARD.encode([0x11; 31])),
        format!("o\n42\n{}\n{t}\n", hex::encode([0x11; 32])),
        "o\n42\n".to_owned(),
        format!("o\n42\n{r}\n{t}\nextra\n"),
        format!("o\n42\n{r}\nextension line\n"),
        format!("o\n42\n{r}\n\n"),
        format!("o\n42\n{r}\n{t}"),
        format!("o\n42\n{r}\ntime 2024-05-01T12:00:00+00:00\n"),
        format!("o\n42\n{r}\ntime 2024-05-01T12:00:00.5Z\n"),
        format!("o\n42\n{r}\nwhen 2024-05-01T12:00:00Z\n"),
        format!("\n42\n{r}\n{t}\n"),
    ];
    for b in bad {
        assert!(Checkpoint::parse_body(&b).is_err(), "{b:?}");
    }
    assert!(Checkpoint::parse_body(&format!("o\n0\n{r}\n{t}\n")).is_ok());
    assert!(Checkpoint::parse_body(&format!("o\n0\n{r}\n")).is_ok());
}

#[test]
fn parser_rejects_malformed_notes() {
    let body = sample().body_text();
    let sk = signing_key(7);
    let good = sign(&body, &sk, NAME);
    let line = &good[good.find("\n\n").unwrap() + 2..];
    let bad = [
        body.clone(),
        format!("{body}{line}"),
        format!("{body}\n"),
        format!("{body}\n{}", line.replace('\u{2014}', "-")),
        format!("{body}\n{}", line.trim_end()),
        format!("{body}\n{}", line.replacen(' ', "", 2)),
        format!("{body}\n{line}\n"),
        format!("{body}\n\u{2014} {NAME} !!!!\n"),
        format!("{body}\n\u{2014} {NAME} AAAA\n"),
        format!("{body}\n\u{2014} bad+name {}\n", STANDARD.encode([0u8; 68])),
        format!("{}\r\n{line}", body.trim_end()),
    ];
    for b in bad {
        assert!(SignedCheckpoint::parse(&b).is_err(), "{b:?}");
    }
}

#[test]
fn verifier_key_parser_checks_id_algorithm_and_length() {
    let pk = signing_key(7).verifying_key().to_bytes();
    let vk = VerifierKey::new(NAME, pk).unwrap();
    let s = vk.to_string();
    assert_eq!(VerifierKey::parse(&s).unwrap(), vk);
    assert_eq!(s.parse::<VerifierKey>().unwrap(), vk);
    let (name, rest) = s.split_once('+').unwrap();
    let (_, key) = rest.split_once('+').unwrap();
    let mut wrong_alg = STANDARD.decode(key).unwrap();
    wrong_alg[0] = 0x04;
    let bad = [
        format!("{name}+00000000+{key}"),
        format!("other+{}+{key}", hex::encode(vk.key_id)),
        format!(
            "{name}+{}+{}",
            hex::encode(vk.key_id),
            STANDARD.encode(wrong_alg)
        ),
        format!(
            "{name}+{}+{}",
            hex::encode(vk.key_id),
            STANDARD.encode([1u8; 32])
        ),
        format!("{name}+{}", hex::encode(vk.key_id)),
        format!("+{}+{key}", hex::encode(vk.key_id)),
        "GO_VKEY".to_owned(),
    ];
    for b in bad {
        assert!(VerifierKey::parse(&b).is_err(), "{b:?}");
    }
    assert!(VerifierKey::new("has space", pk).is_err());
    assert!(VerifierKey::new("has+plus", pk).is_err());
}
