//! Building the application: keys, database (migrated), state, routes, the
//! ledger sequencer thread (unless disabled) and the bound HTTP server.
//! Tests call `Application::build` with port 0 and read the port it got.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{self, password, JwtKeys};
use crate::clinical::consent_expiry;
use crate::config::Settings;
use crate::crypto::Sealer;
use crate::db::{self, Database};
use crate::keys::Keys;
use crate::ledger::sequencer::{self, SequencerConfig, SequencerHandle};
use crate::ledger::signer::CheckpointSigner;
use crate::openapi::ApiDoc;
use crate::rate_limit::RateLimiter;
use crate::route_table::RouteTable;
use crate::routes::{self, fallback};
use crate::state::AppState;

/// Only the app's own scripts and wasm run; inline styles are allowed for
/// Swagger UI and SVG charts (they cannot execute code).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub struct Application {
    port: u16,
    server: Server,
    /// The ledger sequencer's election thread, when enabled; stops with the app.
    sequencer: Option<SequencerHandle>,
    /// The app's pool (tests use it to act exactly as the app does).
    database: Database,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let keys = Keys::load(&settings)?;
        let sealer = std::sync::Arc::new(
            Sealer::new(&keys.seal_ring, Some(settings.seal_key_file.clone()))
                .context("building the seal key ring")?,
        );
        let database = Database::new(settings.database_url.expose(), settings.pool_size);
        // Migrations run as the connecting user on a connection of their
        // own; the pool's connections run as the restricted application role.
        // Migrating seals clinical text an older version stored in clear
        // (`db::migrate`), so it needs the key ring.
        let url = settings.database_url.expose().clone();
        let migrate_sealer = sealer.clone();
        let dummy_password_hash = web::block(move || -> anyhow::Result<String> {
            let mut conn = db::connect(&url).context("connecting to PostgreSQL for migrations")?;
            db::run_migrations_sealing(&mut conn, Some(&migrate_sealer))?;
            password::dummy_hash().map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await
        .context("start-up task")??;
        let jwt = JwtKeys::new(keys.jwt_secret.expose(), settings.access_token_ttl_secs);
        let routes = RouteTable::from_spec(&spec());
        let ledger_signer = Arc::new(CheckpointSigner::from_settings(&keys, &settings.ledger)?);
        let sequencer = if settings.ledger.sequencer_enabled {
            let l = &settings.ledger;
            let config = SequencerConfig {
                interval: l.sequencer_interval,
                batch_size: l.batch_size,
                checkpoint_every: l.checkpoint_every,
                checkpoint_interval: l.checkpoint_interval,
            };
            let url = settings.database_url.expose().clone();
            Some(sequencer::spawn(url, ledger_signer.clone(), config)?)
        } else {
            None
        };
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let limiter = RateLimiter::new(settings.rate_limits);
        let state = web::Data::new(AppState {
            limiter,
            db: database.clone(),
            jwt,
            keys,
            sealer,
            settings,
            dummy_password_hash,
            routes,
            ledger_signer,
        });
        consent_expiry::spawn(state.clone(), state.settings.ledger.consent_expiry_interval);
        if state.settings.ledger.sequencer_enabled {
            crate::log::push::spawn(state.db.clone(), state.settings.ledger.witnesses.clone());
        }
        crate::idempotency::spawn_sweeper(state.db.clone());
        auth::guard::spawn_sweeper(
            state.db.clone(),
            state.settings.guard.window,
            std::time::Duration::from_secs(10 * 60),
        );
        let server = HttpServer::new(move || build_app(state.clone()))
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            sequencer,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool the app's requests use (its connections run as the
    /// application role).
    pub fn database(&self) -> Database {
        self.database.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        drop(self.sequencer);
        result
    }
}

/// The app for one worker: routes (collected into the spec as they are
/// registered), Swagger UI, extractor error handling, headers, fallback.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state)
        .configure(routes::configure)
        .split_for_parts();
    app.service(SwaggerUi::new("/docs/{_:.*}").url(
        "/api-docs/openapi.json",
        crate::openapi::with_common_responses(spec),
    ))
    .configure(routes::extractor_config)
    .configure(crate::log::configure)
    .service(web::scope("/fhir/R4").configure(routes::fhir_r4::configure))
    .default_service(web::to(fallback::not_matched))
    .wrap(actix_web::middleware::from_fn(crate::idempotency::capture))
    .wrap(actix_web::middleware::from_fn(
        auth::extractor::authenticate_request,
    ))
    .wrap(
        DefaultHeaders::new()
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "no-referrer")),
    )
    // Outermost: every response, and every log line below, carries the id.
    .wrap(actix_web::middleware::from_fn(crate::request::track))
}

/// The complete OpenAPI document: `openapi::ApiDoc` plus every registered
/// route and the common responses.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    crate::openapi::with_common_responses(spec)
}

/// The document as committed in `openapi/openapi.json`.
pub fn spec_json() -> anyhow::Result<String> {
    let mut text = spec().to_pretty_json()?;
    text.push('\n');
    Ok(text)
}
