//! Clinical code systems a record body may name (ICD-10-CM, SNOMED CT, LOINC,
//! RxNorm) and the shape checks a code must pass before it is stored: the
//! pattern of each system and its check digit where it has one (Verhoeff for
//! SNOMED CT identifiers, mod 10 for LOINC). This proves a code is
//! well-formed, never that it exists in the current release of its system;
//! nothing here holds a terminology.

use serde::{Deserialize, Serialize};

use crate::error::InputError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeSystem {
    /// ICD-10-CM, e.g. `E11.9`.
    Icd10Cm,
    /// SNOMED CT concept id, e.g. `195967001`.
    SnomedCt,
    /// LOINC, e.g. `2160-0`.
    Loinc,
    /// RxNorm concept id (RxCUI), e.g. `197361`.
    Rxnorm,
}

impl CodeSystem {
    /// The system's canonical URI in FHIR.
    pub fn uri(self) -> &'static str {
        match self {
            CodeSystem::Icd10Cm => "http://hl7.org/fhir/sid/icd-10-cm",
            CodeSystem::SnomedCt => "http://snomed.info/sct",
            CodeSystem::Loinc => "http://loinc.org",
            CodeSystem::Rxnorm => "http://www.nlm.nih.gov/research/umls/rxnorm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CodeSystem::Icd10Cm => "ICD-10-CM",
            CodeSystem::SnomedCt => "SNOMED CT",
            CodeSystem::Loinc => "LOINC",
            CodeSystem::Rxnorm => "RxNorm",
        }
    }

    /// `code` in this system's canonical form (ICD-10-CM upper case with
    /// its dot), or `None` when it is not a well-formed code of the system.
    pub fn normalize(self, code: &str) -> Option<String> {
        let code = code.trim();
        match self {
            CodeSystem::Icd10Cm => icd10cm(code),
            CodeSystem::SnomedCt => snomed_ct(code).then(|| code.to_owned()),
            CodeSystem::Loinc => loinc(code).then(|| code.to_owned()),
            CodeSystem::Rxnorm => rxnorm(code).then(|| code.to_owned()),
        }
    }

    /// The one system among `allowed` whose shape `code` has, when exactly
    /// one fits (used for bodies that name a code but no system).
    pub fn infer(code: &str, allowed: &[CodeSystem]) -> Option<CodeSystem> {
        let mut fits = allowed.iter().filter(|s| s.normalize(code).is_some());
        match (fits.next(), fits.next()) {
            (Some(s), None) => Some(*s),
            _ => None,
        }
    }
}

/// Checks an optional `code` with its optional `system` for a body field:
/// the system must be one of `allowed` (inferred from the code's shape when
/// absent and unambiguous) and the code well-formed in it. Returns the
/// canonical pair.
pub fn check(
    field: &'static str,
    code: Option<&str>,
    system: Option<CodeSystem>,
    allowed: &[CodeSystem],
) -> Result<(Option<String>, Option<CodeSystem>), InputError> {
    let names = allowed
        .iter()
        .map(|s| s.label())
        .collect::<Vec<_>>()
        .join(" or ");
    let Some(code) = code else {
        return match system {
            Some(_) => Err(InputError::new(field, "a code system needs a code")),
            None => Ok((None, None)),
        };
    };
    let system = match system {
        Some(s) if allowed.contains(&s) => s,
        Some(s) => {
            return Err(InputError::new(
                field,
                format!(
                    "{} is not a code system for this field (use {names})",
                    s.label()
                ),
            ))
        }
        None => CodeSystem::infer(code, allowed).ok_or_else(|| {
            InputError::new(
                field,
                format!("say which code system the code is from ({names})"),
            )
        })?,
    };
    let canonical = system.normalize(code).ok_or_else(|| {
        InputError::new(field, format!("not a well-formed {} code", system.label()))
    })?;
    Ok((Some(canonical), Some(system)))
}

