//! Types shared by the api server and the browser app: ids, roles, request and
//! response bodies, the error envelope, and the ledger's hashing and proof
//! verification. Compiles for native and wasm32; nothing here touches a
//! database or the network.

pub mod admin;
pub mod auth;
pub mod coding;
pub mod consents;
pub mod emergency;
pub mod error;
pub mod health;
pub mod ids;
pub mod ledger;
pub mod mfa;
pub mod paging;
pub mod patients;
pub mod records;
pub mod role;
pub mod users;

pub use error::{ErrorBody, ErrorCode, ErrorEnvelope, InputError};
pub use ids::{ConsentId, PatientId, RecordId, UserId};
pub use role::Role;
