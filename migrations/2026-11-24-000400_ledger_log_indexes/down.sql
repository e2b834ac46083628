CREATE INDEX ledger_entries_patient_idx ON ledger_entries (patient_id, id);
CREATE INDEX ledger_entries_actor_idx ON ledger_entries (actor_id, id);
DROP INDEX ledger_entries_patient_txid_idx;
DROP INDEX ledger_entries_actor_txid_idx;
