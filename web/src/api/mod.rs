//! Typed calls to the CareLedger api, one module per resource, all built on
//! `shared` request/response types and the one request function in `client`.

mod client;
mod error;
mod query;

pub mod admin;
pub mod auth;
pub mod consents;
pub mod emergency;
pub mod ledger;
pub mod mfa;
pub mod patients;
pub mod records;
pub mod users;

pub use client::{on_session_lost, set_token};
pub use error::ApiError;

/// Percent-encodes a query-string value.
pub fn enc(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
