-- The role careledger_app is cluster-wide and may serve other databases; it
-- is left in place (its grants go with the tables).
REVOKE USAGE ON SEQUENCE ledger_entries_id_seq FROM careledger_app;
DROP TRIGGER ledger_entries_insert_only ON ledger_entries;
DROP TRIGGER ledger_entries_no_truncate ON ledger_entries;
REVOKE SELECT, INSERT ON ledger_entries FROM careledger_app;
DROP INDEX ledger_entries_action_idx;
DROP TABLE ledger_checkpoints;
DROP TABLE ledger_nodes;
DROP TABLE ledger_events;
DROP FUNCTION ledger_refuse_change();
