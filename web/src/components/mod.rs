//! Presentational pieces shared by the pages: form fields, status lines,
//! badges, record cards and forms, dates, charts and the app shell.

pub mod access_groups;
pub mod bar_chart;
pub mod chart_summary;
pub mod chart_switcher;
pub mod confirm;
pub mod countdown;
pub mod download;
pub mod events;
pub mod fhir_download;
pub mod field;
pub mod idle_lock;
pub mod kind_fields;
pub mod pager;
pub mod record_form;
pub mod records;
pub mod scope;
pub mod shell;
pub mod status;
pub mod time;
pub mod trust_panel;
pub mod verify_badge;
