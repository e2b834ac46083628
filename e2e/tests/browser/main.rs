//! Browser journeys through the real stack. Each test owns its database,
//! api process and browser, so they run in parallel and in any order.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

mod browser;
mod deploy;
mod stack;

mod admin;
mod clinician;
mod consent;
mod consistency;
mod docs;
mod fhir;
mod lighthouse;
mod pinned;
mod safety;
mod screens;
mod security;
mod shell;
mod tamper;

/// Starts a private stack, or returns from the test when skipping is allowed.
#[macro_export]
macro_rules! stack_or_skip {
    () => {
        match $crate::stack::Stack::start()
            .await
            .expect("the stack starts")
        {
            Some(s) => s,
            None => return,
        }
    };
}
