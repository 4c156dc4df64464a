//! The source text of a JSON object's top-level values, so a column that holds JSON text
//! (`context`, a non-string `event`) can keep the line's own text instead of writing the parsed
//! value out again (contract §3).
//!
//! Only ever applied to text the parser has accepted as a JSON object, so it need not validate.
//! With the parser's structural indexes (the offsets of every `{}[]:,` and the start of every
//! string and scalar) the walk touches only those offsets; without them (the exact path) it
//! scans the bytes.

use std::ops::Range;

/// One top-level `"key": value` of an object: the key's text with its quotes, and the value's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

/// The top-level pairs of the valid JSON object that starts at `text[0]`, in document order
/// (repeated keys included), appended to `out`.
pub(crate) fn top_level_pairs(text: &[u8], structurals: Option<&[u32]>, out: &mut Vec<Pair>) {
    match structurals {
        Some(s) => pairs_from_structurals(text, s, out),
        None => pairs_by_scanning(text, out),
    }
}

/// The value of the last pair whose key is `key` (compared as decoded JSON strings).
pub(crate) fn last_value<'t>(text: &'t str, pairs: &[Pair], key: &str) -> Option<&'t str> {
    pairs
        .iter()
        .rev()
        .find(|p| key_is(&text[p.key.clone()], key))
        .map(|p| &text[p.value.clone()])
}

/// Whether a JSON string literal (with its quotes) spells `key`.
fn key_is(literal: &str, key: &str) -> bool {
    let inner = &literal[1..literal.len() - 1];
    if !inner.contains('\\') {
        return inner == key;
    }
    serde_json::from_str::<String>(literal).is_ok_and(|k| k == key)
}

fn pairs_from_structurals(text: &[u8], s: &[u32], out: &mut Vec<Pair>) {
    let at = |i: usize| s[i] as usize;
    // s[0] is the object's `{`; then key, `:`, value..., `,` or `}`.
    let mut i = 1;
    while i < s.len() && text[at(i)] == b'"' {
        // A string ends at its closing quote, the last byte before the next structural
        // (`:` after a key, `,` or `}` after a value) that is not whitespace.
        let key = at(i)..trim_end(text, at(i), at(i + 1));
        let value_start = at(i + 2);
        let mut j = i + 3;
        let value_end = match text[value_start] {
            b'{' | b'[' => {
                let mut depth = 1usize;
                while depth > 0 {
                    match text[at(j)] {
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                at(j - 1) + 1
            }
            // A string or a scalar ends where the next structural (`,` or `}`) is, less any
            // whitespace.
            _ => trim_end(text, value_start, at(j)),
        };
        out.push(Pair {
            key,
            value: value_start..value_end,
        });
        // s[j] is `,` (another pair follows) or the object's `}`.
        if text[at(j)] != b',' {
            break;
        }
        i = j + 1;
    }
}

fn pairs_by_scanning(text: &[u8], out: &mut Vec<Pair>) {
    let mut i = skip_space(text, 1);
    while i < text.len() && text[i] == b'"' {
        let key = i..end_of_string(text, i);
        i = skip_space(text, key.end) + 1; // past `:`
        let value_start = skip_space(text, i);
        let value_end = end_of_value(text, value_start);
        out.push(Pair {
            key,
            value: value_start..value_end,
        });
        i = skip_space(text, value_end);
        if text.get(i) != Some(&b',') {
            break;
        }
        i = skip_space(text, i + 1);
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_space(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && is_space(text[i]) {
        i += 1;
    }
    i
}

fn trim_end(text: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && is_space(text[end - 1]) {
        end -= 1;
    }
    end
}

/// The end (past the closing quote) of the string literal whose opening quote is at `start`.
fn end_of_string(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(p) = memchr::memchr2(b'"', b'\\', &text[i..]) {
        i += p;
        if text[i] == b'\\' {
            i += 2;
        } else {
            return i + 1;
        }
    }
    text.len()
}

/// The end of the value that starts at `start`.
fn end_of_value(text: &[u8], start: usize) -> usize {
    match text.get(start) {
        Some(b'"') => end_of_string(text, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = end_of_string(text, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            text.len()
        }
        _ => {
            let len = text[start..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || is_space(b))
                .unwrap_or(text.len() - start);
            start + len
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::json::Parser;

    /// The pairs as texts, by both walks (which must agree).
    fn pairs(text: &str) -> Vec<(String, String)> {
        let mut parser = Parser::default();
        let doc = parser.parse(text.as_bytes()).unwrap();
        let mut fast = Vec::new();
        top_level_pairs(text.as_bytes(), doc.structurals(), &mut fast);
        let mut slow = Vec::new();
        top_level_pairs(text.as_bytes(), None, &mut slow);
        assert_eq!(fast, slow, "{text}");
        fast.iter()
            .map(|p| {
                (
                    text[p.key.clone()].to_string(),
                    text[p.value.clone()].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn values_keep_their_source_text() {
        let text = r#"{"a": {"x": [1, {"y": "}]"}], "z": null} , "b":"q\"\\" ,"c" : 12.5e3 ,"d":true,"e":[ ],"f":{}, "g":-0}"#;
        assert_eq!(
            pairs(text),
            [
                (r#""a""#, r#"{"x": [1, {"y": "}]"}], "z": null}"#),
                (r#""b""#, r#""q\"\\""#),
                (r#""c""#, "12.5e3"),
                (r#""d""#, "true"),
                (r#""e""#, "[ ]"),
                (r#""f""#, "{}"),
                (r#""g""#, "-0"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(pairs("{}").is_empty());
        assert!(pairs(" { } ".trim()).is_empty());
    }

    #[test]
    fn the_last_of_a_repeated_key_and_escaped_keys() {
        let text = r#"{"context": 1, "\u0063ontext": {"a": 2}, "event": "x"}"#;
        let mut out = Vec::new();
        top_level_pairs(text.as_bytes(), None, &mut out);
        assert_eq!(last_value(text, &out, "context"), Some(r#"{"a": 2}"#));
        assert_eq!(last_value(text, &out, "event"), Some(r#""x""#));
        assert_eq!(last_value(text, &out, "page"), None);
    }

    #[test]
    fn numbers_beyond_machine_types_take_the_scanning_walk() {
        let text = r#"{"context": {"n": 1e400}, "b": 18446744073709551616 }"#;
        let mut parser = Parser::default();
        let doc = parser.parse(text.as_bytes()).unwrap();
        assert!(doc.structurals().is_none());
        let mut out = Vec::new();
        top_level_pairs(text.as_bytes(), doc.structurals(), &mut out);
        assert_eq!(last_value(text, &out, "context"), Some(r#"{"n": 1e400}"#));
        assert_eq!(last_value(text, &out, "b"), Some("18446744073709551616"));
    }
}
