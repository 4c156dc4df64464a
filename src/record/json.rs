//! The JSON parser behind one small interface.
//!
//! `Parser::parse` turns bytes into a `Doc`, whose root is a `Json` view. The fast path is the
//! simd-json tape (no owned values, buffers reused per thread). When simd-json refuses a line
//! that is still valid RFC 8259 JSON (numbers beyond i64/u64/f64, which simd-json rejects), the
//! same line is parsed again by serde_json with `arbitrary_precision`, which keeps such numbers
//! as text. Everything downstream only sees `Json`, so the parser can be swapped.

use simd_json::{tape::Node, Buffers, StaticNode, Tape};

use super::warning::JsonType;

/// Nesting deeper than this is refused (a reject), never a stack overflow.
pub(crate) const MAX_DEPTH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Nesting deeper than `MAX_DEPTH`.
    TooDeep,
    /// Anything else, with the parser's words.
    Invalid(String),
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonError::TooDeep => write!(f, "nesting deeper than {MAX_DEPTH} levels"),
            JsonError::Invalid(m) => write!(f, "invalid JSON: {m}"),
        }
    }
}

/// A reusable parser: one per thread and per nesting role (line, embedded event).
pub(crate) struct Parser {
    buffers: Buffers,
    input: Vec<u8>,
    tape: Option<Tape<'static>>,
    exact: serde_json::Value,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            // simd-json counts containers the way `depth_exceeds` does: 1000 levels pass.
            buffers: Buffers::with_max_depth(4096, MAX_DEPTH),
            input: Vec::new(),
            tape: Some(Tape::null()),
            exact: serde_json::Value::Null,
        }
    }
}

/// A parsed document; its tape goes back to the parser when it is dropped.
pub(crate) struct Doc<'s> {
    tape: Option<Tape<'s>>,
    slot: &'s mut Option<Tape<'static>>,
    exact: Option<&'s serde_json::Value>,
    structurals: Option<&'s [u32]>,
}

impl Doc<'_> {
    pub(crate) fn root(&self) -> Json<'_> {
        match (&self.tape, self.exact) {
            (Some(t), _) => Json::Tape(&t.0),
            (None, Some(v)) => Json::Exact(v),
            (None, None) => unreachable!("a Doc holds a tape or an exact value"),
        }
    }

    /// The offsets of the text's structural characters and value starts, from the fast path;
    /// None from the exact path.
    pub(crate) fn structurals(&self) -> Option<&[u32]> {
        self.structurals
    }
}

impl Drop for Doc<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.tape.take() {
            *self.slot = Some(t.reset());
        }
    }
}

impl Parser {
    pub(crate) fn parse<'s>(&'s mut self, text: &[u8]) -> Result<Doc<'s>, JsonError> {
        let Parser {
            buffers,
            input,
            tape,
            exact,
        } = self;
        // The copy simd-json parses in place, padded as it needs (so it makes no copy of
        // its own).
        input.clear();
        input.extend_from_slice(text);
        input.resize(text.len() + simd_json::INPUT_PADDING, b' ');
        let mut t: Tape<'s> = tape.take().unwrap_or_else(Tape::null).reset();
        match simd_json::fill_tape_padded(input, text.len(), buffers, &mut t) {
            Ok(()) => {
                let buffers: &'s Buffers = buffers;
                return Ok(Doc {
                    tape: Some(t),
                    slot: tape,
                    exact: None,
                    structurals: Some(buffers.structural_indexes()),
                });
            }
            Err(e) => {
                *tape = Some(t.reset());
                if matches!(e.error(), simd_json::ErrorType::DepthLimitExceeded) {
                    return Err(JsonError::TooDeep);
                }
            }
        }
        // The exact path: only for lines simd-json refused. serde_json recurses, so check the
        // depth first (serde's own limit of 128 is lifted to honour the 1000-level contract).
        if depth_exceeds(text, MAX_DEPTH) {
            return Err(JsonError::TooDeep);
        }
        let mut de = serde_json::Deserializer::from_slice(text);
        de.disable_recursion_limit();
        let value = serde::Deserialize::deserialize(&mut de)
            .and_then(|v: serde_json::Value| de.end().map(|()| v))
            .map_err(|e| JsonError::Invalid(e.to_string()))?;
        *exact = value;
        Ok(Doc {
            tape: None,
            slot: tape,
            exact: Some(exact),
            structurals: None,
        })
    }
}

