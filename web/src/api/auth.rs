//! Sign-in, refresh, sign-out and "who am I".

use shared::auth::{LoginRequest, LoginResponse, UserInfo};

use super::client::{self, get, post, post_unit};
use super::ApiError;

/// Signs in; the access token is kept in memory, the refresh token arrives as
/// an HttpOnly cookie. `code` is the second factor for accounts that use one:
/// six digits are an authenticator code, anything else a recovery code.
pub async fn login(
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<UserInfo, ApiError> {
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    let is_totp = |c: &&str| c.len() == 6 && c.chars().all(|ch| ch.is_ascii_digit());
    let body = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
        totp_code: code.filter(is_totp).map(str::to_owned),
        recovery_code: code.filter(|c| !is_totp(c)).map(str::to_owned),
    };
    let resp: LoginResponse = post("/api/v1/auth/login", &body).await?;
    client::set_token(Some(resp.access_token));
    set_session_hint(true);
    Ok(resp.user)
}

const HINT_KEY: &str = "careledger.signed_in";

/// Whether this browser signed in and has not signed out since (a hint, not
/// a secret: the refresh cookie itself is HttpOnly and decides).
pub fn may_have_session() -> bool {
    storage()
        .and_then(|s| s.get_item(HINT_KEY).ok().flatten())
        .is_some()
}

/// Notes (or forgets) that this browser holds a session.
pub fn set_session_hint(on: bool) {
    if let Some(s) = storage() {
        let _ = if on {
            s.set_item(HINT_KEY, "1")
        } else {
            s.remove_item(HINT_KEY)
        };
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Restores a session from the refresh cookie (after a reload or deep link).
pub async fn restore() -> Result<UserInfo, ApiError> {
    let result = client::refresh().await.map(|r| r.user);
    set_session_hint(result.is_ok());
    result
}

/// Ends the session on the server and forgets the token.
pub async fn logout() -> Result<(), ApiError> {
    let result = post_unit::<()>("/api/v1/auth/logout", None).await;
    client::set_token(None);
    set_session_hint(false);
    result
}

pub async fn me() -> Result<UserInfo, ApiError> {
    get("/api/v1/auth/me").await
}
