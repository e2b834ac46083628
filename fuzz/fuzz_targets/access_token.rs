//! Arbitrary bytes as a bearer token: verification must never panic, and
//! nothing but a token we signed may verify.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = api::auth::JwtKeys::new(&[42u8; 32], 900);
    if let Ok(token) = std::str::from_utf8(data) {
        assert!(keys.verify(token).is_err(), "an unsigned input verified");
    }
});
