//! Idempotency keys: a client that sends `Idempotency-Key: <key>` with a
//! write may send the same request again — after a timeout, a dropped
//! connection, a 503 `commit_outcome_unknown`, a failover — and the change
//! happens once.
//!
//! - The first request with a key claims it inside the write's own
//!   transaction (`INSERT … ON CONFLICT DO NOTHING` on the primary key
//!   `(actor_id, idempotency_key)`), does the work, and stores its status
//!   and body in the same transaction, before COMMIT. A key is therefore
//!   stored if and only if the change is: a lost COMMIT reply is resolved
//!   by the retry.
//! - A retry with the same key and the same request (method, path and body)
//!   gets the stored status and body back, with `Idempotent-Replayed: true`,
//!   without doing the work again and without a second ledger event.
//! - A concurrent duplicate blocks on the unique index until the first
//!   request's transaction ends: it then replays (committed) or does the
//!   work itself (rolled back).
//! - The same key with a different request answers 422
//!   `idempotency_key_reused`.
//! - Only successful answers are stored. A request that failed changed
//!   nothing, its claim rolled back with it, and its key may be used again.
//! - Keys are scoped to the signed-in caller (another caller's identical
//!   key is a different key) and kept at least [`KEEP_FOR`]; [`sweep`]
//!   deletes older ones, and an expired key is claimed afresh.
//!
//! Stored answers can carry clinical text (a created record comes back with
//! its body), so the answer — and the digest of the request, derived from
//! clinical text too — are sealed like record bodies, bound to the caller
//! and key. Only the status code is in clear.
//!
//! A replay skips the access decision: it returns to the same caller an
//! answer they were already given, about a change they made. The caller's
//! session is still checked on every request.
//!
//! Owns: the header's syntax, the request digest, the `idempotency_keys`
//! table. Must never: store an answer outside the change's transaction,
//! store anything in clear but the status, or honour a key on a request
//! whose caller is unknown.

use std::future::{ready, Ready};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, Responder};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::MAX_BODY_BYTES;
use crate::crypto::seal::Aad;
use crate::crypto::Sealer;
use crate::db::schema::idempotency_keys as keys;
use crate::db::{finish_transaction, Database};
use crate::error::ApiError;
use crate::state::AppState;

/// The request header.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header set on a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// How long a key is kept at least (hours).
pub const KEEP_FOR_HOURS: i32 = 24;
/// How long a key is kept at least.
pub const KEEP_FOR: std::time::Duration =
    std::time::Duration::from_secs(KEEP_FOR_HOURS as u64 * 3600);
/// How often expired keys are deleted.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The rule, as told to clients (and in the OpenAPI spec).
pub const KEY_RULE: &str = "1 to 255 characters of A-Z a-z 0-9 - _ . : ~ + / = \
                            (a UUID v4 per user action is a good choice)";

/// A request's key and the digest of what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    key: String,
    digest: [u8; 32],
}

/// Parses the header: one value, [`KEY_RULE`].
pub fn parse_key(value: &HeaderValue) -> Result<String, ApiError> {
    let bad = || ApiError::BadRequest(format!("Idempotency-Key must be {KEY_RULE}"));
    let text = value.to_str().map_err(|_| bad())?;
    let ok = (1..=MAX_KEY_LEN).contains(&text.len())
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b':' | b'~' | b'+' | b'/' | b'=')
        });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(bad())
    }
}

