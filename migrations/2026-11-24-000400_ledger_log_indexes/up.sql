-- Access-log listing (api/src/ledger/log_query.rs): the events about a chart
-- and those by an actor, newest first in sequencing order, straight from an
-- index. The sequencer integrates entries in (txid, id) order, so these
-- indexes walk a chart's (or actor's) events in seq order and give the
-- sequenced ones a count without joining ledger_events. They replace the
-- (patient_id, id) and (actor_id, id) indexes, which serve every equality
-- lookup these serve.
CREATE INDEX ledger_entries_patient_txid_idx ON ledger_entries (patient_id, txid, id);
CREATE INDEX ledger_entries_actor_txid_idx ON ledger_entries (actor_id, txid, id);
DROP INDEX ledger_entries_patient_idx;
DROP INDEX ledger_entries_actor_idx;
