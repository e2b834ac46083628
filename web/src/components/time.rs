//! Dates and times shown in the user's local time zone (the api speaks UTC).

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

/// e.g. "23/11/2026, 18:05" in the browser's locale and time zone.
pub fn local(dt: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(dt.timestamp_millis() as f64));
    let opts = js_sys::Object::new();
    for (k, v) in [
        ("year", "numeric"),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
    ] {
        let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
    }
    date.to_locale_string("default", &opts).into()
}

/// Only the time of day ("18:05"), local.
pub fn local_time(dt: &DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(dt.timestamp_millis() as f64));
    let opts = js_sys::Object::new();
    for (k, v) in [("hour", "2-digit"), ("minute", "2-digit")] {
        let _ = js_sys::Reflect::set(&opts, &k.into(), &v.into());
    }
    date.to_locale_time_string_with_options("default", &opts)
        .into()
}

/// `local` for an optional time, with a dash for none.
pub fn local_opt(dt: Option<&DateTime<Utc>>) -> String {
    dt.map(local).unwrap_or_else(|| "—".into())
}

/// The end (23:59:59 local time) of a `YYYY-MM-DD` day typed into a date
/// input, or `None` when it is not a date.
pub fn end_of_local_day(text: &str) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let js = js_sys::Date::new_with_year_month_day_hr_min_sec(
        date.year() as u32,
        date.month0() as i32,
        date.day() as i32,
        23,
        59,
        59,
    );
    DateTime::from_timestamp_millis(js.get_time() as i64)
}

/// The start (00:00 local time) of a `YYYY-MM-DD` day typed into a date
/// input, or `None` when it is not a date.
pub fn start_of_local_day(text: &str) -> Option<DateTime<Utc>> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let js = js_sys::Date::new_with_year_month_day(
        date.year() as u32,
        date.month0() as i32,
        date.day() as i32,
    );
    DateTime::from_timestamp_millis(js.get_time() as i64)
}

/// Milliseconds since the epoch, now, by the browser's clock.
pub fn now_millis() -> i64 {
    js_sys::Date::now() as i64
}

/// "12:05" style remaining time (or "expired") until `until`.
pub fn remaining(until: &DateTime<Utc>, now_ms: i64) -> String {
    let secs = (until.timestamp_millis() - now_ms) / 1000;
    if secs <= 0 {
        return "expired".into();
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn remaining_counts_down_and_stops_at_expired() {
        let until = Utc.timestamp_opt(10_000, 0).single();
        let until = until.as_ref().map(|u| remaining(u, 10_000_000 - 65_000));
        assert_eq!(until.as_deref(), Some("01:05"));
        let past = Utc.timestamp_opt(10, 0).single();
        assert_eq!(
            past.map(|p| remaining(&p, 20_000)).as_deref(),
            Some("expired")
        );
    }
}
