-- Clinical data: patient and clinician profiles, typed records with
-- immutable sealed versions, consents, access requests, guardianships and
-- emergency access. Record bodies and patient contact details are sealed
-- (AES-256-GCM); the key id and nonce sit next to each ciphertext.

CREATE SEQUENCE patient_mrn_seq START 100001;

CREATE TABLE patients (
    id              UUID PRIMARY KEY,
    user_id         UUID UNIQUE REFERENCES users (id),
    mrn             TEXT NOT NULL UNIQUE,
    full_name       TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
    date_of_birth   DATE,
    sex             TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    contact_key_id  INTEGER,
    contact_nonce   BYTEA CHECK (length(contact_nonce) = 12),
    contact_sealed  BYTEA,
    created_by      UUID REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((contact_sealed IS NULL) = (contact_nonce IS NULL) AND (contact_sealed IS NULL) = (contact_key_id IS NULL))
);
CREATE INDEX patients_name_idx ON patients (lower(full_name), id);

CREATE TABLE clinicians (
    user_id         UUID PRIMARY KEY REFERENCES users (id),
    department      TEXT NOT NULL CHECK (length(department) BETWEEN 1 AND 100),
    specialty       TEXT NOT NULL CHECK (length(specialty) BETWEEN 1 AND 100),
    licence_number  TEXT NOT NULL UNIQUE CHECK (length(licence_number) BETWEEN 1 AND 50),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE records (
    id              UUID PRIMARY KEY,
    patient_id      UUID NOT NULL REFERENCES patients (id),
    kind            TEXT NOT NULL CHECK (kind IN ('diagnosis', 'prescription', 'lab_result', 'visit_note',
                                                  'treatment_update', 'allergy', 'vitals', 'document')),
    created_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    current_version INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX records_patient_idx ON records (patient_id, created_at DESC, id);

-- Versions are never changed, except that key rotation replaces
-- (key_id, nonce, ciphertext) with a re-seal of the same plaintext.
CREATE TABLE record_versions (
    record_id       UUID NOT NULL REFERENCES records (id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    author_id       UUID NOT NULL REFERENCES users (id),
    author_role     TEXT NOT NULL CHECK (author_role IN ('admin', 'doctor', 'nurse', 'patient')),
    reason          TEXT,
    supersedes      INTEGER,
    key_id          INTEGER NOT NULL,
    nonce           BYTEA NOT NULL CHECK (length(nonce) = 12),
    ciphertext      BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, version),
    CHECK ((version = 1) = (supersedes IS NULL)),
    CHECK (supersedes IS NULL OR supersedes = version - 1)
);
CREATE INDEX record_versions_key_idx ON record_versions (key_id);

CREATE TABLE access_requests (
    id              UUID PRIMARY KEY,
    patient_id      UUID NOT NULL REFERENCES patients (id),
    requester_id    UUID NOT NULL REFERENCES users (id),
    purpose         TEXT NOT NULL,
    access          TEXT NOT NULL CHECK (access IN ('read', 'read_write')),
    scope           TEXT NOT NULL CHECK (scope IN ('chart', 'kinds', 'records')),
    kinds           TEXT[] NOT NULL DEFAULT '{}',
    record_ids      UUID[] NOT NULL DEFAULT '{}',
    duration_hours  INTEGER NOT NULL CHECK (duration_hours BETWEEN 1 AND 8760),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
    decided_by      UUID REFERENCES users (id),
    decided_at      TIMESTAMPTZ,
    decision_note   TEXT,
    consent_id      UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX access_requests_patient_idx ON access_requests (patient_id, created_at DESC);
CREATE INDEX access_requests_requester_idx ON access_requests (requester_id, created_at DESC);

CREATE TABLE consents (
    id              UUID PRIMARY KEY,
    patient_id      UUID NOT NULL REFERENCES patients (id),
    grantee_id      UUID NOT NULL REFERENCES users (id),
    access          TEXT NOT NULL CHECK (access IN ('read', 'read_write')),
    scope           TEXT NOT NULL CHECK (scope IN ('chart', 'kinds', 'records')),
    kinds           TEXT[] NOT NULL DEFAULT '{}',
    record_ids      UUID[] NOT NULL DEFAULT '{}',
    granted_by      UUID NOT NULL REFERENCES users (id),
    access_request_id UUID REFERENCES access_requests (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    revoked_by      UUID REFERENCES users (id)
);
CREATE INDEX consents_grantee_idx ON consents (grantee_id, patient_id);
CREATE INDEX consents_patient_idx ON consents (patient_id, created_at DESC);

CREATE TABLE guardianships (
    id              UUID PRIMARY KEY,
    guardian_user_id UUID NOT NULL REFERENCES users (id),
    patient_id      UUID NOT NULL REFERENCES patients (id),
    relationship    TEXT NOT NULL CHECK (length(relationship) BETWEEN 1 AND 100),
    starts_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    ends_at         TIMESTAMPTZ,
    created_by      UUID REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX guardianships_guardian_idx ON guardianships (guardian_user_id, patient_id);

CREATE TABLE emergency_accesses (
    id              UUID PRIMARY KEY,
    patient_id      UUID NOT NULL REFERENCES patients (id),
    doctor_id       UUID NOT NULL REFERENCES users (id),
    reason          TEXT NOT NULL CHECK (length(reason) >= 10),
    opened_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    reviewed_at     TIMESTAMPTZ,
    reviewed_by     UUID REFERENCES users (id),
    review_note     TEXT,
    CHECK (expires_at > opened_at AND expires_at <= opened_at + interval '60 minutes')
);
CREATE INDEX emergency_doctor_idx ON emergency_accesses (doctor_id, patient_id);
CREATE INDEX emergency_patient_idx ON emergency_accesses (patient_id, opened_at DESC);
