-- Where a request came from (the peer's IP address) is kept beside the
-- ledger, not in it: an event's leaf is immutable and public to everyone
-- the event concerns (a patient sees the staff's events about their chart),
-- so an address in the leaf could never be hidden from them nor erased.
-- New entries store source_addr NULL and their address here, keyed by the
-- entry (api/src/ledger/mod.rs writes both in one statement). Admins see it
-- in the event list; nobody else does. Entries written before this change
-- keep the address in their leaf (changing it would break verification).
CREATE TABLE ledger_sources (
    entry_id    BIGINT PRIMARY KEY REFERENCES ledger_entries (id),
    source_addr TEXT NOT NULL CHECK (length(source_addr) BETWEEN 1 AND 100)
);

-- Read and written by the api; rows may be deleted by an operator's
-- retention job (the ledger does not depend on them).
GRANT SELECT, INSERT ON ledger_sources TO careledger_app;
