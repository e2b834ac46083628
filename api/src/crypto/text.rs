//! Short sensitive texts sealed into one `bytea` column each: record titles,
//! amendment reasons, access-request purposes and emergency reasons. They
//! are sealed like record bodies (AES-256-GCM, newest key of the ring, a
//! fresh nonce, AAD binding the text to its row), but key id and nonce travel
//! inside the value, so a table gains one column per text, not three:
//!
//! ```text
//! 0x01 ‖ key id (i32, big-endian) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
//! ```
//!
//! The first byte is the layout's version. `keys rotate` finds values under
//! an older key by bytes 2–5 (`substring(col from 2 for 4)`), see
//! [`KEY_ID_SQL`]. Nothing here logs or returns plaintext on failure.

use ring::aead::NONCE_LEN;

use crate::crypto::{Aad, OpenError, SealError, Sealer};

const LAYOUT: u8 = 1;
const HEADER: usize = 1 + 4 + NONCE_LEN;

/// The SQL expression of a sealed text column's key id, as `bytea`
/// (compare it with `int4send(<key id>)`); `{col}` is the column.
pub const KEY_ID_SQL: &str = "substring({col} from 2 for 4)";

impl Sealer {
    /// Seals `text` for the row `aad` names, in the one-column layout.
    pub fn seal_text(&self, aad: &Aad, text: &str) -> Result<Vec<u8>, SealError> {
        let sealed = self.seal(aad, text.as_bytes())?;
        let mut out = Vec::with_capacity(HEADER + sealed.ciphertext.len());
        out.push(LAYOUT);
        out.extend_from_slice(&sealed.key_id.to_be_bytes());
        out.extend_from_slice(&sealed.nonce);
        out.extend_from_slice(&sealed.ciphertext);
        Ok(out)
    }

    /// Opens a value [`Self::seal_text`] made for exactly `aad`.
    pub fn open_text(&self, stored: &[u8], aad: &Aad) -> Result<String, OpenError> {
        let key_id = key_id(stored).ok_or(OpenError::Integrity)?;
        let plain = self.open(key_id, &stored[5..HEADER], &stored[HEADER..], aad)?;
        String::from_utf8(plain).map_err(|_| OpenError::Integrity)
    }
}

/// The key a stored text was sealed with (`None`: not this layout).
pub fn key_id(stored: &[u8]) -> Option<i32> {
    if stored.len() < HEADER || stored[0] != LAYOUT {
        return None;
    }
    let id: [u8; 4] = stored[1..5].try_into().ok()?;
    Some(i32::from_be_bytes(id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::SealKey;
    use crate::secret::Secret;
    use uuid::Uuid;

    fn sealer(ids: &[i32]) -> Sealer {
        let keys: Vec<SealKey> = ids
            .iter()
            .map(|id| SealKey {
                id: *id,
                key: Secret::new([*id as u8; 32]),
            })
            .collect();
        Sealer::new(&keys, None).unwrap()
    }

    fn title(version: i32) -> Aad {
        Aad::RecordTitle {
            record_id: Uuid::from_u128(1),
            version,
            patient_id: Uuid::from_u128(2),
        }
    }

    #[test]
    fn a_text_opens_only_for_its_own_row_and_kind() {
        let s = sealer(&[3]);
        let stored = s.seal_text(&title(1), "Penicillin allergy").unwrap();
        assert_eq!(key_id(&stored), Some(3));
        assert_eq!(
            s.open_text(&stored, &title(1)).unwrap(),
            "Penicillin allergy"
        );
        assert!(s.open_text(&stored, &title(2)).is_err());
        let reason = Aad::AmendReason {
            record_id: Uuid::from_u128(1),
            version: 1,
            patient_id: Uuid::from_u128(2),
        };
        assert!(
            s.open_text(&stored, &reason).is_err(),
            "a title is not a reason"
        );
        let mut flipped = stored.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(s.open_text(&flipped, &title(1)), Err(OpenError::Integrity));
        assert_eq!(
            s.open_text(&stored[..10], &title(1)),
            Err(OpenError::Integrity)
        );
        assert!(!String::from_utf8_lossy(&stored).contains("Penicillin"));
    }

    #[test]
    fn an_older_key_still_opens_and_the_newest_seals() {
        let old = sealer(&[1]).seal_text(&title(1), "x").unwrap();
        let both = sealer(&[1, 2]);
        assert_eq!(both.open_text(&old, &title(1)).unwrap(), "x");
        assert_eq!(key_id(&both.seal_text(&title(1), "x").unwrap()), Some(2));
    }
}
