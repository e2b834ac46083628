//! Building the application: keys, database (migrated), state, routes and the
//! bound HTTP server. Tests call `Application::build` with port 0 and read
//! the port it got.

use std::net::TcpListener;

use actix_web::dev::{Server, Service};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{password, JwtKeys};
use crate::config::Settings;
use crate::crypto::Sealer;
use crate::db::{self, Database};
use crate::keys::Keys;
use crate::openapi::ApiDoc;
use crate::routes::{self, fallback, route_table::RouteTable};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let keys = Keys::load(&settings)?;
        let sealer = std::sync::Arc::new(
            Sealer::new(&keys.seal_ring, Some(settings.seal_key_file.clone()))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        let database = Database::new(settings.database_url.expose(), settings.pool_size);
        let pool = database.pool().clone();
        let dummy_password_hash = web::block(move || -> anyhow::Result<String> {
            let mut conn = pool
                .get()
                .context("connecting to PostgreSQL for migrations")?;
            db::run_migrations(&mut conn)?;
            password::dummy_hash().map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await
        .context("start-up task")??;
        let jwt = JwtKeys::new(keys.jwt_secret.expose(), settings.access_token_ttl_secs);
        let routes = RouteTable::from_spec(&crate::openapi::spec());
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            db: database,
            jwt,
            keys,
            sealer,
            settings,
            dummy_password_hash,
            routes,
        });
        let server = HttpServer::new(move || build_app(state.clone()))
            .listen(listener)?
            .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state)
        .configure(routes::configure)
        .openapi_service(|api| SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", api))
        .into_app()
        .configure(routes::extractor_config)
        .default_service(web::to(fallback::not_matched))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "no-referrer")),
        )
        .wrap_fn(|req, srv| {
            let method = req.method().clone();
            let path = req.path().to_owned();
            let started = std::time::Instant::now();
            let fut = srv.call(req);
            async move {
                let res = fut.await?;
                tracing::info!(
                    %method,
                    %path,
                    status = res.status().as_u16(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "request"
                );
                Ok(res)
            }
        })
}
