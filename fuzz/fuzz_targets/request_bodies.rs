//! Arbitrary bytes as every request body type the api parses, and the input
//! parsers behind them: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::auth::{DisplayName, LoginRequest, NewPassword, RegisterRequest, Username};
use shared::users::{CreateUserRequest, UpdateUserRequest};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<LoginRequest>(data);
    let _ = serde_json::from_slice::<RegisterRequest>(data);
    let _ = serde_json::from_slice::<CreateUserRequest>(data);
    let _ = serde_json::from_slice::<UpdateUserRequest>(data);
    let _ = serde_json::from_slice::<shared::mfa::TotpCodeRequest>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Username::parse(text);
        let _ = NewPassword::parse(text);
        let _ = DisplayName::parse(text);
    }
});
