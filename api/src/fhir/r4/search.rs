//! Search parameters of the façade, parsed at the edge: `patient` /
//! `subject` (`Patient/{id}` or `{id}`), `_id`, token parameters `category`
//! and `code` (`code`, `system|code`, `|code`; a comma means "or"), `date`
//! with the R4 prefixes `eq ge gt le lt` on a day or an instant, and paging
//! (`_count`, `_offset`). A parameter the type does not support, or a
//! malformed value, is a 400 OperationOutcome: a silently ignored filter
//! would return more than was asked for.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::types::ResourceType;
use crate::error::ApiError;

pub const DEFAULT_COUNT: usize = 50;
pub const MAX_COUNT: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub system: Option<String>,
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// A date search: `[start, end)` is the day or instant given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateBound {
    pub prefix: Prefix,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Search {
    pub patient: Option<Uuid>,
    pub id: Option<Uuid>,
    /// Each parameter occurrence is AND-ed; the tokens within one, OR-ed.
    pub category: Vec<Vec<Token>>,
    pub code: Vec<Vec<Token>>,
    pub date: Vec<DateBound>,
    pub count: usize,
    pub offset: usize,
}

fn bad(msg: String) -> ApiError {
    ApiError::BadRequest(msg)
}

fn parse_id(name: &str, v: &str, prefix: &str) -> Result<Uuid, ApiError> {
    let raw = v.strip_prefix(prefix).unwrap_or(v);
    raw.parse()
        .map_err(|_| bad(format!("{name}: not a resource id: {v:?}")))
}

fn parse_tokens(name: &str, v: &str) -> Result<Vec<Token>, ApiError> {
    v.split(',')
        .map(|t| {
            let (system, code) = match t.split_once('|') {
                Some((s, c)) => (Some(s.to_owned()), c),
                None => (None, t),
            };
            if code.is_empty() {
                return Err(bad(format!("{name}: empty code in {v:?}")));
            }
            Ok(Token {
                system: system.filter(|s| !s.is_empty()),
                code: code.to_owned(),
            })
        })
        .collect()
}

fn parse_date(v: &str) -> Result<DateBound, ApiError> {
    let (prefix, rest) = match v.get(..2) {
        Some("eq") => (Prefix::Eq, &v[2..]),
        Some("ge") => (Prefix::Ge, &v[2..]),
        Some("gt") => (Prefix::Gt, &v[2..]),
        Some("le") => (Prefix::Le, &v[2..]),
        Some("lt") => (Prefix::Lt, &v[2..]),
        _ => (Prefix::Eq, v),
    };
    let (start, end) = if let Ok(day) = NaiveDate::parse_from_str(rest, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        (start, start + Duration::days(1))
    } else if let Ok(t) = DateTime::parse_from_rfc3339(rest) {
        let t = t.with_timezone(&Utc);
        (t, t + Duration::seconds(1))
    } else {
        return Err(bad(format!(
            "date: expected [eq|ge|gt|le|lt]YYYY-MM-DD or an RFC 3339 instant, got {v:?}"
        )));
    };
    Ok(DateBound { prefix, start, end })
}

fn parse_count(name: &str, v: &str, max: usize) -> Result<usize, ApiError> {
    v.parse::<usize>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| bad(format!("{name}: expected a number up to {max}, got {v:?}")))
}

impl Search {
    pub fn parse(t: ResourceType, pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut s = Search {
            count: DEFAULT_COUNT,
            ..Default::default()
        };
        for (k, v) in pairs {
            let k = k.as_str();
            if !matches!(k, "_count" | "_offset" | "_format") && !t.search_params().contains(&k) {
                return Err(bad(format!(
                    "{} does not support the search parameter {k:?} (supported: {})",
                    t.as_str(),
                    t.search_params().join(", ")
                )));
            }
            match k {
                "patient" | "subject" => s.patient = Some(parse_id(k, v, "Patient/")?),
                "_id" => s.id = Some(parse_id(k, v, "")?),
                "category" => s.category.push(parse_tokens(k, v)?),
                "code" => s.code.push(parse_tokens(k, v)?),
                "date" => s.date.push(parse_date(v)?),
                "_count" => s.count = parse_count(k, v, MAX_COUNT)?,
                "_offset" => s.offset = parse_count(k, v, 1_000_000)?,
                _ => {}
            }
        }
        if s.count == 0 {
            s.count = DEFAULT_COUNT;
        }
        Ok(s)
    }

