//! Presentational pieces shared by the pages: form fields, status lines,
//! badges, tables helpers, dates, charts and the app shell.

pub mod field;
pub mod pager;
pub mod shell;
pub mod status;
pub mod time;
