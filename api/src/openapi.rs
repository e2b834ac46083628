//! The OpenAPI document. Paths and schemas are collected from the handlers
//! as `routes::configure` registers them; this module adds the document's
//! info, tags and the bearer security scheme.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

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
    components(schemas(shared::ErrorEnvelope, shared::ErrorBody, shared::ErrorCode)),
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

/// The complete document: the base above plus every registered route.
pub fn spec() -> OpenApiDoc {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    spec
}

/// The document as committed in `openapi/openapi.json`.
pub fn spec_json() -> anyhow::Result<String> {
    let mut text = spec().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
