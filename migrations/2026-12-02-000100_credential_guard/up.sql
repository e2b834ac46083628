-- The credential guard (api/src/auth/guard.rs): failed password, TOTP and
-- recovery-code checks, counted per (account name, source) and per account
-- name (source '*'), shared by every api process.
--
-- Keyed by the normalised account *name*, not the user id, so a name with no
-- account is throttled exactly like one with an account: the guard answers
-- before anyone looks the name up, and the answer cannot tell them apart.
-- `source` is the client address as the api sees it (IPv6 as its /64).
CREATE TABLE credential_throttle (
    account_key   TEXT NOT NULL CHECK (length(account_key) BETWEEN 1 AND 256),
    source        TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),
    -- Attempts counted in the current window (an attempt counts when it is
    -- admitted, before its check; a success gives it back).
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_attempt  TIMESTAMPTZ NOT NULL DEFAULT now(),
    blocked_until TIMESTAMPTZ,
    PRIMARY KEY (account_key, source)
);
CREATE INDEX credential_throttle_last_attempt_idx ON credential_throttle (last_attempt);

-- users.failed_logins is no longer used; users.locked_until now mirrors the
-- account-wide row's block (what the admin's user list shows).
GRANT SELECT, INSERT, UPDATE, DELETE ON credential_throttle TO careledger_app;
