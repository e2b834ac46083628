-- Clinical free text at rest is sealed like record bodies: record titles,
-- amendment reasons, access-request purposes and emergency reasons get a
-- sealed column each (layout in api/src/crypto/text.rs: key id, nonce and
-- AES-256-GCM ciphertext in one value, bound to its row).
--
-- SQL cannot seal (the keys live outside the database), so the move is in
-- three steps, all run by `careledger migrate` / server start-up
-- (api/src/db/migrate.rs):
--   1. this migration adds the sealed columns and lets the clear ones be NULL;
--   2. the api seals every clear value it finds into its sealed column and
--      sets the clear one to NULL, in batches, one transaction each — rerun
--      safely after an interruption (it only picks rows still in clear);
--   3. 2026-12-02-000920_drop_clear_texts refuses to run while any clear
--      value remains, then drops the clear columns.
ALTER TABLE record_versions
    ADD COLUMN title_sealed BYTEA,
    ADD COLUMN reason_sealed BYTEA,
    ALTER COLUMN title DROP NOT NULL;
ALTER TABLE access_requests
    ADD COLUMN purpose_sealed BYTEA,
    ALTER COLUMN purpose DROP NOT NULL;
ALTER TABLE emergency_accesses
    ADD COLUMN reason_sealed BYTEA,
    ALTER COLUMN reason DROP NOT NULL;
