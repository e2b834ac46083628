// Diesel table definitions for the migrations in `/migrations`. Keep in step
// with the SQL: columns Diesel never reads (e.g. `ledger_entries.txid`, filled
// by a default) are left out on purpose.

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        role -> Text,
        display_name -> Text,
        password_hash -> Text,
        disabled -> Bool,
        failed_logins -> Int4,
        locked_until -> Nullable<Timestamptz>,
        is_demo -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    auth_sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        mfa -> Bool,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        session_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Int8,
        time -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor_role -> Nullable<Text>,
        action -> Text,
        outcome -> Text,
        patient_id -> Nullable<Uuid>,
        record_id -> Nullable<Uuid>,
        subject_user_id -> Nullable<Uuid>,
        basis_kind -> Nullable<Text>,
        basis_id -> Nullable<Uuid>,
        request_id -> Nullable<Text>,
        source_addr -> Nullable<Text>,
        content_digest -> Nullable<Bytea>,
        prior_digest -> Nullable<Bytea>,
    }
}

diesel::table! {
    ledger_sources (entry_id) {
        entry_id -> Int8,
        source_addr -> Text,
    }
}

diesel::table! {
    ledger_events (seq) {
        seq -> Int8,
        entry_id -> Int8,
        prev_hash -> Bytea,
        leaf_hash -> Bytea,
        integrated_at -> Timestamptz,
    }
}

diesel::table! {
    ledger_nodes (level, idx) {
        level -> Int2,
        idx -> Int8,
        hash -> Bytea,
    }
}

diesel::table! {
    ledger_checkpoints (size) {
        size -> Int8,
        root -> Bytea,
        time -> Timestamptz,
        note -> Text,
    }
}

diesel::table! {
    user_totp (user_id) {
        user_id -> Uuid,
        key_id -> Int4,
        nonce -> Bytea,
        secret_sealed -> Bytea,
        confirmed_at -> Nullable<Timestamptz>,
        last_used_step -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    patients (id) {
        id -> Uuid,
        user_id -> Nullable<Uuid>,
        mrn -> Text,
        full_name -> Text,
        date_of_birth -> Nullable<Date>,
        sex -> Text,
        contact_key_id -> Nullable<Int4>,
        contact_nonce -> Nullable<Bytea>,
        contact_sealed -> Nullable<Bytea>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    clinicians (user_id) {
        user_id -> Uuid,
        department -> Text,
        specialty -> Text,
        licence_number -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    records (id) {
        id -> Uuid,
        patient_id -> Uuid,
        kind -> Text,
        created_by -> Uuid,
        created_at -> Timestamptz,
        current_version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    record_versions (record_id, version) {
        record_id -> Uuid,
        version -> Int4,
        author_id -> Uuid,
        author_role -> Text,
        supersedes -> Nullable<Int4>,
        key_id -> Int4,
        nonce -> Bytea,
        ciphertext -> Bytea,
        created_at -> Timestamptz,
        title_sealed -> Bytea,
        reason_sealed -> Nullable<Bytea>,
    }
}

diesel::table! {
    access_requests (id) {
        id -> Uuid,
        patient_id -> Uuid,
        requester_id -> Uuid,
        access -> Text,
        scope -> Text,
        kinds -> Array<Text>,
        record_ids -> Array<Uuid>,
        duration_hours -> Int4,
        status -> Text,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        decision_note -> Nullable<Text>,
        consent_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        purpose_sealed -> Bytea,
    }
}

diesel::table! {
    consents (id) {
        id -> Uuid,
        patient_id -> Uuid,
        grantee_id -> Uuid,
        access -> Text,
        scope -> Text,
        kinds -> Array<Text>,
        record_ids -> Array<Uuid>,
        granted_by -> Uuid,
        access_request_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Uuid>,
        expiry_recorded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    guardianships (id) {
        id -> Uuid,
        guardian_user_id -> Uuid,
        patient_id -> Uuid,
        relationship -> Text,
        starts_at -> Timestamptz,
        ends_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    emergency_accesses (id) {
        id -> Uuid,
        patient_id -> Uuid,
        doctor_id -> Uuid,
        opened_at -> Timestamptz,
        expires_at -> Timestamptz,
        reviewed_at -> Nullable<Timestamptz>,
        reviewed_by -> Nullable<Uuid>,
        review_note -> Nullable<Text>,
        reason_sealed -> Bytea,
    }
}

diesel::table! {
    idempotency_keys (actor_id, idempotency_key) {
        actor_id -> Uuid,
        idempotency_key -> Text,
        response_status -> Nullable<Int2>,
        key_id -> Nullable<Int4>,
        nonce -> Nullable<Bytea>,
        sealed -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(auth_sessions -> users (user_id));
diesel::joinable!(ledger_events -> ledger_entries (entry_id));
diesel::joinable!(refresh_tokens -> auth_sessions (session_id));
diesel::joinable!(clinicians -> users (user_id));
diesel::joinable!(records -> patients (patient_id));
diesel::joinable!(record_versions -> records (record_id));
diesel::joinable!(consents -> patients (patient_id));
diesel::joinable!(access_requests -> patients (patient_id));
diesel::joinable!(guardianships -> patients (patient_id));
diesel::joinable!(emergency_accesses -> patients (patient_id));
diesel::joinable!(idempotency_keys -> users (actor_id));

diesel::table! {
    credential_throttle (account_key, source) {
        account_key -> Text,
        source -> Text,
        failures -> Int4,
        last_attempt -> Timestamptz,
        blocked_until -> Nullable<Timestamptz>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    auth_sessions,
    refresh_tokens,
    ledger_entries,
    ledger_events,
    ledger_sources,
    ledger_nodes,
    ledger_checkpoints,
    user_totp,
    recovery_codes,
    patients,
    clinicians,
    records,
    record_versions,
    access_requests,
    consents,
    guardianships,
    emergency_accesses,
    idempotency_keys,
    credential_throttle,
);
