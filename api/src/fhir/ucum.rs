//! Which typed-in units are UCUM, and their UCUM code. A unit gets a UCUM
//! `system`/`code` in FHIR only when it parses as a UCUM expression (atoms
//! from the table below, metric prefixes only on metric atoms, exponents,
//! factors, annotations, `.` `/` and parentheses), or when it is one of the
//! common lab spellings whose UCUM equivalent is unambiguous (`x10^9/L` →
//! `10*9/L`, `mL/min/1.73m2` → `mL/min/{1.73_m2}`). Anything else keeps its
//! text and no code. This module never guesses a unit from a loose match.

/// `(atom, metric)`: the UCUM atoms CareLedger's forms and labs use.
const ATOMS: &[(&str, bool)] = &[
    // base and SI-derived units
    ("m", true),
    ("s", true),
    ("g", true),
    ("K", true),
    ("mol", true),
    ("L", true),
    ("l", true),
    ("Cel", true),
    ("Hz", true),
    ("N", true),
    ("Pa", true),
    ("J", true),
    ("W", true),
    ("A", true),
    ("V", true),
    ("Ohm", true),
    ("S", true),
    ("Bq", true),
    ("Gy", true),
    ("Sv", true),
    ("kat", true),
    ("U", true),
    ("eq", true),
    ("osm", true),
    ("bar", true),
    ("cal", true),
    ("t", true),
    ("[iU]", true),
    ("[IU]", true),
    ("m[Hg]", true),
    ("m[H2O]", true),
    // non-metric
    ("min", false),
    ("h", false),
    ("d", false),
    ("wk", false),
    ("mo", false),
    ("a", false),
    ("%", false),
    ("[degF]", false),
    ("[ppm]", false),
    ("[ppb]", false),
    ("[pH]", false),
    ("[HPF]", false),
    ("[LPF]", false),
    ("[lb_av]", false),
    ("[oz_av]", false),
    ("[in_i]", false),
    ("[ft_i]", false),
    ("[drp]", false),
    ("[CFU]", false),
    ("[arb'U]", false),
    ("[pi]", false),
    ("10*", false),
    ("10^", false),
];

const PREFIXES: &[&str] = &[
    "da", "Y", "Z", "E", "P", "T", "G", "M", "k", "h", "d", "c", "m", "u", "n", "p", "f", "a", "z",
    "y",
];

/// Common non-UCUM spellings and their UCUM code.
const SYNONYMS: &[(&str, &str)] = &[
    ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
    ("mL/min/1.73 m2", "mL/min/{1.73_m2}"),
    ("ml/min/1.73m2", "mL/min/{1.73_m2}"),
    ("mL/min/1.73m²", "mL/min/{1.73_m2}"),
    ("mEq/L", "meq/L"),
    ("IU/L", "[IU]/L"),
    ("IU/mL", "[IU]/mL"),
    ("mIU/L", "m[IU]/L"),
    ("mIU/mL", "m[IU]/mL"),
    ("uIU/mL", "u[IU]/mL"),
    ("mcg", "ug"),
    ("mcg/L", "ug/L"),
    ("mcg/dL", "ug/dL"),
    ("mmHg", "mm[Hg]"),
    ("°C", "Cel"),
    ("°F", "[degF]"),
    ("bpm", "/min"),
    ("breaths/min", "/min"),
    ("sec", "s"),
    ("hr", "h"),
    ("pH", "[pH]"),
    ("/hpf", "/[HPF]"),
    ("/lpf", "/[LPF]"),
    ("cells/uL", "{cells}/uL"),
    ("copies/mL", "{copies}/mL"),
];

/// The UCUM code for a typed unit, or `None` when it is not UCUM.
pub fn code(unit: &str) -> Option<String> {
    let unit = unit.trim();
    if is_ucum(unit) {
        return Some(unit.to_owned());
    }
    let known = SYNONYMS
        .iter()
        .find(|(typed, _)| *typed == unit)
        .map(|(_, ucum)| (*ucum).to_owned())
        .or_else(|| power_of_ten(unit))?;
    is_ucum(&known).then_some(known)
}

/// `x10^9/L`, `×10^12/L`, `10^9/L` → `10*9/L`.
fn power_of_ten(unit: &str) -> Option<String> {
    let rest = unit
        .strip_prefix('x')
        .or_else(|| unit.strip_prefix('×'))
        .unwrap_or(unit)
        .trim_start();
    let rest = rest
        .strip_prefix("10^")
        .or_else(|| rest.strip_prefix("10*"))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(format!("10*{digits}{}", &rest[digits.len()..]))
}

