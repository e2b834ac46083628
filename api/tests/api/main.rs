//! Integration tests: the real app on port 0 against a fresh PostgreSQL
//! database per test, spoken to over HTTP.

mod helpers;

mod auth_lifecycle;
mod authz_matrix;
mod hardening_login;
mod health_and_errors;
mod login;
mod records_flow;
mod sealing;
mod spec_routes;
mod token_catalogue;
mod tokens;
mod two_factor;
mod users_admin;
