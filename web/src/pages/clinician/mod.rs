//! Screens of doctors and nurses.

pub mod find_patient;
pub mod patient_view;
pub mod patients;