/// Whether `s` is a UCUM expression over the atoms above.
pub fn is_ucum(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 || !s.is_ascii() || s.contains(' ') {
        return false;
    }
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    let ok = p.main_term();
    ok && p.i == p.s.len()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn main_term(&mut self) -> bool {
        if self.peek() == Some(b'/') {
            self.i += 1;
        }
        self.term()
    }

    fn term(&mut self) -> bool {
        if !self.component() {
            return false;
        }
        while matches!(self.peek(), Some(b'.' | b'/')) {
            self.i += 1;
            if !self.component() {
                return false;
            }
        }
        true
    }

    fn component(&mut self) -> bool {
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                if !self.term() || self.peek() != Some(b')') {
                    return false;
                }
                self.i += 1;
                true
            }
            Some(b'{') => self.annotation(),
            Some(c)
                if c.is_ascii_digit()
                    && !self.s[self.i..].starts_with(b"10*")
                    && !self.s[self.i..].starts_with(b"10^") =>
            {
                self.digits();
                true
            }
            Some(_) => {
                if !self.simple_unit() {
                    return false;
                }
                self.exponent();
                if self.peek() == Some(b'{') {
                    return self.annotation();
                }
                true
            }
            None => false,
        }
    }

    fn digits(&mut self) -> bool {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i > start
    }

    fn exponent(&mut self) {
        let start = self.i;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.i += 1;
        }
        if !self.digits() {
            self.i = start;
        }
    }

    fn annotation(&mut self) -> bool {
        let Some(len) = self.s[self.i..].iter().position(|c| *c == b'}') else {
            return false;
        };
        let inner = &self.s[self.i + 1..self.i + len];
        if inner
            .iter()
            .any(|c| *c == b'{' || !(b' '..=b'~').contains(c))
        {
            return false;
        }
        self.i += len + 1;
        true
    }

    /// A prefix and an atom; the token runs to the next operator, digit,
    /// annotation or parenthesis outside square brackets.
    fn simple_unit(&mut self) -> bool {
        let rest = &self.s[self.i..];
        for ten in [&b"10*"[..], b"10^"] {
            if rest.starts_with(ten) {
                self.i += 3;
                return true;
            }
        }
        let mut end = 0;
        let mut depth = 0;
        while let Some(&c) = rest.get(end) {
            match c {
                b'[' => depth += 1,
                b']' if depth > 0 => depth -= 1,
                b'.' | b'/' | b'(' | b')' | b'{' | b'}' | b'+' | b'-' | b'0'..=b'9'
                    if depth == 0 =>
                {
                    break
                }
                _ => {}
            }
            end += 1;
        }
        if depth != 0 || end == 0 {
            return false;
        }
        let Ok(token) = std::str::from_utf8(&rest[..end]) else {
            return false;
        };
        let atom = |t: &str| ATOMS.iter().find(|(a, _)| *a == t).map(|(_, m)| *m);
        let ok = atom(token).is_some()
            || PREFIXES.iter().any(|p| {
                token
                    .strip_prefix(p)
                    .and_then(atom)
                    .is_some_and(|metric| metric)
            });
        if ok {
            self.i += end;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucum_units_keep_their_code() {
        for u in [
            "mg/dL",
            "mmol/L",
            "umol/L",
            "g/dL",
            "U/L",
            "ng/mL",
            "10*9/L",
            "10*3/uL",
            "%",
            "/min",
            "mm[Hg]",
            "Cel",
            "[degF]",
            "mL/min/{1.73_m2}",
            "kg/m2",
            "fL",
            "pg",
            "meq/L",
            "[IU]/L",
            "{cells}/uL",
            "mL/(24.h)",
            "s-1",
        ] {
            assert_eq!(code(u).as_deref(), Some(u), "{u}");
        }
    }

    #[test]
    fn common_spellings_map_and_the_rest_stay_text() {
        assert_eq!(code("x10^9/L").as_deref(), Some("10*9/L"));
        assert_eq!(code("×10^12/L").as_deref(), Some("10*12/L"));
        assert_eq!(code("mL/min/1.73m2").as_deref(), Some("mL/min/{1.73_m2}"));
        assert_eq!(code("mEq/L").as_deref(), Some("meq/L"));
        assert_eq!(code("mmHg").as_deref(), Some("mm[Hg]"));
        for u in [
            "",
            "cells",
            "x10^/L",
            "mL/min/1.73m",
            "1.73m2",
            "mg/dL/",
            "kmin",
            "mm[Hg",
            "{a{b}",
            "per day",
            "μg/L",
            "IU/day",
        ] {
            assert_eq!(code(u), None, "{u}");
        }
    }
}