/// SHA-256 over the method, the path with its query and the body bytes.
fn request_digest(method: &Method, path_and_query: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"careledger/idempotent-request/v1\0");
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path_and_query.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().into()
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Middleware: for a write carrying `Idempotency-Key`, checks the key
/// (400 when malformed or repeated), reads the body (413 past the body
/// limit) to digest it, and hands the body on unchanged. Requests without
/// the header pass untouched.
pub async fn capture(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if is_write(req.method()) {
        let mut values = req.headers().get_all(&HEADER);
        if let Some(first) = values.next() {
            if values.next().is_some() {
                return Err(ApiError::BadRequest("send one Idempotency-Key header".into()).into());
            }
            let key = parse_key(first)?;
            let body = read_body(req.take_payload()).await?;
            let path = req
                .uri()
                .path_and_query()
                .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
            let digest = request_digest(req.method(), &path, &body);
            req.extensions_mut().insert(Requested { key, digest });
            req.set_payload(Payload::from(body));
        }
    }
    next.call(req).await
}

async fn read_body(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read request body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Extractor: the request's key (if it sent one) and the sealer that
/// protects stored answers.
#[derive(Clone)]
pub struct Idempotency {
    requested: Option<Requested>,
    sealer: Arc<Sealer>,
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let requested = req.extensions().get::<Requested>().cloned();
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => Ok(Self {
                requested,
                sealer: state.sealer.clone(),
            }),
            None => Err(ApiError::internal("idempotency", "no application state")),
        })
    }
}

/// An answer: made by the request, or replayed from the first one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    pub replayed: bool,
}

impl Reply {
    /// `value` as the JSON body of a `status` answer.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        let body =
            serde_json::to_vec(value).map_err(|e| ApiError::internal("encoding answer", e))?;
        Ok(Self {
            status,
            body: Bytes::from(body),
            replayed: false,
        })
    }
}

impl Responder for Reply {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if self.replayed {
            res.insert_header((REPLAYED, "true"));
        }
        if self.body.is_empty() {
            return res.finish();
        }
        res.insert_header(header::ContentType::json())
            .body(self.body)
    }
}

/// How an idempotent write answers: with `status` and its value as JSON,
/// under the request's key if it sent one.
#[derive(Clone)]
pub struct Answer {
    idempotency: Idempotency,
    status: StatusCode,
}

impl Answer {
    /// The same answer without the key (for an audit that does not write).
    pub fn unkeyed(&self) -> Answer {
        Answer {
            idempotency: Idempotency::none(self.idempotency.sealer.clone()),
            status: self.status,
        }
    }

    /// Inside the write's transaction, first: the stored answer, if the key
    /// was used before (see [`Idempotency::claim`]).
    pub fn claim(&self, conn: &mut PgConnection, actor: Uuid) -> Result<Option<Reply>, ApiError> {
        self.idempotency.claim(conn, actor)
    }

    /// Inside the write's transaction, last: the answer, stored under the key.
    pub fn reply<T: Serialize>(
        &self,
        conn: &mut PgConnection,
        actor: Uuid,
        value: &T,
    ) -> Result<Reply, ApiError> {
        let reply = Reply::json(self.status, value)?;
        self.idempotency.store(conn, actor, &reply)?;
        Ok(reply)
    }
}

/// The `Idempotency-Key` header in the OpenAPI spec of each operation that
/// honours it.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes this write safe to retry: a retry with the same key and the
    /// same request (method, path, body) within 24 hours gets the first
    /// answer back (status and body, with `Idempotent-Replayed: true`)
    /// without the change being made again. The same key with a different
    /// request answers 422 `idempotency_key_reused`. Keys are per signed-in
    /// user; 1 to 255 characters of `A-Za-z0-9-_.:~+/=`, e.g. a UUID v4 per
    /// user action. After 503 `commit_outcome_unknown`, retry with the same
    /// key.
    #[serde(rename = "Idempotency-Key")]
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[A-Za-z0-9_.:~+/=-]{1,255}$"
    )]
    pub idempotency_key: Option<String>,
}

impl Idempotency {
    /// How the write answers: `status` with its value as JSON.
    pub fn answer(self, status: StatusCode) -> Answer {
        Answer {
            idempotency: self,
            status,
        }
    }

    /// No key (tests, internal callers).
    pub fn none(sealer: Arc<Sealer>) -> Self {
        Self {
            requested: None,
            sealer,
        }
    }

