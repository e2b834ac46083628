//! The public log: what anyone may fetch without an account, in the C2SP
//! formats that monitors, witnesses and Go's `sumdb` packages speak.
//!
//! - `GET /log/checkpoint`: the latest *published* checkpoint as a C2SP
//!   signed note (`text/plain; charset=utf-8`): the log's signature plus the
//!   witness cosignatures collected for it. With witnesses configured, a
//!   checkpoint counts as published once `quorum` of them cosigned it
//!   ([`published`]); without, every signed checkpoint is published.
//! - `GET /log/tile/<L>/<N>[.p/<W>]`: C2SP tlog-tiles hash tiles, read from
//!   the stored perfect subtrees ([`tiles`]).
//!
//! # Why no entry bundles (`/log/tile/entries/...`)
//! An entry is a canonical event: who acted on which patient's chart, when,
//! from where. Publishing it (or a keyed commitment in its place) gives a
//! witness nothing: witnesses and monitors check append-only growth, which
//! needs only checkpoints and hash tiles. Anyone entitled to an event (the
//! patient, their guardian, the actor, an admin) gets it with its leaf hash
//! through the authenticated API or a receipt and proves its inclusion
//! against these public tiles. The leaf hashes the level-0 tiles publish
//! reveal nothing a dictionary could recover: every event's canonical bytes
//! include a random (UUID v4) request id and a microsecond timestamp besides
//! the ids (`api::request`), so guessing "did X open Y's chart" means
//! guessing 122 random bits. So `entries/` answers 404 with this reason; a
//! monitor that must see contents is an auditor with an admin account.
//!
//! These routes are deliberately outside the OpenAPI document (they are not
//! JSON, and their contract is the C2SP specs); they never need a token,
//! never write, and publish only signed notes and hashes.
//! [`push`] sends each new checkpoint to the configured witnesses and
//! stores their cosignatures; [`settings`] reads that configuration.

pub mod policy_cli;
pub mod published;
pub mod push;
pub mod receipt;
pub mod receipt_cli;
pub mod settings;
pub mod tiles;

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::state::AppState;

/// Registers the public log routes (plain actix, outside the spec).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/log/checkpoint", web::get().to(checkpoint))
        .route("/log/tile/{tail:.*}", web::get().to(tile));
}

async fn checkpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let witnesses = state.settings.ledger.witnesses.clone();
    let note = state
        .db
        .autocommit(move |conn| published::latest(conn, &witnesses))
        .await?
        .ok_or(ApiError::NotFound("no checkpoint has been published yet"))?;
    Ok(HttpResponse::Ok()
        .insert_header(ContentType(mime_text()))
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(2),
        ]))
        .body(note))
}

async fn tile(
    state: web::Data<AppState>,
    tail: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tail = tail.into_inner();
    if tail == "entries" || tail.starts_with("entries/") {
        return Err(ApiError::NotFound(
            "entry bundles are not published: entries concern patients; \
             fetch your own events with their proofs through the API",
        ));
    }
    let id = shared::ledger::tiles::TileId::parse(&tail)
        .map_err(|e| ApiError::BadRequest(format!("tile path: {e}")))?;
    let bytes = state
        .db
        .autocommit(move |conn| tiles::read(conn, &id))
        .await?
        .ok_or(ApiError::NotFound("no such tile (yet)"))?;
    // A tile's content is fixed by its path (a partial tile of width W
    // never changes either), so every served tile is immutable.
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".into(), None),
        ]))
        .body(bytes))
}

fn mime_text() -> actix_web::mime::Mime {
    actix_web::mime::TEXT_PLAIN_UTF_8
}
