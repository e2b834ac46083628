//! Sign-in, registration and session bodies, plus the input types that parse
//! usernames and passwords (used by the server and by the browser's forms).

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::{Role, UserId};

/// A normalised username: trimmed, lower-case, 3–32 of `a-z 0-9 . _ -`,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let name = raw.trim().to_ascii_lowercase();
        let len = name.chars().count();
        if !(3..=32).contains(&len) {
            return Err(InputError::new(
                "username",
                "username must be 3 to 32 characters",
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(InputError::new(
                "username",
                "username may contain only letters, digits, '.', '_' and '-'",
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InputError::new(
                "username",
                "username must start with a letter or digit",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 12–128 characters (Unicode scalar values).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let len = raw.chars().count();
        if len < Self::MIN_CHARS {
            return Err(InputError::new(
                "password",
                "password must be at least 12 characters",
            ));
        }
        if len > Self::MAX_CHARS {
            return Err(InputError::new(
                "password",
                "password must be at most 128 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// A display name: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(1..=100).contains(&len) {
            return Err(InputError::new(
                "display_name",
                "display name must be 1 to 100 characters",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(InputError::new(
                "display_name",
                "display name must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"username": "dr_smith", "password": "CareLedger-demo-1"})))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The current 6-digit code from the authenticator app, for accounts
    /// with two-factor sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_code: Option<String>,
    /// A one-time recovery code, instead of `totp_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserInfo,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{2,31}\s*$")
    )]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 128))]
    pub password: String,
    /// 1–100 characters after trimming surrounding whitespace, no control
    /// characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000](?:[^\x00-\x1F\x7F-\x9F]{0,98}[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub display_name: String,
    /// Optional; stored on the patient profile created with the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// Optional (`unknown` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<crate::patients::Sex>,
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 128))]
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_is_trimmed_and_lowercased() {
        let name = Username::parse("  Dr_Smith ").map(|u| u.as_str().to_owned());
        assert_eq!(name.as_deref(), Ok("dr_smith"));
    }

    #[test]
    fn username_rejects_bad_characters_and_lengths() {
        for bad in [
            "ab",
            "a b c",
            "drop;table",
            "_lead",
            &"x".repeat(33),
            "名前名前",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(NewPassword::parse("short-pass1").is_err());
        assert!(NewPassword::parse("twelve-chars").is_ok());
        assert!(NewPassword::parse(&"é".repeat(12)).is_ok());
        assert!(NewPassword::parse(&"p".repeat(129)).is_err());
        assert!(NewPassword::parse(&"p".repeat(128)).is_ok());
    }

    #[test]
    fn password_debug_never_prints_the_secret() {
        let pw = NewPassword::parse("very-secret-password").ok();
        assert!(!format!("{pw:?}").contains("very-secret"));
        let req = LoginRequest {
            username: "a".into(),
            password: "hunter2hunter2".into(),
            totp_code: None,
            recovery_code: None,
        };
        assert!(!format!("{req:?}").contains("hunter2"));
    }

    #[test]
    fn display_name_rejects_control_characters() {
        assert!(DisplayName::parse("Dr\u{0}Evil").is_err());
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(" Ada Lovelace ").is_ok());
    }
}
