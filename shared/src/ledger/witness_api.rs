//! The C2SP tlog-witness `add-checkpoint` request body
//! (<https://c2sp.org/tlog-witness>), shared by the log (which sends it) and
//! the witness (which parses it):
//!
//! ```text
//! old <size the witness last cosigned, decimal>\n
//! <consistency proof hash, base64>\n   (0..=63 lines)
//! \n
//! <signed checkpoint note>
//! ```
//!
//! Owns only the wire format; what a witness decides is in the api's
//! `witness` module. Pure.

use base64::{engine::general_purpose::STANDARD, Engine};

use super::hash::Hash;

/// Content type of a 409 answer: the witness's latest size and a newline.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Most proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    /// The checkpoint note as sent (body, blank line, signature lines).
    pub checkpoint: String,
}

impl AddCheckpoint {
    pub fn to_body(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&STANDARD.encode(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    pub fn parse(body: &str) -> Result<Self, &'static str> {
        let (head, checkpoint) = body
            .split_once("\n\n")
            .ok_or("no blank line before the checkpoint")?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .ok_or("first line must be `old <size>`")?;
        let canonical = !old.is_empty()
            && old.bytes().all(|b| b.is_ascii_digit())
            && (old == "0" || !old.starts_with('0'));
        let old_size = old
            .parse()
            .ok()
            .filter(|_| canonical)
            .ok_or("old size must be a decimal number")?;
        let proof = lines
            .map(|l| {
                STANDARD
                    .decode(l)
                    .ok()
                    .and_then(|h| Hash::try_from(h).ok())
                    .ok_or("proof lines must be 32-byte base64 hashes")
            })
            .collect::<Result<Vec<Hash>, _>>()?;
        if proof.len() > MAX_PROOF_LINES {
            return Err("more than 63 proof lines");
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_round_trip_and_bad_ones_are_refused() {
        let req = AddCheckpoint {
            old_size: 20,
            proof: vec![[1; 32], [2; 32]],
            checkpoint: "o\n21\nAQ==\n\n\u{2014} o AAAA\n".into(),
        };
        let body = req.to_body();
        assert!(body.starts_with("old 20\nAQEB"));
        assert_eq!(AddCheckpoint::parse(&body).unwrap(), req);
        let empty = AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: "x\n".into(),
        };
        assert_eq!(AddCheckpoint::parse(&empty.to_body()).unwrap(), empty);
        for bad in [
            "old 020\n\nx",
            "old\n\nx",
            "new 1\n\nx",
            "old 1\nAAAA\n\nx",
            "old 1\n",
        ] {
            assert!(AddCheckpoint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
