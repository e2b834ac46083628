//! The trust policy a verifier pins instead of taking keys from the server:
//! the log's key, the witnesses' keys, and how many witnesses must have
//! cosigned a checkpoint (k of n) before it counts as published.
//!
//! Owns the policy text format and the one decision "does this checkpoint
//! note satisfy the policy". The format is line-based, like Sigsum's policy
//! files:
//!
//! ```text
//! # comments and blank lines are ignored
//! log <note verifier key of the log, type 0x01>   (one or more)
//! witness <cosigner key, type 0x04>      (zero or more)
//! quorum <k>                             (0 ≤ k ≤ number of witnesses)
//! ```
//!
//! A note is accepted when a signature by one of the pinned log keys
//! verifies and at least `k` distinct pinned witnesses have a valid
//! cosignature on the same body. Several `log` lines serve a key rotation:
//! the log signs with old and new key for a while, verifiers pin both, and
//! checkpoints from before the rotation keep verifying with the old key.
//! Signatures by unknown keys are ignored; a line that claims a pinned
//! key's name and id but does not verify rejects the note.

use super::checkpoint::{Checkpoint, SignedCheckpoint};
use super::cosignature::CosignerKey;
use super::note::{CheckpointError, VerifierKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    /// The log's keys (all with the origin as name); any one suffices.
    pub logs: Vec<VerifierKey>,
    pub witnesses: Vec<CosignerKey>,
    pub quorum: usize,
}

/// Why a policy file or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("only {have} of the {need} witness cosignatures the policy requires")]
    BelowQuorum { have: usize, need: usize },
}

/// A checkpoint the policy accepts, with who cosigned it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub checkpoint: Checkpoint,
    /// `(witness name, cosignature timestamp)` for each valid cosignature.
    pub cosigned_by: Vec<(String, u64)>,
}

