//! Liveness (`/health`) and readiness (`/health/ready`: the database answers).

use actix_web::{get, web, HttpResponse};
use shared::health::HealthStatus;

use crate::state::AppState;

/// Liveness: the process is up and serving.
#[utoipa::path(tag = "health", responses((status = 200, description = "The server is up", body = HealthStatus)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".into(),
    })
}

/// Readiness: the server can reach PostgreSQL.
#[utoipa::path(tag = "health", responses(
    (status = 200, description = "The database answers", body = HealthStatus),
    (status = 503, description = "The database does not answer", body = HealthStatus),
))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.db.ping(std::time::Duration::from_secs(1)).await {
        HttpResponse::Ok().json(HealthStatus {
            status: "ok".into(),
        })
    } else {
        HttpResponse::ServiceUnavailable().json(HealthStatus {
            status: "unavailable".into(),
        })
    }
}