/// Whether brackets outside strings nest deeper than `max`. Exact for valid JSON, which is all
/// it must be: on invalid JSON either answer leads to a reject.
pub(crate) fn depth_exceeds(text: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A view of one JSON value, from either parser.
#[derive(Clone, Copy)]
pub enum Json<'a> {
    /// The value starting at the first node of this slice.
    Tape(&'a [Node<'a>]),
    Exact(&'a serde_json::Value),
}

/// What a value is, with scalars unpacked.
pub enum Kind<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    /// A number no machine type holds (`1e400`, `18446744073709551616`), as written.
    BigNumber(&'a str),
    Str(&'a str),
    Array(Elements<'a>),
    Object(Entries<'a>),
}

impl Kind<'_> {
    pub fn json_type(&self) -> JsonType {
        match self {
            Kind::Null => JsonType::Null,
            Kind::Bool(_) => JsonType::Bool,
            Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) | Kind::BigNumber(_) => JsonType::Number,
            Kind::Str(_) => JsonType::String,
            Kind::Array(_) => JsonType::Array,
            Kind::Object(_) => JsonType::Object,
        }
    }
}

/// Number of tape nodes the value at `nodes[0]` spans.
fn span(nodes: &[Node]) -> usize {
    match nodes[0] {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

impl<'a> Json<'a> {
    pub fn kind(self) -> Kind<'a> {
        match self {
            Json::Tape(nodes) => match nodes[0] {
                Node::String(s) => Kind::Str(s),
                Node::Static(StaticNode::Null) => Kind::Null,
                Node::Static(StaticNode::Bool(b)) => Kind::Bool(b),
                Node::Static(StaticNode::I64(i)) => Kind::Int(i),
                // simd-json tapes non-negative integers as u64; one kind per value keeps matches simple.
                Node::Static(StaticNode::U64(u)) => match i64::try_from(u) {
                    Ok(i) => Kind::Int(i),
                    Err(_) => Kind::UInt(u),
                },
                Node::Static(StaticNode::F64(f)) => Kind::Float(f),
                Node::Object { len, count } => Kind::Object(Entries::Tape {
                    nodes: &nodes[1..=count],
                    left: len,
                }),
                Node::Array { len, count } => Kind::Array(Elements::Tape {
                    nodes: &nodes[1..=count],
                    left: len,
                }),
            },
            Json::Exact(v) => match v {
                serde_json::Value::Null => Kind::Null,
                serde_json::Value::Bool(b) => Kind::Bool(*b),
                serde_json::Value::Number(n) => exact_number(n),
                serde_json::Value::String(s) => Kind::Str(s),
                serde_json::Value::Array(a) => Kind::Array(Elements::Exact(a.iter())),
                serde_json::Value::Object(o) => Kind::Object(Entries::Exact(o.iter())),
            },
        }
    }

    pub fn as_str(self) -> Option<&'a str> {
        match self.kind() {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string, when this is one on the tape (None otherwise, strings of the exact path
    /// included): a cheap first check for the common case.
    #[inline]
    pub fn as_str_fast(self) -> Option<&'a str> {
        match self {
            Json::Tape(nodes) => match nodes[0] {
                Node::String(s) => Some(s),
                _ => None,
            },
            Json::Exact(_) => None,
        }
    }

    pub fn is_null(self) -> bool {
        matches!(self.kind(), Kind::Null)
    }

    /// The value of `key` in an object (the last one when a key repeats); None otherwise.
    pub fn get(self, key: &str) -> Option<Json<'a>> {
        match self.kind() {
            Kind::Object(entries) => entries.filter(|(k, _)| *k == key).last().map(|(_, v)| v),
            _ => None,
        }
    }

    /// The values of several keys of an object in one pass over its entries (the last one
    /// when a key repeats, as `get`); all None when this is not an object.
    pub fn lookup<const N: usize>(self, keys: &[&str; N]) -> [Option<Json<'a>>; N] {
        let mut found = [None; N];
        if let Kind::Object(entries) = self.kind() {
            for (k, v) in entries {
                if let Some(i) = keys.iter().position(|key| *key == k) {
                    found[i] = Some(v);
                }
            }
        }
        found
    }

    /// Compact JSON text of this value, appended to `out`.
    pub fn write_json(self, out: &mut String) {
        match self.kind() {
            Kind::Null => out.push_str("null"),
            Kind::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Kind::Int(_) | Kind::UInt(_) | Kind::Float(_) | Kind::BigNumber(_) => {
                write_number_text(&self.kind(), out)
            }
            Kind::Str(s) => write_json_string(s, out),
            Kind::Array(elements) => {
                out.push('[');
                for (i, e) in elements.enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    e.write_json(out);
                }
                out.push(']');
            }
            Kind::Object(entries) => write_object(entries, out),
        }
    }
}

/// Writes `{"k":v,...}` for the given entries. A key that repeats is written once, at its
/// first position, with its last value (contract §2.8), as the reference's dicts do.
pub(crate) fn write_object<'a>(
    entries: impl Iterator<Item = (&'a str, Json<'a>)> + Clone,
    out: &mut String,
) {
    if has_repeated_key(entries.clone().map(|(k, _)| k)) {
        write_entries(dedup_entries(entries).into_iter(), out);
    } else {
        write_entries(entries, out);
    }
}

