//! The `pattern`s the spec gives for free text must accept exactly what the
//! server's parsers accept (trimmed length, control characters), or clients
//! generating input from the spec send what the server refuses, and the
//! reverse. Checked with a grid of strings around every boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use api::routes::patients::search_text;
use shared::auth::DisplayName;
use shared::patients::parse_text;
use shared::records::parse_title;

type Rule = Box<dyn Fn(&str) -> bool>;

fn text(lo: usize, hi: usize, multiline: bool) -> Rule {
    Box::new(move |s| parse_text("field", s, lo, hi, multiline).is_ok())
}

/// (schema, property, what the server accepts)
fn body_rules() -> Vec<(&'static str, &'static str, Rule)> {
    let display: fn() -> Rule = || Box::new(|s| DisplayName::parse(s).is_ok());
    let title: fn() -> Rule = || Box::new(|s| parse_title(s).is_ok());
    let min_reason = shared::emergency::MIN_REASON_CHARS;
    vec![
        ("RegisterRequest", "display_name", display()),
        ("CreateUserRequest", "display_name", display()),
        ("UpdateUserRequest", "display_name", display()),
        ("CreatePatientRequest", "full_name", text(1, 100, false)),
        ("CreatePatientRequest", "contact", text(1, 500, true)),
        ("CreateClinicianRequest", "department", text(1, 100, false)),
        ("CreateClinicianRequest", "specialty", text(1, 100, false)),
        (
            "CreateClinicianRequest",
            "licence_number",
            text(1, 50, false),
        ),
        ("LinkGuardianRequest", "relationship", text(1, 100, false)),
        (
            "OpenEmergencyRequest",
            "reason",
            text(min_reason, 1000, true),
        ),
        ("ReviewEmergencyRequest", "note", text(1, 1000, true)),
        ("NewAccessRequest", "purpose", text(3, 500, true)),
        ("DenyAccessRequest", "note", text(1, 500, true)),
        ("NewRecordRequest", "title", title()),
        ("AmendRecordRequest", "title", title()),
        ("AmendRecordRequest", "reason", text(3, 500, true)),
    ]
}

/// Strings around every boundary: lengths near each limit, padded with
/// whitespace (ASCII and not) or control characters, with one odd
/// character inside.
fn samples() -> Vec<String> {
    let pads = [
        "", " ", "\t\n", "\u{3000}", "\u{85}", "\u{a0} ", "\u{0}", "\u{feff}",
    ];
    let odd = [
        "", "\n", "\t", "\r", "\u{1}", "\u{1f}", "\u{7f}", "\u{85}", "\u{9f}", "\u{a0}",
        "\u{200b}", "\u{3000}", "é", "😀", " ",
    ];
    let lengths = [
        0, 1, 2, 3, 4, 9, 10, 11, 49, 50, 51, 99, 100, 101, 199, 200, 201, 499, 500, 501, 999,
        1000, 1001,
    ];
    let mut out = Vec::new();
    for pad in pads {
        for mid in odd {
            for &n in &lengths {
                let core = if n == 0 {
                    mid.to_owned()
                } else {
                    let half = "a".repeat(n / 2);
                    let rest = "b".repeat(n - n / 2);
                    format!("{half}{mid}{rest}")
                };
                out.push(format!("{pad}{core}{pad}"));
                out.push(format!("{core}{pad}"));
                out.push(format!("{pad}{core}"));
            }
        }
    }
    out
}

fn spec() -> serde_json::Value {
    serde_json::from_str(&api::startup::spec_json().unwrap()).unwrap()
}

fn check(what: &str, pattern: &str, rule: &Rule) {
    let re = regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{what}: {e}"));
    for s in samples() {
        assert_eq!(
            re.is_match(&s),
            rule(&s),
            "{what}: the spec and the server disagree on {s:?}"
        );
    }
}

#[test]
fn body_text_patterns_match_the_server_parsers() {
    let spec = spec();
    for (schema, prop, rule) in body_rules() {
        let pattern = spec["components"]["schemas"][schema]["properties"][prop]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema}.{prop} has no pattern"));
        check(&format!("{schema}.{prop}"), pattern, &rule);
    }
}

#[test]
fn search_text_patterns_match_the_server() {
    let spec = spec();
    let searched: Rule = Box::new(|s| search_text(Some(s.to_owned())).is_ok());
    let directory: Rule = Box::new(|s| {
        search_text(Some(s.to_owned())).is_ok_and(|t| t.is_some_and(|t| t.chars().count() >= 2))
    });
    let paths = [
        ("/api/v1/patients", &searched),
        ("/api/v1/clinicians", &searched),
        ("/api/v1/patients/{id}/records", &searched),
        ("/api/v1/users", &searched),
        ("/api/v1/patients/directory", &directory),
    ];
    for (path, rule) in paths {
        let params = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
        let q = params.iter().find(|p| p["name"] == "q").unwrap();
        let pattern = q["schema"]["pattern"].as_str().unwrap();
        check(path, pattern, rule);
    }
}
