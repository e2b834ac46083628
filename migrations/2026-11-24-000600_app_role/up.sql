-- The api runs as careledger_app: every pooled connection, the ledger
-- sequencer and the maintenance commands `SET ROLE careledger_app` right
-- after connecting (api/src/db/mod.rs); only migrations run as the owner.
-- This grants the role what the application does and nothing more. On the
-- ledger tables that is SELECT and INSERT (granted in 000200); UPDATE,
-- DELETE and TRUNCATE are never granted, so a compromised api cannot rewrite
-- history even with the triggers disabled. A table added later needs its own
-- grant (until then the api is refused, which fails loudly in every test).

-- Ordinary tables: read, create and change rows. Rows are deleted only when
-- two-factor sign-in is reset or its recovery codes are replaced.
GRANT SELECT, INSERT, UPDATE ON
    users, auth_sessions, refresh_tokens,
    patients, clinicians, records, record_versions,
    access_requests, consents, guardianships, emergency_accesses,
    user_totp, recovery_codes
    TO careledger_app;
GRANT DELETE ON user_totp, recovery_codes TO careledger_app;
GRANT USAGE ON SEQUENCE patient_mrn_seq TO careledger_app;

-- Explicitly nothing else on the ledger (these are no-ops today; they keep a
-- stray grant from surviving this migration).
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON ledger_entries, ledger_events, ledger_nodes, ledger_checkpoints
    FROM careledger_app;

-- Roles are cluster-wide, so several databases (and concurrent test
-- databases) run this; each grant is made only when missing, and a
-- concurrent grant of the same membership counts as done.
--
-- * The connecting user must be a member of careledger_app to SET ROLE to it
--   (a superuser always may). Needs CREATEROLE when the owner is not a
--   superuser.
-- * The sequencer finds the oldest running transaction of this database in
--   pg_stat_activity.backend_xid, which PostgreSQL shows only for sessions of
--   roles one has the privileges of, or with pg_read_all_stats. Without it the
--   sequencer (as careledger_app) would not see the api's own transactions.
DO $$
DECLARE
    wanted RECORD;
BEGIN
    FOR wanted IN
        SELECT 'careledger_app' AS granted, current_user::text AS member
        UNION ALL SELECT 'pg_read_all_stats', 'careledger_app'
    LOOP
        IF NOT pg_has_role(wanted.member, wanted.granted, 'MEMBER') THEN
            BEGIN
                EXECUTE format('GRANT %I TO %I', wanted.granted, wanted.member);
            EXCEPTION WHEN OTHERS THEN
                IF NOT pg_has_role(wanted.member, wanted.granted, 'MEMBER') THEN
                    RAISE EXCEPTION 'careledger: cannot GRANT % TO % (%); a superuser must run it once',
                        wanted.granted, wanted.member, SQLERRM;
                END IF;
            END;
        END IF;
    END LOOP;
END;
$$;
