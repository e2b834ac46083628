//! The FHIR R4 façade's routes (`/fhir/R4/...`), registered as plain actix
//! routes: the façade's contract is its CapabilityStatement
//! (`GET /fhir/R4/metadata`), not the OpenAPI document. Each handler parses,
//! authenticates and hands the work to an audited action; errors answer as
//! OperationOutcome. What each interaction logs is in `fhir::r4`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use shared::ledger::Action as Ledger;
use uuid::Uuid;

use crate::access::{scope, Action, Audit, Target};
use crate::auth::AuthUser;
use crate::clinical::records;
use crate::error::ApiError;
use crate::fhir::r4::{self, bundle::Page, capability, outcome::FhirError, search::Search};
use crate::fhir::r4::{outcome::FHIR_JSON, types::ResourceType};
use crate::rate_limit::Scope;
use crate::request::RequestContext;
use crate::state::AppState;

type Answer = Result<HttpResponse, FhirError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Read-only: another method on a served path is a 405 with `Allow`.
    let get = |path: &str, route: actix_web::Route| {
        web::resource(path.to_owned())
            .route(route)
            .default_service(web::to(read_only))
    };
    cfg.service(get("/metadata", web::get().to(metadata)))
        .service(get("/Patient/{id}/{operation}", web::get().to(everything)))
        .service(get("/{type}/{id}", web::get().to(read)))
        .service(get("/{type}", web::get().to(search)))
        .default_service(web::to(unsupported));
}

/// The server base URL as the client reached it.
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir/R4", info.scheme(), info.host())
}

fn fhir_json(bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes)
}

fn resource(v: &Value) -> Answer {
    let bytes =
        serde_json::to_vec(v).map_err(|e| ApiError::internal("encoding FHIR resource", e))?;
    Ok(fhir_json(bytes))
}

fn resource_type(name: &str) -> Result<ResourceType, FhirError> {
    ResourceType::parse(name).ok_or(FhirError(ApiError::NotFound(
        "this server does not serve that resource type",
    )))
}

fn resource_id(raw: &str) -> Result<Uuid, FhirError> {
    raw.parse()
        .map_err(|_| FhirError(ApiError::NotFound("not found")))
}

async fn metadata(req: HttpRequest) -> Answer {
    resource(&capability::statement(
        &base(&req),
        env!("CARGO_PKG_VERSION"),
    ))
}

async fn unsupported() -> Answer {
    Err(FhirError(ApiError::NotFound(
        "not a FHIR interaction this server supports; see /fhir/R4/metadata",
    )))
}

async fn read_only() -> Answer {
    Err(FhirError(ApiError::MethodNotAllowed {
        allow: vec!["GET".into()],
    }))
}

/// `GET /fhir/R4/{type}/{id}`.
async fn read(
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: Result<AuthUser, ApiError>,
    path: web::Path<(String, String)>,
) -> Answer {
    let user = user?;
    let (name, raw) = path.into_inner();
    let t = resource_type(&name)?;
    let id = resource_id(&raw)?;
    let sealer = state.sealer.clone();
    let value = match t {
        ResourceType::Patient => {
            let audit = Audit::read(&ctx, user.into(), Action::ViewProfile, Ledger::RecordViewed);
            state
                .db
                .audited(audit, Target::Patient(id), move |conn, _| {
                    r4::patient(conn, &sealer, id)
                })
                .await?
        }
        ResourceType::Practitioner => {
            state
                .db
                .listing(user.into(), scope::clinicians, move |conn, (), _| {
                    r4::practitioner(conn, id)
                })
                .await?
        }
        ResourceType::Provenance | ResourceType::Consent | ResourceType::AuditEvent => {
            return Err(FhirError(ApiError::NotFound(
                "read by id is not served for this type; search by patient",
            )))
        }
        t => {
            let audit = Audit::read(&ctx, user.into(), Action::ReadRecord, Ledger::RecordViewed)
                .naming_record(id);
            state
                .db
                .audited_find(
                    audit,
                    move |conn| {
                        let Some(row) = records::find(conn, id)? else {
                            return Ok(None);
                        };
                        // Another type's id is as absent as no id at all.
                        if ResourceType::of_kind(row.kind()?) != t {
                            return Ok(None);
                        }
                        Ok(Some((Target::Record(row.as_ref()?), row.patient_id)))
                    },
                    move |conn, permit, patient| {
                        r4::read_record(conn, &sealer, permit, patient, t, id)
                    },
                )
                .await?
        }
    };
    resource(&value)
}

