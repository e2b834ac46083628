-- Only possible while nothing was moved yet (the clear columns are still
-- filled): the sealed values cannot be turned back into text in SQL.
ALTER TABLE emergency_accesses DROP COLUMN reason_sealed, ALTER COLUMN reason SET NOT NULL;
ALTER TABLE access_requests DROP COLUMN purpose_sealed, ALTER COLUMN purpose SET NOT NULL;
ALTER TABLE record_versions DROP COLUMN reason_sealed, DROP COLUMN title_sealed,
    ALTER COLUMN title SET NOT NULL;
