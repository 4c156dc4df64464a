//! Typed conversion of JSON values into column values (contract §6). Every refusal becomes a
//! warning naming the column; nothing panics and nothing is guessed silently.

use std::borrow::Cow;

use super::json::{write_number_text, Json, Kind};
pub(crate) use super::warning::Warnings;
use super::warning::{Target, Warning};

impl Warnings {
    pub fn cannot(&mut self, column: &'static str, kind: &Kind, to: Target) {
        self.push(Warning::CannotConvert {
            column,
            from: kind.json_type(),
            to,
        });
    }
}

/// The string rule: strings as given, numbers as text, null → null; other types refused.
/// Returns the value and whether it was refused.
pub(crate) fn to_string<'a>(
    v: Json<'a>,
    column: &'static str,
    warnings: &mut Warnings,
) -> (Option<Cow<'a, str>>, bool) {
    // Most values are strings: no need to unpack the others.
    if let Some(s) = v.as_str_fast() {
        return (Some(Cow::Borrowed(s)), false);
    }
    let kind = v.kind();
    match kind {
        Kind::Str(s) => (Some(Cow::Borrowed(s)), false),
        Kind::Null => (None, false),
        Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) | Kind::BigNumber(_) => {
            let mut out = String::new();
            write_number_text(&kind, &mut out);
            (Some(Cow::Owned(out)), false)
        }
        _ => {
            warnings.cannot(column, &kind, Target::String);
            (None, true)
        }
    }
}

/// The string rule without its warning: None for null and for a refused value.
pub(crate) fn string_value(v: Json<'_>) -> Option<Cow<'_, str>> {
    match v.kind() {
        Kind::Str(s) => Some(Cow::Borrowed(s)),
        kind @ (Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) | Kind::BigNumber(_)) => {
            let mut out = String::new();
            write_number_text(&kind, &mut out);
            Some(Cow::Owned(out))
        }
        _ => None,
    }
}

/// The text rule (answers items, correct_map strings): strings as given, numbers as text,
/// `true`/`false`, compact JSON for arrays and objects, null → null.
pub(crate) fn to_text(v: Json<'_>) -> Option<Cow<'_, str>> {
    let kind = v.kind();
    match kind {
        Kind::Str(s) => Some(Cow::Borrowed(s)),
        Kind::Null => None,
        Kind::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
        Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) | Kind::BigNumber(_) => {
            let mut out = String::new();
            write_number_text(&kind, &mut out);
            Some(Cow::Owned(out))
        }
        Kind::Array(_) | Kind::Object(_) => {
            let mut out = String::new();
            v.write_json(&mut out);
            Some(Cow::Owned(out))
        }
    }
}

/// The int rule (int64 columns).
pub(crate) fn to_int(v: Json<'_>, column: &'static str, warnings: &mut Warnings) -> Option<i64> {
    let kind = v.kind();
    let out_of_range = |w: &mut Warnings| w.push(Warning::OutOfRange { column });
    match kind {
        Kind::Null => None,
        Kind::Int(i) => Some(i),
        Kind::UInt(_) | Kind::BigNumber(_) if !is_float_text(&kind) => {
            out_of_range(warnings);
            None
        }
        Kind::Float(f) if f.fract() == 0.0 => {
            // i64::MAX as f64 rounds up to 2^63, which is out of range.
            if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                Some(f as i64)
            } else {
                out_of_range(warnings);
                None
            }
        }
        Kind::BigNumber(_) => {
            // A float too large for f64: integral by definition, and out of range.
            out_of_range(warnings);
            None
        }
        Kind::Str(s) => {
            let t = s.trim_matches(is_json_space);
            if t.is_empty() {
                return None;
            }
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                warnings.cannot(column, &kind, Target::Int64);
                return None;
            }
            match t.strip_prefix('+').unwrap_or(t).parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    out_of_range(warnings);
                    None
                }
            }
        }
        _ => {
            warnings.cannot(column, &kind, Target::Int64);
            None
        }
    }
}

fn is_float_text(kind: &Kind) -> bool {
    match kind {
        Kind::BigNumber(s) => s.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')),
        _ => false,
    }
}

