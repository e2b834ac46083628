-- The clear columns come back empty: their text is only in the sealed
-- columns now, and SQL cannot open them.
ALTER TABLE emergency_accesses ADD COLUMN reason TEXT, ALTER COLUMN reason_sealed DROP NOT NULL;
ALTER TABLE access_requests ADD COLUMN purpose TEXT, ALTER COLUMN purpose_sealed DROP NOT NULL;
ALTER TABLE records ADD COLUMN title TEXT;
ALTER TABLE record_versions ADD COLUMN reason TEXT, ADD COLUMN title TEXT,
    ALTER COLUMN title_sealed DROP NOT NULL;
