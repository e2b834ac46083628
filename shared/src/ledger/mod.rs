//! The ledger's shared vocabulary and (in time) its canonical encoding, RFC 6962
//! hashing and proof verification — the same code runs on the server, in the
//! CLI and in the browser.

mod action;

pub use action::{Action, Outcome};