/// `GET /fhir/R4/{type}?...`.
async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: Result<AuthUser, ApiError>,
    name: web::Path<String>,
) -> Answer {
    let user = user?;
    let t = resource_type(&name)?;
    if !t.searchable() {
        return Err(FhirError(ApiError::BadRequest(format!(
            "{} is read by id only",
            t.as_str()
        ))));
    }
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {e}")))?
        .into_inner();
    let search = Search::parse(t, &pairs)?;
    let base = base(&req);
    let sealer = state.sealer.clone();
    if t == ResourceType::Patient {
        let id = search.id.ok_or_else(|| {
            ApiError::BadRequest(
                "Patient search needs _id (read your own chart's id from the launch context)"
                    .into(),
            )
        })?;
        let audit = Audit::read(&ctx, user.into(), Action::ViewProfile, Ledger::RecordViewed);
        let query = format!("Patient?_id={id}");
        let found = state
            .db
            .audited(audit, Target::Patient(id), move |conn, _| {
                r4::patient(conn, &sealer, id)
            })
            .await?;
        let page = Page {
            base: &base,
            query,
            total: 1,
            offset: 0,
            count: search.count,
        };
        return resource(&r4::bundle::searchset(&page, vec![found], Vec::new()));
    }
    let patient = search
        .patient
        .ok_or_else(|| ApiError::BadRequest(format!("{} search needs patient", t.as_str())))?;
    // The query as sent (its own encoding), without the paging parameters.
    let kept: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("_count=") && !p.starts_with("_offset="))
        .collect();
    let query = match kept.is_empty() {
        true => t.as_str().to_owned(),
        false => format!("{}?{}", t.as_str(), kept.join("&")),
    };
    let (offset, count) = (search.offset, search.count);
    match t {
        // Listings, scoped as their JSON API twins (no event, as there).
        ResourceType::Consent => {
            let bundle = state
                .db
                .listing(
                    user.into(),
                    scope::oversight,
                    move |conn, visible, actor| {
                        let page = Page {
                            base: &base,
                            query,
                            total: 0,
                            offset,
                            count,
                        };
                        r4::consents(conn, visible, actor, patient, page)
                    },
                )
                .await?;
            return resource(&bundle);
        }
        ResourceType::AuditEvent => {
            let bundle = state
                .db
                .listing(user.into(), scope::log, move |conn, scope, _| {
                    let page = Page {
                        base: &base,
                        query,
                        total: 0,
                        offset,
                        count,
                    };
                    r4::audit_events(conn, scope, patient, page)
                })
                .await?;
            return resource(&bundle);
        }
        _ => {}
    }
    let audit =
        Audit::read(&ctx, user.into(), Action::ListRecords, Ledger::RecordViewed).per_item();
    let bundle = state
        .db
        .audited(audit, Target::Patient(patient), move |conn, permit| {
            let page = Page {
                base: &base,
                query,
                total: 0,
                offset: search.offset,
                count: search.count,
            };
            r4::search_chart(conn, &sealer, permit, patient, t, &search, page)
        })
        .await?;
    resource(&bundle)
}

/// `GET /fhir/R4/Patient/{id}/$everything`.
async fn everything(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: RequestContext,
    user: Result<AuthUser, ApiError>,
    path: web::Path<(String, String)>,
) -> Answer {
    let user = user?;
    let (raw, operation) = path.into_inner();
    if operation != "$everything" {
        return unsupported().await;
    }
    state
        .limiter
        .check(Scope::ExpensiveByUser, &user.id.to_string())?;
    let id = resource_id(&raw)?;
    let base = base(&req);
    let sealer = state.sealer.clone();
    // Decided as the chart's record list; one `export` event, plus one per
    // record carried (naming it, with its digest).
    let audit = Audit::read(&ctx, user.into(), Action::ListRecords, Ledger::Export);
    let bytes = state
        .db
        .audited(audit, Target::Patient(id), move |conn, permit| {
            r4::everything(conn, &sealer, permit, id, &base)
        })
        .await?;
    Ok(fhir_json(bytes))
}