    pub fn key(&self) -> Option<&str> {
        self.requested.as_ref().map(|r| r.key.as_str())
    }

    /// Inside the caller's transaction: claims the key for `actor`, or
    /// returns the answer stored for it (422 when it was stored for another
    /// request). Blocks while another transaction holds the same claim.
    pub fn claim(&self, conn: &mut PgConnection, actor: Uuid) -> Result<Option<Reply>, ApiError> {
        let Some(req) = &self.requested else {
            return Ok(None);
        };
        // An expired key is taken over as if new.
        let claimed = diesel::sql_query(format!(
            "INSERT INTO idempotency_keys (actor_id, idempotency_key) VALUES ($1, $2) \
             ON CONFLICT (actor_id, idempotency_key) DO UPDATE \
             SET created_at = now(), response_status = NULL, key_id = NULL, nonce = NULL, sealed = NULL \
             WHERE idempotency_keys.created_at < now() - interval '{KEEP_FOR_HOURS} hours'"
        ))
        .bind::<SqlUuid, _>(actor)
        .bind::<Text, _>(&req.key)
        .execute(conn)?;
        if claimed == 1 {
            return Ok(None);
        }
        let (status, key_id, nonce, sealed) = keys::table
            .filter(keys::actor_id.eq(actor))
            .filter(keys::idempotency_key.eq(&req.key))
            .select((
                keys::response_status,
                keys::key_id,
                keys::nonce,
                keys::sealed,
            ))
            .first::<(Option<i16>, Option<i32>, Option<Vec<u8>>, Option<Vec<u8>>)>(conn)?;
        let (Some(status), Some(key_id), Some(nonce), Some(sealed)) =
            (status, key_id, nonce, sealed)
        else {
            return Err(ApiError::internal(
                "idempotency",
                "a committed key has no answer",
            ));
        };
        let plain = self
            .sealer
            .open(key_id, &nonce, &sealed, &aad(actor, &req.key))
            .map_err(|_| ApiError::SealBroken)?;
        if plain.len() < 32 || plain[..32] != req.digest {
            return Err(ApiError::IdempotencyKeyReused);
        }
        let status = u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal("idempotency", "stored status out of range"))?;
        Ok(Some(Reply {
            status,
            body: Bytes::copy_from_slice(&plain[32..]),
            replayed: true,
        }))
    }

    /// Inside the caller's transaction, after the work: stores `reply` for
    /// the key claimed by [`Self::claim`] (nothing without a key).
    pub fn store(
        &self,
        conn: &mut PgConnection,
        actor: Uuid,
        reply: &Reply,
    ) -> Result<(), ApiError> {
        let Some(req) = &self.requested else {
            return Ok(());
        };
        let mut plain = Vec::with_capacity(32 + reply.body.len());
        plain.extend_from_slice(&req.digest);
        plain.extend_from_slice(&reply.body);
        let sealed = self.sealer.seal(&aad(actor, &req.key), &plain)?;
        let stored = diesel::update(
            keys::table
                .filter(keys::actor_id.eq(actor))
                .filter(keys::idempotency_key.eq(&req.key)),
        )
        .set((
            keys::response_status.eq(reply.status.as_u16() as i16),
            keys::key_id.eq(sealed.key_id),
            keys::nonce.eq(sealed.nonce.to_vec()),
            keys::sealed.eq(sealed.ciphertext),
        ))
        .execute(conn)?;
        if stored != 1 {
            return Err(ApiError::internal("idempotency", "the claimed key is gone"));
        }
        Ok(())
    }

    /// Within an open transaction: claim, then `work` and store its answer
    /// — or the stored answer without running `work`. On an error the claim
    /// is withdrawn, whatever happens to the transaction.
    pub fn within<F>(
        &self,
        conn: &mut PgConnection,
        actor: Uuid,
        work: F,
    ) -> Result<Reply, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<Reply, ApiError>,
    {
        if let Some(replay) = self.claim(conn, actor)? {
            return Ok(replay);
        }
        match work(conn) {
            Ok(reply) => {
                self.store(conn, actor, &reply)?;
                Ok(reply)
            }
            Err(error) => {
                self.withdraw(conn, actor);
                Err(error)
            }
        }
    }

    /// Deletes this request's claim (its work failed): a transaction that
    /// commits anyway (to keep a refusal's audit event) keeps no key.
    /// If the DELETE fails, the transaction is aborted (or its connection
    /// gone) and cannot commit: the claim goes with it.
    fn withdraw(&self, conn: &mut PgConnection, actor: Uuid) {
        let Some(req) = &self.requested else {
            return;
        };
        let withdrawn = diesel::delete(
            keys::table
                .filter(keys::actor_id.eq(actor))
                .filter(keys::idempotency_key.eq(&req.key))
                .filter(keys::response_status.is_null()),
        )
        .execute(conn);
        if let Err(e) = withdrawn {
            tracing::debug!(error = %e, "idempotency claim left to the rollback");
        }
    }
}

