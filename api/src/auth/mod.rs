//! Authentication: password hashing, access tokens, refresh-token sessions,
//! the credential guard every password/TOTP/recovery-code check goes
//! through (`guard`, rules in `throttle`), sign-in, and the `AuthUser` extractor every protected handler
//! takes. Authorization (who may do what to whose chart) is not decided here.

pub mod account;
pub mod extractor;
pub mod guard;
pub mod jwt;
pub mod login;
pub mod mfa;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod totp;

pub use extractor::{AuthUser, AuthUserPendingMfa};
pub use jwt::JwtKeys;
