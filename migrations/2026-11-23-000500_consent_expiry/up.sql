-- When the `consent_expired` ledger event for a grant was written. Expired
-- grants stop working by themselves (every decision compares expires_at with
-- now); this only makes sure each expiry is also on the record, exactly once.
ALTER TABLE consents ADD COLUMN expiry_recorded_at TIMESTAMPTZ;

CREATE INDEX consents_expiry_unrecorded_idx ON consents (expires_at)
    WHERE expires_at IS NOT NULL AND revoked_at IS NULL AND expiry_recorded_at IS NULL;
