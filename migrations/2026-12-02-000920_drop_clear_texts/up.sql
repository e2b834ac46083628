-- Step 3 of sealing the clinical free text (see 2026-12-02-000910): the api
-- has sealed every clear value (api/src/db/migrate.rs runs that just before
-- this migration). Refuse to drop anything that was not moved.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM record_versions
               WHERE title IS NOT NULL OR reason IS NOT NULL OR title_sealed IS NULL)
       OR EXISTS (SELECT 1 FROM access_requests
                  WHERE purpose IS NOT NULL OR purpose_sealed IS NULL)
       OR EXISTS (SELECT 1 FROM emergency_accesses
                  WHERE reason IS NOT NULL OR reason_sealed IS NULL) THEN
        RAISE EXCEPTION 'careledger: clinical text is still in clear; run `careledger migrate` with the seal key ring to seal it first';
    END IF;
END;
$$;

ALTER TABLE record_versions
    DROP COLUMN title,
    DROP COLUMN reason,
    ALTER COLUMN title_sealed SET NOT NULL;
-- The current title is the current version's (sealed there).
ALTER TABLE records DROP COLUMN title;
ALTER TABLE access_requests
    DROP COLUMN purpose,
    ALTER COLUMN purpose_sealed SET NOT NULL;
ALTER TABLE emergency_accesses
    DROP COLUMN reason,
    ALTER COLUMN reason_sealed SET NOT NULL;
