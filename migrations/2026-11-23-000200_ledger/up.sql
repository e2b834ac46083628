-- The sequenced ledger: the chain (ledger_events), the Merkle tree's perfect
-- subtrees (ledger_nodes) and signed checkpoints (ledger_checkpoints), plus
-- insert-only enforcement on every ledger table.
--
-- Writers insert into ledger_entries in their own transactions; one elected
-- sequencer integrates committed entries in (txid, id) order into these
-- tables (see api/src/ledger/sequencer.rs). Nothing here is ever updated or
-- deleted by the application.

-- One row per integrated entry: its place in the log and its hashes. seq is
-- contiguous from 0; prev_hash is the leaf hash of seq - 1 (zeros for 0).
CREATE TABLE ledger_events (
    seq             BIGINT PRIMARY KEY CHECK (seq >= 0),
    entry_id        BIGINT NOT NULL UNIQUE REFERENCES ledger_entries (id),
    prev_hash       BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    leaf_hash       BYTEA NOT NULL CHECK (length(leaf_hash) = 32),
    -- Not hashed: when the sequencer integrated the entry (monitoring of the
    -- commit-to-integration delay).
    integrated_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- Every perfect subtree of the RFC 6962 tree: leaves [idx * 2^level,
-- (idx + 1) * 2^level). Level 0 holds the leaf hashes again, so an event row
-- and the tree are two records that must agree. Proofs are served from here.
CREATE TABLE ledger_nodes (
    level           SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx             BIGINT NOT NULL CHECK (idx >= 0),
    hash            BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Signed tree heads. `note` is the C2SP signed note (the only trusted part);
-- size, root and time repeat its body for querying.
CREATE TABLE ledger_checkpoints (
    size            BIGINT PRIMARY KEY CHECK (size >= 0),
    root            BYTEA NOT NULL CHECK (length(root) = 32),
    time            TIMESTAMPTZ NOT NULL,
    note            TEXT NOT NULL
);

CREATE INDEX ledger_entries_action_idx ON ledger_entries (action, id);

-- Insert-only: ordinary triggers refuse UPDATE, DELETE and TRUNCATE for
-- everyone, superusers included (unless they disable triggers, e.g. with
-- session_replication_role = replica — which is what the verifier exists to
-- catch).
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger table % is insert-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_entries_insert_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_events_insert_only BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_nodes_insert_only BEFORE UPDATE OR DELETE ON ledger_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON ledger_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_insert_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The application's role: INSERT and SELECT on the ledger tables, nothing
-- more. Roles are cluster-wide, so create it only once (several databases —
-- and concurrent test templates — run this migration).
DO $$
BEGIN
    CREATE ROLE careledger_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;

GRANT SELECT, INSERT ON ledger_entries, ledger_events, ledger_nodes, ledger_checkpoints
    TO careledger_app;
GRANT USAGE ON SEQUENCE ledger_entries_id_seq TO careledger_app;
