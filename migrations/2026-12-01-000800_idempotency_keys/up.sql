-- Idempotency keys (api/src/idempotency.rs): a client's `Idempotency-Key`
-- and the answer the first request with it got, stored in the same
-- transaction as the change, so a retry after a lost reply (or a lost
-- COMMIT reply) replays the answer instead of doing the change twice.
--
-- Keys are scoped to the caller (actor_id) and kept at least 24 hours; the
-- api deletes older ones. The answer and the request's digest are sealed
-- (AES-256-GCM, bound to the row, like record bodies): an answer can carry
-- clinical text, and even a digest of a request body must not be left in
-- clear where a dictionary could recover it. The status code is not secret.
CREATE TABLE idempotency_keys (
    actor_id        UUID NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    -- NULL only inside the claiming transaction, before its answer is known.
    response_status SMALLINT CHECK (response_status BETWEEN 100 AND 599),
    key_id          INTEGER,
    nonce           BYTEA CHECK (length(nonce) = 12),
    sealed          BYTEA,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, idempotency_key),
    CHECK ((response_status IS NULL) = (sealed IS NULL)
       AND (sealed IS NULL) = (nonce IS NULL)
       AND (sealed IS NULL) = (key_id IS NULL))
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Claimed (INSERT), answered (UPDATE, same transaction), expired (DELETE).
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO careledger_app;