/// A letter, two digits (or digit and `A`/`B`), then an optional dot and
/// 1–4 more letters or digits, e.g. `I10`, `E11.9`, `S52.521A`.
fn icd10cm(code: &str) -> Option<String> {
    let up = code.to_ascii_uppercase().replace('.', "");
    let b = up.as_bytes();
    if !(3..=7).contains(&b.len()) || !b.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let head_ok = b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && (b[2].is_ascii_digit() || matches!(b[2], b'A' | b'B'));
    let dots = code.matches('.').count();
    if !head_ok || dots > 1 || (dots == 1 && code.find('.') != Some(3)) {
        return None;
    }
    Some(if b.len() > 3 {
        format!("{}.{}", &up[..3], &up[3..])
    } else {
        up
    })
}

/// A SNOMED CT concept id: 6–18 digits, no leading zero, a concept partition
/// (`00` or `10`), and a valid Verhoeff check digit.
fn snomed_ct(code: &str) -> bool {
    let n = code.len();
    (6..=18).contains(&n)
        && code.bytes().all(|b| b.is_ascii_digit())
        && !code.starts_with('0')
        && matches!(&code[n - 3..n - 1], "00" | "10")
        && verhoeff(code)
}

fn verhoeff(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        let d = usize::from(b - b'0');
        c = D[usize::from(c)][usize::from(P[i % 8][d])];
    }
    c == 0
}

/// `NNNNN-C`: 1–7 digits, a dash, and the mod-10 check digit.
fn loinc(code: &str) -> bool {
    let Some((body, check)) = code.split_once('-') else {
        return false;
    };
    if !(1..=7).contains(&body.len())
        || check.len() != 1
        || !body
            .bytes()
            .chain(check.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check.as_bytes()[0] - b'0')
}

/// An RxCUI: 1–8 digits, no leading zero (RxNorm has no check digit).
fn rxnorm(code: &str) -> bool {
    (1..=8).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_digit())
        && !code.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_codes_pass_and_typos_do_not() {
        for c in ["195967001", "38341003", "44054006", "73211009", "91936005"] {
            assert!(snomed_ct(c), "{c}");
        }
        assert!(!snomed_ct("195967002"), "check digit");
        assert!(!snomed_ct("I10"));
        for c in ["8867-4", "2708-6", "59408-5", "85353-1", "2160-0", "4548-4"] {
            assert!(loinc(c), "{c}");
        }
        assert!(!loinc("8867-5"));
        assert_eq!(icd10cm("e119").as_deref(), Some("E11.9"));
        assert_eq!(icd10cm("I10").as_deref(), Some("I10"));
        assert_eq!(icd10cm("J45.909").as_deref(), Some("J45.909"));
        assert_eq!(icd10cm("195967001"), None);
        assert_eq!(icd10cm("I1.0"), None);
        assert!(rxnorm("197361") && !rxnorm("0197") && !rxnorm("abc"));
    }

    #[test]
    fn a_system_is_inferred_only_when_the_shape_is_unambiguous() {
        let dx = [CodeSystem::Icd10Cm, CodeSystem::SnomedCt];
        assert_eq!(CodeSystem::infer("I10", &dx), Some(CodeSystem::Icd10Cm));
        assert_eq!(
            CodeSystem::infer("195967001", &dx),
            Some(CodeSystem::SnomedCt)
        );
        assert_eq!(CodeSystem::infer("401.9", &dx), None);
        let allergy = [CodeSystem::SnomedCt, CodeSystem::Rxnorm];
        assert_eq!(CodeSystem::infer("91936005", &allergy), None, "both fit");
        assert!(check("code", Some("91936005"), None, &allergy).is_err());
        assert!(check("code", Some("I10"), Some(CodeSystem::Loinc), &dx).is_err());
        assert!(check("code", None, Some(CodeSystem::Icd10Cm), &dx).is_err());
        assert_eq!(
            check("code", Some("e11.9"), Some(CodeSystem::Icd10Cm), &dx).ok(),
            Some((Some("E11.9".to_owned()), Some(CodeSystem::Icd10Cm)))
        );
    }
}
