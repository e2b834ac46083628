//! Clinical reading of a chart's records, free of any UI: which diagnoses
//! are active problems, which vitals are out of the usual adult range
//! (flagged for a clinician's eye, not a diagnosis), and a patient's age.
//! The ranges are the common adult early-warning bounds (NEWS2-like):
//! blood pressure ≥ 140/90 or < 90 systolic, temperature ≥ 38.0 °C or
//! < 35.0 °C, SpO₂ ≤ 95 %, heart rate > 100 or < 50, respiratory rate > 20
//! or < 12.

use chrono::{Datelike, NaiveDate};
use shared::records::{DiagnosisStatus, VitalsBody};

/// Whether a diagnosis with this status belongs on the problem list
/// (no status recorded: shown, as the clinician did not close it).
pub fn is_active_problem(status: Option<DiagnosisStatus>) -> bool {
    !matches!(
        status,
        Some(DiagnosisStatus::Inactive | DiagnosisStatus::Remission | DiagnosisStatus::Resolved)
    )
}

/// Whole years between `born` and `today`.
pub fn age(born: NaiveDate, today: NaiveDate) -> Option<u32> {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// One measured value of a vitals record, read and judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub label: &'static str,
    pub value: String,
    /// Why it is flagged ("high", "low"), when it is.
    pub flag: Option<&'static str>,
}

fn judge(high: bool, low: bool) -> Option<&'static str> {
    if high {
        Some("high")
    } else if low {
        Some("low")
    } else {
        None
    }
}

/// The readings present in `v`, each with its flag.
pub fn readings(v: &VitalsBody) -> Vec<Reading> {
    let mut out = Vec::new();
    if let (Some(s), Some(d)) = (v.systolic_mmhg, v.diastolic_mmhg) {
        out.push(Reading {
            label: "Blood pressure",
            value: format!("{s}/{d} mmHg"),
            flag: judge(s >= 140 || d >= 90, s < 90),
        });
    }
    if let Some(t) = v.temperature_c {
        out.push(Reading {
            label: "Temperature",
            value: format!("{t:.1} °C"),
            flag: judge(t >= 38.0, t < 35.0),
        });
    }
    if let Some(o) = v.spo2_percent {
        out.push(Reading {
            label: "SpO₂",
            value: format!("{o} %"),
            flag: judge(false, o <= 95),
        });
    }
    if let Some(h) = v.heart_rate_bpm {
        out.push(Reading {
            label: "Heart rate",
            value: format!("{h} /min"),
            flag: judge(h > 100, h < 50),
        });
    }
    if let Some(r) = v.respiratory_rate {
        out.push(Reading {
            label: "Respiratory rate",
            value: format!("{r} /min"),
            flag: judge(r > 20, r < 12),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vitals() -> VitalsBody {
        VitalsBody {
            heart_rate_bpm: None,
            systolic_mmhg: None,
            diastolic_mmhg: None,
            temperature_c: None,
            respiratory_rate: None,
            spo2_percent: None,
        }
    }

    fn flags(v: &VitalsBody) -> Vec<(&'static str, Option<&'static str>)> {
        readings(v).into_iter().map(|r| (r.label, r.flag)).collect()
    }

    #[test]
    fn the_values_the_issue_names_are_flagged_and_normal_ones_are_not() {
        let v = VitalsBody {
            systolic_mmhg: Some(141),
            diastolic_mmhg: Some(92),
            temperature_c: Some(38.2),
            spo2_percent: Some(95),
            ..vitals()
        };
        assert_eq!(
            flags(&v),
            vec![
                ("Blood pressure", Some("high")),
                ("Temperature", Some("high")),
                ("SpO₂", Some("low")),
            ]
        );
        let v = VitalsBody {
            systolic_mmhg: Some(120),
            diastolic_mmhg: Some(80),
            temperature_c: Some(36.8),
            spo2_percent: Some(98),
            heart_rate_bpm: Some(72),
            respiratory_rate: Some(16),
        };
        assert!(readings(&v).iter().all(|r| r.flag.is_none()));
        let v = VitalsBody {
            heart_rate_bpm: Some(44),
            temperature_c: Some(34.9),
            ..vitals()
        };
        assert_eq!(
            flags(&v),
            vec![("Temperature", Some("low")), ("Heart rate", Some("low"))]
        );
    }

    #[test]
    fn resolved_problems_leave_the_list_and_age_counts_birthdays() {
        assert!(is_active_problem(None));
        assert!(is_active_problem(Some(DiagnosisStatus::Suspected)));
        assert!(!is_active_problem(Some(DiagnosisStatus::Resolved)));
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(age(d(1980, 6, 15), d(2026, 6, 14)), Some(45));
        assert_eq!(age(d(1980, 6, 15), d(2026, 6, 15)), Some(46));
        assert_eq!(age(d(2030, 1, 1), d(2026, 1, 1)), None);
    }
}