impl TrustPolicy {
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let (mut logs, mut witnesses, mut quorum) = (Vec::<VerifierKey>::new(), Vec::new(), None);
        for (i, raw) in text.lines().enumerate() {
            let err = |reason: String| PolicyError::Syntax {
                line: i + 1,
                reason,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, value) = line
                .split_once(' ')
                .ok_or_else(|| err("expected `<keyword> <value>`".into()))?;
            let value = value.trim();
            match word {
                "log" => {
                    let key = VerifierKey::parse(value).map_err(|e| err(e.to_string()))?;
                    if logs.first().is_some_and(|first| first.name != key.name) {
                        return Err(err("all log keys must name the same origin".into()));
                    }
                    logs.push(key);
                }
                "witness" => {
                    let key = CosignerKey::parse(value).map_err(|e| err(e.to_string()))?;
                    if witnesses.iter().any(|w: &CosignerKey| w.name == key.name) {
                        return Err(err(format!("witness {} listed twice", key.name)));
                    }
                    witnesses.push(key);
                }
                "quorum" if quorum.is_none() => {
                    quorum = Some(
                        value
                            .parse::<usize>()
                            .map_err(|_| err("quorum must be a number".into()))?,
                    )
                }
                "quorum" => return Err(err("more than one quorum".into())),
                other => return Err(err(format!("unknown keyword {other:?}"))),
            }
        }
        let eof = |reason: &str| PolicyError::Syntax {
            line: text.lines().count(),
            reason: reason.into(),
        };
        if logs.is_empty() {
            return Err(eof("no `log` line"));
        }
        let quorum = quorum.ok_or_else(|| eof("no `quorum` line"))?;
        if quorum > witnesses.len() {
            return Err(eof("quorum is larger than the number of witnesses"));
        }
        Ok(Self {
            logs,
            witnesses,
            quorum,
        })
    }

    /// Verifies a checkpoint note (log signature plus cosignatures).
    pub fn verify(&self, note: &str) -> Result<Accepted, PolicyError> {
        let signed = SignedCheckpoint::parse(note)?;
        let mut checkpoint = Err(CheckpointError::NoSignatureForKey(
            self.logs
                .first()
                .map(|k| k.name.clone())
                .unwrap_or_default(),
        ));
        for key in &self.logs {
            checkpoint = signed.verify_with(key);
            if checkpoint.is_ok() {
                break;
            }
        }
        let checkpoint = checkpoint?;
        let mut cosigned_by = Vec::new();
        for w in &self.witnesses {
            match w.verify(signed.note()) {
                Ok(ts) => cosigned_by.push((w.name.clone(), ts)),
                Err(CheckpointError::NoSignatureForKey(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if cosigned_by.len() < self.quorum {
            return Err(PolicyError::BelowQuorum {
                have: cosigned_by.len(),
                need: self.quorum,
            });
        }
        Ok(Accepted {
            checkpoint,
            cosigned_by,
        })
    }
}

impl std::fmt::Display for TrustPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for log in &self.logs {
            writeln!(f, "log {log}")?;
        }
        for w in &self.witnesses {
            writeln!(f, "witness {w}")?;
        }
        writeln!(f, "quorum {}", self.quorum)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ledger::cosignature::signed_message;
    use crate::ledger::note::{format_signed, key_id};
    use ed25519_dalek::{Signer, SigningKey};

    fn setup() -> (TrustPolicy, String, Vec<(SigningKey, CosignerKey)>) {
        let log_sk = SigningKey::from_bytes(&[1; 32]);
        let log = VerifierKey::new("example.com/log", log_sk.verifying_key().to_bytes()).unwrap();
        let body = Checkpoint::new(&log.name, 3, [7; 32]).unwrap().body_text();
        let sig = log_sk.sign(body.as_bytes()).to_bytes();
        let note = format_signed(&body, &log.name, key_id(&log.name, &log.public_key), &sig);
        let ws: Vec<_> = (0..3u8)
            .map(|i| {
                let sk = SigningKey::from_bytes(&[10 + i; 32]);
                let key = CosignerKey::new(&format!("w{i}.example"), sk.verifying_key().to_bytes())
                    .unwrap();
                (sk, key)
            })
            .collect();
        let text = format!(
            "# pinned\nlog {log}\nwitness {}\nwitness {}\nwitness {}\nquorum 2\n",
            ws[0].1, ws[1].1, ws[2].1
        );
        let policy = TrustPolicy::parse(&text).unwrap();
        assert_eq!(TrustPolicy::parse(&policy.to_string()).unwrap(), policy);
        (policy, note, ws)
    }

    fn add_cosig(note: &str, sk: &SigningKey, key: &CosignerKey, ts: u64) -> String {
        let body = &note[..note.find("\n\n").unwrap() + 1];
        let sig = sk.sign(signed_message(body, ts).as_bytes()).to_bytes();
        format!("{note}{}", key.line(ts, &sig))
    }

    #[test]
    fn k_of_n_cosignatures_are_required() {
        let (policy, note, ws) = setup();
        assert_eq!(
            policy.verify(&note),
            Err(PolicyError::BelowQuorum { have: 0, need: 2 })
        );
        let one = add_cosig(&note, &ws[0].0, &ws[0].1, 100);
        assert_eq!(
            policy.verify(&one),
            Err(PolicyError::BelowQuorum { have: 1, need: 2 })
        );
        // The same witness twice still counts once.
        let twice = add_cosig(&one, &ws[0].0, &ws[0].1, 101);
        assert!(policy.verify(&twice).is_err());
        let two = add_cosig(&one, &ws[2].0, &ws[2].1, 102);
        let ok = policy.verify(&two).unwrap();
        assert_eq!(ok.checkpoint.size, 3);
        assert_eq!(
            ok.cosigned_by,
            vec![("w0.example".into(), 100), ("w2.example".into(), 102)]
        );
        // A stranger's cosignature does not count.
        let stranger = SigningKey::from_bytes(&[99; 32]);
        let skey = CosignerKey::new("w9.example", stranger.verifying_key().to_bytes()).unwrap();
        assert!(policy
            .verify(&add_cosig(&one, &stranger, &skey, 5))
            .is_err());
    }

    #[test]
    fn during_a_key_rotation_either_pinned_log_key_suffices() {
        let (policy, note, ws) = setup();
        let ok = add_cosig(
            &add_cosig(&note, &ws[0].0, &ws[0].1, 1),
            &ws[1].0,
            &ws[1].1,
            2,
        );
        let new_sk = SigningKey::from_bytes(&[2; 32]);
        let new =
            VerifierKey::new(&policy.logs[0].name, new_sk.verifying_key().to_bytes()).unwrap();
        // Old checkpoints (old key only) verify under a policy pinning both.
        let both = TrustPolicy {
            logs: vec![new.clone(), policy.logs[0].clone()],
            ..policy.clone()
        };
        assert!(both.verify(&ok).is_ok());
        // A policy pinning only the new key refuses them.
        let only_new = TrustPolicy {
            logs: vec![new],
            ..policy.clone()
        };
        assert!(matches!(
            only_new.verify(&ok),
            Err(PolicyError::Checkpoint(CheckpointError::NoSignatureForKey(
                _
            )))
        ));
        // Keys for two different origins cannot be mixed.
        let other = VerifierKey::new("other.example/log", [7; 32]);
        if let Ok(other) = other {
            let text = format!("{policy}log {other}\n");
            assert!(TrustPolicy::parse(&text).is_err());
        }
    }

    #[test]
    fn bad_policies_are_refused() {
        let (policy, _, _) = setup();
        let text = policy.to_string();
        for bad in [
            text.replace("quorum 2", "quorum 4"),
            text.replace("quorum 2\n", ""),
            text.replace("log ", "witness "),
            format!("{text}quorum 1\n"),
            format!("{text}trust me\n"),
            text.replace("witness ", "log "),
            format!("{text}log other.example/log+00000000+AQ==\n"),
        ] {
            assert!(TrustPolicy::parse(&bad).is_err(), "{bad}");
        }
    }
}
