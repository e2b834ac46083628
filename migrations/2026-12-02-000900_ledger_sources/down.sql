DROP TABLE ledger_sources;
