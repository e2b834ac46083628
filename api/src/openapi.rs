//! The OpenAPI document's frame: info, tags, the bearer security scheme and
//! the answers every operation shares. Paths and schemas are collected from
//! the handlers as the routes are registered; `startup::spec` assembles the
//! complete document, so this module never imports `routes`.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CareLedger API",
        description = "Electronic health records with patient-controlled consent and a verifiable, \
                       hash-chained RFC 6962 access ledger. Errors always use the envelope \
                       `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerScheme),
    // Schemas used only by query parameters are not collected from the handlers.
    components(schemas(
        shared::ErrorEnvelope,
        shared::ErrorBody,
        shared::ErrorCode,
        shared::emergency::EmergencyStatusFilter
    )),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Sign-in, sessions and registration"),
        (name = "users", description = "Account administration (admin)"),
        (name = "patients", description = "Patient profiles, the patient directory and guardian links"),
        (name = "clinicians", description = "The clinician directory and clinician profiles"),
        (name = "records", description = "Clinical records: typed, versioned, sealed at rest"),
        (name = "consents", description = "Consent grants (FHIR Consent-like)"),
        (name = "access-requests", description = "Doctors' access requests and the patient's answers"),
        (name = "emergency", description = "Emergency (break-the-glass) access and its review"),
        (name = "admin", description = "Oversight: access overview, demographics, sealed records"),
        (name = "ledger", description = "The verifiable audit ledger: events, signed checkpoints, inclusion and consistency proofs, full verification"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Adds the answers any operation can give, so each handler documents only
/// its own: 400 (malformed path, query or body), 413/415 for operations with
/// a body, 401 for authenticated ones, 503 when the database is unreachable,
/// and for operations that take `Idempotency-Key` the 422 of a reused key
/// and the 503 of a lost COMMIT.
pub fn with_common_responses(mut spec: OpenApiDoc) -> OpenApiDoc {
    for item in spec.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            add_common(op);
        }
    }
    spec
}

fn add_common(op: &mut Operation) {
    let has_body = op.request_body.is_some();
    let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let idempotent = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "Idempotency-Key");
    let unavailable = if idempotent {
        "The database is unavailable (`unavailable`: nothing was saved; try again), or the \
         connection was lost while saving (`commit_outcome_unknown`: the change may have been \
         saved; retry with the same Idempotency-Key). See Retry-After."
    } else {
        "The database is unavailable (`unavailable`); try again after Retry-After"
    };
    let mut common = vec![
        ("400", "Malformed path, query string or body"),
        ("503", unavailable),
    ];
    if idempotent {
        // Before the common answers are added: only a handler's own 422 is
        // extended.
        if let Some(utoipa::openapi::RefOr::T(response)) = op.responses.responses.get_mut("422") {
            response.description.push_str(
                "; or the Idempotency-Key was used for a different request \
                 (`idempotency_key_reused`)",
            );
        }
        common.push((
            "422",
            "The Idempotency-Key was used for a different request (`idempotency_key_reused`)",
        ));
    }
    if has_body {
        common.push(("413", "Request body larger than 64 KiB"));
        common.push(("415", "Request body is not application/json"));
    }
    if authenticated {
        common.push(("401", "Missing, expired or revoked access token"));
    }
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description).into());
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .build()
}
