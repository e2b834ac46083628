-- Witness cosignatures the log collected for its signed checkpoints: one
-- C2SP tlog-cosignature line per (checkpoint size, witness). Public data (a
-- witness signs only the checkpoint body), insert-only like every ledger
-- table: the api may read and add, never change or remove.
CREATE TABLE ledger_cosignatures (
    size BIGINT NOT NULL REFERENCES ledger_checkpoints (size),
    witness TEXT NOT NULL,
    line TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (size, witness)
);

CREATE TRIGGER ledger_cosignatures_insert_only BEFORE UPDATE OR DELETE ON ledger_cosignatures
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_cosignatures_no_truncate BEFORE TRUNCATE ON ledger_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

GRANT SELECT, INSERT ON ledger_cosignatures TO careledger_app;