fn aad(actor: Uuid, key: &str) -> Aad {
    Aad::IdempotentAnswer {
        actor_id: actor,
        key_digest: Sha256::digest(key.as_bytes()).into(),
    }
}

/// Deletes keys older than [`KEEP_FOR`]; returns how many.
pub fn sweep(conn: &mut PgConnection) -> Result<usize, ApiError> {
    Ok(diesel::sql_query(format!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - interval '{KEEP_FOR_HOURS} hours'"
    ))
    .execute(conn)?)
}

/// Runs [`sweep`] every [`SWEEP_EVERY`].
pub fn spawn_sweeper(db: Database) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(SWEEP_EVERY).await;
            match db.run(sweep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired idempotency keys deleted"),
                Err(e) => tracing::warn!(error = %e, "deleting expired idempotency keys failed"),
            }
        }
    });
}

impl Database {
    /// [`Database::run`] honouring the request's `Idempotency-Key` for
    /// `actor`: `work` answers `status` with its value as JSON, and a retry
    /// gets that answer back without `work` running again.
    pub async fn run_idempotent<T, F>(
        &self,
        idempotency: Idempotency,
        actor: Uuid,
        status: StatusCode,
        work: F,
    ) -> Result<Reply, ApiError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
        T: Serialize,
    {
        self.in_transaction(move |conn| {
            let result = idempotency.within(conn, actor, |c| Reply::json(status, &work(c)?));
            finish_transaction(conn, result)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_of_a_safe_charset() {
        let parse = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap());
        for good in [
            "a",
            "2f1c9a3e-6a4b-4c1e-9d59-1b2f0c7e5a10",
            "b64+/=",
            "x:y.z~_-",
            &"k".repeat(MAX_KEY_LEN),
        ] {
            assert_eq!(parse(good).unwrap(), good);
        }
        for bad in [
            "",
            "has space",
            "semi;colon",
            "quote\"",
            &"k".repeat(MAX_KEY_LEN + 1),
        ] {
            assert!(
                matches!(parse(bad), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(parse_key(&latin1).is_err());
    }

    #[test]
    fn the_digest_covers_method_path_and_body() {
        let base = request_digest(&Method::POST, "/api/v1/x", b"{}");
        assert_eq!(base, request_digest(&Method::POST, "/api/v1/x", b"{}"));
        assert_ne!(base, request_digest(&Method::PATCH, "/api/v1/x", b"{}"));
        assert_ne!(base, request_digest(&Method::POST, "/api/v1/y", b"{}"));
        assert_ne!(base, request_digest(&Method::POST, "/api/v1/x", b"{ }"));
        // The separator keeps path and body apart.
        assert_ne!(
            request_digest(&Method::POST, "/a", b"b"),
            request_digest(&Method::POST, "/ab", b"")
        );
    }
}
