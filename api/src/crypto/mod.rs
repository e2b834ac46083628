//! Sealing at rest: AES-256-GCM with a key ring (`seal`), and key rotation
//! (`rotate`). Passwords (argon2id) and token keys live in `auth` and `keys`.
//! Nothing here logs plaintext, keys or ciphertext.

pub mod rotate;
pub mod seal;

pub use seal::{Aad, OpenError, SealError, Sealed, Sealer};
