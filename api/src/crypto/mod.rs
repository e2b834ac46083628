//! Sealing at rest: AES-256-GCM with a key ring (`seal`), and key rotation
//! (`rotate`). Passwords (argon2id) and token keys live in `auth` and `keys`.
//! Nothing here logs plaintext, keys or ciphertext.

pub mod aad;
pub mod rotate;
pub mod rotate_texts;
pub mod seal;
pub mod text;

pub use seal::{Aad, OpenError, SealError, Sealed, Sealer};