    /// Whether `r` satisfies the token and date filters.
    pub fn matches(&self, r: &Value) -> bool {
        self.category
            .iter()
            .all(|any| any_coding(r.get("category"), any))
            && self.code.iter().all(|any| {
                ["code", "medicationCodeableConcept", "type"]
                    .iter()
                    .any(|f| any_coding(r.get(*f), any))
            })
            && self
                .date
                .iter()
                .all(|d| date_of(r).is_some_and(|t| d.holds(t)))
    }
}

impl DateBound {
    fn holds(&self, t: DateTime<Utc>) -> bool {
        match self.prefix {
            Prefix::Eq => t >= self.start && t < self.end,
            Prefix::Ge => t >= self.start,
            Prefix::Gt => t >= self.end,
            Prefix::Le => t < self.end,
            Prefix::Lt => t < self.start,
        }
    }
}

/// Codings of a CodeableConcept or a list of them.
fn any_coding(concept: Option<&Value>, tokens: &[Token]) -> bool {
    let concepts: Vec<&Value> = match concept {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(v) => vec![v],
        None => return false,
    };
    concepts
        .iter()
        .filter_map(|c| c["coding"].as_array())
        .flatten()
        .any(|coding| {
            tokens.iter().any(|t| {
                coding["code"].as_str() == Some(t.code.as_str())
                    && t.system
                        .as_deref()
                        .is_none_or(|s| coding["system"].as_str() == Some(s))
            })
        })
}

/// The date a resource is searched by.
fn date_of(r: &Value) -> Option<DateTime<Utc>> {
    let field = [
        "effectiveDateTime",
        "recordedDate",
        "authoredOn",
        "date",
        "recorded",
        "dateTime",
    ]
    .iter()
    .find_map(|f| r[*f].as_str())?;
    if let Ok(t) = DateTime::parse_from_rfc3339(field) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(field, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tokens_dates_and_paging_parse_and_bad_ones_do_not() {
        let s = Search::parse(
            ResourceType::Observation,
            &q(&[
                ("patient", "Patient/9b2f7d7e-7b39-4b8f-9a53-3c2a9f0a1e11"),
                ("code", "http://loinc.org|8867-4,2708-6"),
                ("date", "ge2026-01-01"),
                ("_count", "10"),
            ]),
        )
        .unwrap();
        assert!(s.patient.is_some());
        assert_eq!(s.code[0].len(), 2);
        assert_eq!(s.count, 10);
        for bad in [
            ("date", "yesterday"),
            ("_count", "100000"),
            ("patient", "x"),
            ("code", "a|"),
            ("name", "Smith"),
        ] {
            assert!(
                Search::parse(ResourceType::Observation, &q(&[bad])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn matching_uses_codings_and_dates() {
        let r = json!({"code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "effectiveDateTime": "2026-11-20T10:00:00+00:00"});
        let s = |pairs: &[(&str, &str)]| {
            Search::parse(ResourceType::Observation, &q(pairs))
                .unwrap()
                .matches(&r)
        };
        assert!(s(&[("code", "8867-4")]));
        assert!(s(&[("code", "http://loinc.org|8867-4")]));
        assert!(!s(&[("code", "http://snomed.info/sct|8867-4")]));
        assert!(s(&[("date", "2026-11-20")]));
        assert!(s(&[("date", "lt2026-11-21")]));
        assert!(!s(&[("date", "gt2026-11-20")]));
        assert!(!s(&[("category", "laboratory")]));
    }
}
