DROP INDEX IF EXISTS consents_expiry_unrecorded_idx;
ALTER TABLE consents DROP COLUMN IF EXISTS expiry_recorded_at;
