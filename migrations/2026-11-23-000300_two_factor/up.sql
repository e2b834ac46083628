-- Two-factor sign-in: one TOTP authenticator per account (its secret sealed
-- with the record-sealing key ring), one-time recovery codes stored as
-- SHA-256 digests, and whether a session passed the second factor.

CREATE TABLE user_totp (
    user_id         UUID PRIMARY KEY REFERENCES users (id),
    key_id          INTEGER NOT NULL,
    nonce           BYTEA NOT NULL CHECK (length(nonce) = 12),
    secret_sealed   BYTEA NOT NULL,
    confirmed_at    TIMESTAMPTZ,
    -- The last time step whose code was accepted; older or equal steps are replays.
    last_used_step  BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
    code_hash       BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),
    user_id         UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at         TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

ALTER TABLE auth_sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT false;