/// Whitespace as Python's `str.strip()` sees it in ASCII, which the reference uses.
fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The float rule (float64 columns).
pub(crate) fn to_float(v: Json<'_>, column: &'static str, warnings: &mut Warnings) -> Option<f64> {
    let kind = v.kind();
    let finite = |f: f64, w: &mut Warnings| {
        if f.is_finite() {
            Some(f)
        } else {
            w.push(Warning::OutOfRange { column });
            None
        }
    };
    match kind {
        Kind::Null => None,
        Kind::Int(i) => Some(i as f64),
        Kind::UInt(u) => Some(u as f64),
        Kind::Float(f) => Some(f),
        Kind::BigNumber(s) => finite(s.parse::<f64>().unwrap_or(f64::INFINITY), warnings),
        Kind::Str(s) => {
            let t = s.trim_matches(is_json_space);
            if t.is_empty() {
                return None;
            }
            if !is_decimal_text(t) {
                warnings.cannot(column, &kind, Target::Float64);
                return None;
            }
            finite(t.parse::<f64>().unwrap_or(f64::INFINITY), warnings)
        }
        _ => {
            warnings.cannot(column, &kind, Target::Float64);
            None
        }
    }
}

/// `[+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?`
fn is_decimal_text(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::json::Parser;

    fn with<R>(text: &str, f: impl FnOnce(Json, &mut Warnings) -> R) -> (R, Vec<String>) {
        let mut p = Parser::default();
        let doc = p.parse(text.as_bytes()).unwrap();
        let mut w = Warnings::default();
        let r = f(doc.root().get("v").unwrap(), &mut w);
        (r, w.texts())
    }

    #[test]
    fn int_rule() {
        let int = |t: &str| with(&format!(r#"{{"v":{t}}}"#), |v, w| to_int(v, "c", w));
        assert_eq!(int("3"), (Some(3), vec![]));
        assert_eq!(int(r#""3""#), (Some(3), vec![]));
        assert_eq!(int(r#"" -7 ""#), (Some(-7), vec![]));
        assert_eq!(int("3.0"), (Some(3), vec![]));
        assert_eq!(int(r#""""#), (None, vec![]));
        assert_eq!(int("null"), (None, vec![]));
        assert_eq!(
            int("18446744073709551616"),
            (None, vec!["c: out of range".to_string()])
        );
        assert_eq!(
            int("9223372036854775808"),
            (None, vec!["c: out of range".to_string()])
        );
        assert_eq!(int("1e400"), (None, vec!["c: out of range".to_string()]));
        assert_eq!(
            int(r#""99999999999999999999""#),
            (None, vec!["c: out of range".to_string()])
        );
        assert_eq!(
            int(r#""abc""#),
            (None, vec!["c: cannot convert string to int64".to_string()])
        );
        assert_eq!(
            int("3.5"),
            (None, vec!["c: cannot convert number to int64".to_string()])
        );
        assert_eq!(
            int("true"),
            (None, vec!["c: cannot convert bool to int64".to_string()])
        );
    }

    #[test]
    fn float_rule() {
        let float = |t: &str| with(&format!(r#"{{"v":{t}}}"#), |v, w| to_float(v, "c", w));
        assert_eq!(float("1.264"), (Some(1.264), vec![]));
        assert_eq!(float(r#""1.5""#), (Some(1.5), vec![]));
        assert_eq!(float(r#"".5e1""#), (Some(5.0), vec![]));
        assert_eq!(float("1e400"), (None, vec!["c: out of range".to_string()]));
        assert_eq!(
            float(r#""1e400""#),
            (None, vec!["c: out of range".to_string()])
        );
        assert_eq!(
            float(r#""inf""#),
            (
                None,
                vec!["c: cannot convert string to float64".to_string()]
            )
        );
        assert_eq!(float(r#""1.""#), (Some(1.0), vec![]));
    }

    #[test]
    fn string_rule() {
        let s = |t: &str| {
            with(&format!(r#"{{"v":{t}}}"#), |v, w| {
                to_string(v, "c", w).0.map(|c| c.into_owned())
            })
        };
        assert_eq!(s(r#""""#), (Some(String::new()), vec![]));
        assert_eq!(s("1.0"), (Some("1.0".into()), vec![]));
        assert_eq!(s("12"), (Some("12".into()), vec![]));
        assert_eq!(
            s("[1]"),
            (None, vec!["c: cannot convert array to string".to_string()])
        );
    }
}