fn write_entries<'a>(entries: impl Iterator<Item = (&'a str, Json<'a>)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(k, out);
        out.push(':');
        v.write_json(out);
    }
    out.push('}');
}

/// Whether a key occurs twice. Repeated keys are rare and this runs for every object written,
/// so a 256-bit set of cheap key hashes answers "no" at once for most objects; only when two
/// hashes meet are the keys compared.
fn has_repeated_key<'a>(keys: impl Iterator<Item = &'a str> + Clone) -> bool {
    let bucket = |k: &str| {
        let b = k.as_bytes();
        let (first, last, mid) = match b {
            [] => (0, 0, 0),
            _ => (b[0], b[b.len() - 1], b[b.len() / 2]),
        };
        (b.len().wrapping_mul(31) ^ first as usize ^ (last as usize) << 2 ^ (mid as usize) << 4)
            & 255
    };
    let mut seen = [0u64; 4];
    let mut met = false;
    for k in keys.clone() {
        let h = bucket(k);
        let bit = 1u64 << (h & 63);
        if seen[h >> 6] & bit != 0 {
            met = true;
            break;
        }
        seen[h >> 6] |= bit;
    }
    if !met {
        return false;
    }
    let mut items: Vec<(&str, ())> = Vec::new();
    let mut index = KeyIndex::default();
    for k in keys {
        if index.find(&items, k).is_some() {
            return true;
        }
        items.push((k, ()));
        index.pushed(&items);
    }
    false
}

fn exact_number(n: &serde_json::Number) -> Kind<'_> {
    let text = n.as_str();
    let is_float = text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
    if !is_float {
        if let Some(i) = n.as_i64() {
            return Kind::Int(i);
        }
        if let Some(u) = n.as_u64() {
            return Kind::UInt(u);
        }
        return Kind::BigNumber(text);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Kind::Float(f),
        _ => Kind::BigNumber(text),
    }
}

/// The text of a number: integers in decimal, floats as Python's `repr` writes them but with a
/// Rust-style exponent (`1e16`, `1e-7`), big numbers exactly as written.
pub(crate) fn write_number_text(kind: &Kind, out: &mut String) {
    use std::fmt::Write;
    match kind {
        Kind::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Kind::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
        // Rust's Debug for f64 is the shortest round-trip text and switches to an exponent
        // at the same magnitudes as Python's repr (< 1e-4, >= 1e16).
        Kind::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Kind::BigNumber(s) => out.push_str(s),
        _ => {}
    }
}

