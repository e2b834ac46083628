-- Accounts, sign-in sessions and the first shape of the ledger's entry table.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE CHECK (username = lower(username) AND length(username) BETWEEN 3 AND 32),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'nurse', 'patient')),
    display_name    TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    is_demo         BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX users_role_idx ON users (role, username);

-- One session per sign-in; it is the refresh-token family. Access tokens carry
-- its id, so revoking it ends the access token at once too.
CREATE TABLE auth_sessions (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoked_reason  TEXT CHECK (revoked_reason IN ('logout', 'reuse', 'password_changed', 'disabled'))
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

-- Only SHA-256 digests of refresh tokens are stored.
CREATE TABLE refresh_tokens (
    token_hash      BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id      UUID NOT NULL REFERENCES auth_sessions (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Events as their actions write them, in the action's own transaction. The
-- sequencer orders them by (txid, id) once every older transaction has ended.
CREATE TABLE ledger_entries (
    id              BIGSERIAL PRIMARY KEY,
    txid            XID8 NOT NULL DEFAULT pg_current_xact_id(),
    time            TIMESTAMPTZ NOT NULL,
    actor_id        UUID,
    actor_role      TEXT CHECK (actor_role IN ('admin', 'doctor', 'nurse', 'patient')),
    action          TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    patient_id      UUID,
    record_id       UUID,
    subject_user_id UUID,
    basis_kind      TEXT,
    basis_id        UUID,
    request_id      TEXT,
    source_addr     TEXT,
    content_digest  BYTEA CHECK (length(content_digest) = 32),
    prior_digest    BYTEA CHECK (length(prior_digest) = 32)
);
CREATE INDEX ledger_entries_txid_idx ON ledger_entries (txid, id);
CREATE INDEX ledger_entries_patient_idx ON ledger_entries (patient_id, id);
CREATE INDEX ledger_entries_actor_idx ON ledger_entries (actor_id, id);
