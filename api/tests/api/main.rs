//! Integration tests: the real app on port 0 against a fresh PostgreSQL
//! database per test, spoken to over HTTP.

mod helpers;

mod admin_views;
mod audited;
mod auth_lifecycle;
mod authz_matrix;
mod bad_input;
mod binaries;
mod consent_expiry;
mod consents_flow;
mod credential_guard;
mod emergency_flow;
mod fhir_export;
mod fhir_r4;
mod hardening_login;
mod health_and_errors;
mod idempotency;
mod ledger_bench;
mod ledger_cli;
mod ledger_concurrency;
mod ledger_endpoints;
mod ledger_helpers;
mod ledger_insert_only;
mod ledger_kill;
mod ledger_log_scope;
mod ledger_processes;
mod ledger_tamper;
mod list_paging;
mod list_scope;
mod log_key_rotation;
mod log_policy_cli;
mod log_public;
mod log_witness;
mod login;
mod receipts;
mod records_flow;
mod request_id;
mod sealing;
mod spec_routes;
mod token_catalogue;
mod tokens;
mod two_factor;
mod users_admin;
mod witness_helpers;
mod witness_refusals;
