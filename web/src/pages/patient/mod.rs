//! Screens of a patient (and of a guardian, for each dependent's chart).

pub mod access_log;
pub mod chart;
pub mod consents;
pub mod requests;