pub(crate) fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    // Most strings need no escape: one branch-free pass (the compiler vectorises it), one copy.
    let needs_any = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs_any {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    while let Some(i) = find_escape(bytes, start) {
        out.push_str(&s[start..i]);
        let b = bytes[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The first byte at or after `from` that JSON must escape (`"`, `\\`, control characters).
/// Eight bytes at a time, because most strings need no escape at all.
fn find_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `w` is below `n` (n <= 128): exact as a yes/no answer.
    let has_less = |w: u64, n: u8| w.wrapping_sub(ONES * n as u64) & !w & HIGH != 0;
    let has_byte = |w: u64, b: u8| has_less(w ^ (ONES * b as u64), 1);
    let mut i = from;
    while i + 8 <= bytes.len() {
        let w = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        if has_less(w, 0x20) || has_byte(w, b'"') || has_byte(w, b'\\') {
            break;
        }
        i += 8;
    }
    let needs = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
    bytes[i..].iter().position(needs).map(|p| i + p)
}

/// The entries of an object, in document order (repeated keys included).
#[derive(Clone)]
pub enum Entries<'a> {
    Tape { nodes: &'a [Node<'a>], left: usize },
    Exact(serde_json::map::Iter<'a>),
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, Json<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Entries::Tape { nodes, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                let key = match nodes[0] {
                    Node::String(k) => k,
                    _ => "",
                };
                let value = &nodes[1..];
                let n = span(value);
                let item = (key, Json::Tape(&value[..n]));
                *nodes = &value[n..];
                Some(item)
            }
            Entries::Exact(it) => it.next().map(|(k, v)| (k.as_str(), Json::Exact(v))),
        }
    }
}

/// The elements of an array, in order.
pub enum Elements<'a> {
    Tape { nodes: &'a [Node<'a>], left: usize },
    Exact(std::slice::Iter<'a, serde_json::Value>),
}

impl<'a> Iterator for Elements<'a> {
    type Item = Json<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Elements::Tape { nodes, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                let n = span(nodes);
                let item = Json::Tape(&nodes[..n]);
                *nodes = &nodes[n..];
                Some(item)
            }
            Elements::Exact(it) => it.next().map(Json::Exact),
        }
    }
}

/// Entries with repeated keys folded: each key once, at its first position, with its last
/// value (what Python's dict and serde's map do, so both implementations agree).
pub(crate) fn dedup_entries<'a>(
    entries: impl Iterator<Item = (&'a str, Json<'a>)>,
) -> Vec<(&'a str, Json<'a>)> {
    let mut out: Vec<(&'a str, Json<'a>)> = Vec::new();
    let mut index = KeyIndex::default();
    for (k, v) in entries {
        match index.find(&out, k) {
            Some(i) => out[i].1 = v,
            None => {
                out.push((k, v));
                index.pushed(&out);
            }
        }
    }
    out
}

/// Finds a key among the keys of a list that grows: a scan while the list is short, a hash
/// index once it is long, so a hostile object or GET string with 100,000 distinct keys costs
/// linear time, not quadratic.
#[derive(Default)]
pub(crate) struct KeyIndex {
    map: Option<std::collections::HashMap<String, usize>>,
}

impl KeyIndex {
    const SCAN: usize = 16;

