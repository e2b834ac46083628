//! CareLedger api: the actix-web server, its domain services and the
//! `careledger` command line. See `shared/DESIGN.md` for the overall picture.

pub mod access;
pub mod auth;
pub mod cli;
pub mod client_addr;
pub mod clinical;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fhir;
pub mod idempotency;
pub mod keys;
pub mod ledger;
pub mod log;
pub mod openapi;
pub mod rate_limit;
pub mod request;
pub mod route_table;
pub mod routes;
pub mod secret;
pub mod seed;
pub mod seed_clinical;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod users;
pub mod witness;
