ALTER TABLE auth_sessions DROP COLUMN mfa;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
