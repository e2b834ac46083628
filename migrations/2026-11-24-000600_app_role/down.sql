-- Memberships of the cluster-wide roles stay (other databases may use them).
REVOKE DELETE ON user_totp, recovery_codes FROM careledger_app;
REVOKE SELECT, INSERT, UPDATE ON
    users, auth_sessions, refresh_tokens,
    patients, clinicians, records, record_versions,
    access_requests, consents, guardianships, emergency_accesses,
    user_totp, recovery_codes
    FROM careledger_app;
REVOKE USAGE ON SEQUENCE patient_mrn_seq FROM careledger_app;
