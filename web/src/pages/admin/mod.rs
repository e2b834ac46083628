//! Screens of administrators: accounts, oversight and the ledger.

pub mod access;
pub mod demographics;
pub mod emergency;
mod guardian_form;
pub mod ledger;
pub mod sealed;
mod user_form;
pub mod users;