    /// The position of `key` in `items` (whose keys are distinct).
    pub(crate) fn find<K: AsRef<str>, V>(&mut self, items: &[(K, V)], key: &str) -> Option<usize> {
        if items.len() <= Self::SCAN {
            return items.iter().position(|(k, _)| k.as_ref() == key);
        }
        let map = self.map.get_or_insert_with(|| {
            items
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.as_ref().to_owned(), i))
                .collect()
        });
        map.get(key).copied()
    }

    /// Tells the index that `items` got one more (last) entry.
    pub(crate) fn pushed<K: AsRef<str>, V>(&mut self, items: &[(K, V)]) {
        if let (Some(map), Some((k, _))) = (self.map.as_mut(), items.last()) {
            map.insert(k.as_ref().to_owned(), items.len() - 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(text: &str) -> String {
        let mut p = Parser::default();
        let doc = p.parse(text.as_bytes()).unwrap();
        let mut out = String::new();
        doc.root().write_json(&mut out);
        out
    }

    #[test]
    fn compact_text_round_trips_values() {
        assert_eq!(
            compact(r#" {"a": [1, -2, 3.5, true, null], "b": {"c": "x\"y\n"}} "#),
            r#"{"a":[1,-2,3.5,true,null],"b":{"c":"x\"y\n"}}"#
        );
    }

    #[test]
    fn numbers_beyond_machine_types_take_the_exact_path_and_keep_their_text() {
        assert_eq!(compact(r#"{"a":1E400}"#), r#"{"a":1e+400}"#);
        assert_eq!(
            compact(r#"{"a":18446744073709551616}"#),
            r#"{"a":18446744073709551616}"#
        );
        assert_eq!(compact(r#"{"a":-0}"#), r#"{"a":0}"#);
    }

    #[test]
    fn thousand_levels_parse_and_one_more_is_too_deep() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Parser::default().parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            Parser::default().parse(deep.as_bytes()).err(),
            Some(JsonError::TooDeep)
        );
        // Deep and otherwise invalid: still refused without recursion.
        let bad = format!("{}1e400", "[".repeat(100_000));
        assert_eq!(
            Parser::default().parse(bad.as_bytes()).err(),
            Some(JsonError::TooDeep)
        );
    }

    #[test]
    fn invalid_json_is_an_error_not_a_panic() {
        for text in ["{", "{}{}", "NaN", r#"{"a":Infinity}"#, r#""\ud800""#, ""] {
            assert!(Parser::default().parse(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn repeated_keys_resolve_to_the_last_value() {
        let mut p = Parser::default();
        let doc = p.parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert!(matches!(doc.root().get("a").unwrap().kind(), Kind::Int(3)));
        let Kind::Object(e) = doc.root().kind() else {
            panic!()
        };
        let d = dedup_entries(e);
        assert_eq!(d.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn strings_are_escaped_wherever_the_byte_falls() {
        for pad in 0..20 {
            let p = "x".repeat(pad);
            let mut out = String::new();
            write_json_string(&format!("{p}\"{p}\\{p}\n{p}\u{1}{p}\u{7f}é"), &mut out);
            assert_eq!(out, format!("\"{p}\\\"{p}\\\\{p}\\n{p}\\u0001{p}\u{7f}é\""));
        }
    }

    #[test]
    fn lookup_finds_the_last_value_of_each_key_in_one_pass() {
        let mut p = Parser::default();
        let doc = p.parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        let [a, b, c] = doc.root().lookup(&["a", "b", "c"]);
        assert!(matches!(a.unwrap().kind(), Kind::Int(3)));
        assert!(matches!(b.unwrap().kind(), Kind::Int(2)));
        assert!(c.is_none());
    }

    #[test]
    fn key_index_agrees_with_a_scan_past_its_threshold() {
        let keys: Vec<String> = (0..100).map(|i| format!("k{}", i % 40)).collect();
        let mut items: Vec<(String, usize)> = Vec::new();
        let mut index = KeyIndex::default();
        for (n, k) in keys.iter().enumerate() {
            let scan = items.iter().position(|(seen, _)| seen == k);
            assert_eq!(index.find(&items, k), scan);
            match scan {
                Some(i) => items[i].1 = n,
                None => {
                    items.push((k.clone(), n));
                    index.pushed(&items);
                }
            }
        }
        assert_eq!(items.len(), 40);
        assert_eq!(items[0], ("k0".to_string(), 80));
    }

    #[test]
    fn repeated_keys_are_written_once_with_the_last_value_at_the_first_place() {
        assert_eq!(
            compact(r#"{"a":1,"b":{"x":1,"x":[2],"y":3},"a":{"c":4,"c":5}}"#),
            r#"{"a":{"c":5},"b":{"x":[2],"y":3}}"#
        );
        // Many keys, and keys whose cheap hashes meet without being equal.
        let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        let text = format!(
            "{{{}}}",
            keys.iter()
                .map(|k| format!("\"{k}\":1"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(compact(&text), text);
    }

    #[test]
    fn floats_are_written_like_python_repr() {
        let mut s = String::new();
        for f in [1.0, 1e16, 1e15, 0.0001, 1e-5, 1.5e300, -0.0] {
            write_number_text(&Kind::Float(f), &mut s);
            s.push(' ');
        }
        assert_eq!(s, "1.0 1e16 1000000000000000.0 0.0001 1e-5 1.5e300 -0.0 ");
    }
}
