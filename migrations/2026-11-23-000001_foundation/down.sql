DROP TABLE ledger_entries;
DROP TABLE refresh_tokens;
DROP TABLE auth_sessions;
DROP TABLE users;
