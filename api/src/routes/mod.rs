//! HTTP routes: thin handlers grouped by resource. Each parses input,
//! authenticates (the `AuthUser` extractor), and maps the result; none
//! decides access or writes to the ledger. A handler that reads or changes
//! patient or account data hands its work to `access::audited`
//! (`Database::audited` / `audited_find` with an `Audit`), which decides,
//! records the denied or the single allowed event and owns the transaction;
//! a list goes through `paging::scoped` (its scope decided in
//! `access::scope`); the account's own events (sign-in, refresh, sign-out,
//! password, two-factor) are recorded by `auth::login` / `auth::account`.
//! `configure` registers every handler through `utoipa-actix-web`, so
//! registering a route also puts it in the spec.

pub mod access_requests;
pub mod admin;
pub mod auth;
pub mod clinicians;
pub mod consents;
pub mod emergency;
pub mod fallback;
pub mod fhir;
pub mod fhir_r4;
pub mod health;
pub mod ledger;
pub mod mfa;
pub mod paging;
pub mod patients;
pub mod records;
pub mod static_files;
pub mod users;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;

pub use crate::config::MAX_BODY_BYTES;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::me)
        .service(auth::register)
        .service(auth::change_password)
        .service(mfa::totp_status)
        .service(mfa::totp_enroll)
        .service(mfa::totp_confirm)
        .service(mfa::totp_disable)
        .service(users::list_users)
        .service(users::create_user)
        .service(users::get_user)
        .service(users::update_user)
        // `/patients/directory` before `/patients/{id}`.
        .service(patients::directory)
        .service(patients::list_patients)
        .service(patients::create_patient)
        .service(patients::get_patient)
        .service(patients::link_guardian)
        .service(patients::list_guardians)
        .service(clinicians::list_clinicians)
        .service(clinicians::create_clinician)
        .service(records::list_records)
        .service(records::create_record)
        .service(records::get_record)
        .service(records::amend_record)
        .service(records::record_versions)
        .service(fhir::export_fhir)
        .service(consents::list_consents)
        .service(consents::grant_consent)
        .service(consents::revoke_consent)
        .service(access_requests::list_requests)
        .service(access_requests::create_request)
        .service(access_requests::approve_request)
        .service(access_requests::deny_request)
        .service(emergency::open_emergency)
        .service(emergency::list_emergency)
        .service(emergency::get_emergency_for_review)
        .service(emergency::review_emergency)
        .service(admin::access_overview)
        .service(admin::demographics)
        .service(admin::sealed_record)
        .service(ledger::list_events)
        .service(ledger::event_proof)
        .service(ledger::consistency)
        .service(ledger::get_checkpoint)
        .service(ledger::sign_checkpoint)
        .service(ledger::public_key)
        .service(ledger::verify_ledger)
        .service(crate::log::receipt::download_receipt);
}

/// Extractor settings that turn malformed input into the JSON envelope.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .content_type_required(true)
            .error_handler(json_error),
    )
    .app_data(web::PayloadConfig::default().limit(MAX_BODY_BYTES))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error));
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            }
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("request body must be application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::BadRequest(format!("invalid request body: {e}"))
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
        other => ApiError::BadRequest(format!("could not read request body: {other}")),
    };
    api.into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    let message = match err {
        PathError::Deserialize(e) => format!("invalid path parameter: {e}"),
        other => format!("invalid path: {other}"),
    };
    ApiError::BadRequest(message).into()
}
