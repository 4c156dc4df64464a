//! Browser problem_check payloads: `key=value&key=value` (the GET style of the seed).
//! Keys are URL-decoded and lose `input_` and `[]` so they match the server's answer ids;
//! repeated keys (checkbox groups) collect their values in order.

use std::borrow::Cow;

use super::json::KeyIndex;

/// Decoded answers in first-seen key order.
pub(crate) type Answers<'a> = Vec<(Cow<'a, str>, Vec<Option<Cow<'a, str>>>)>;

pub fn decode_get_payload(text: &str) -> Answers<'_> {
    let mut answers: Answers = Vec::new();
    let mut index = KeyIndex::default();
    for piece in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let key = answer_key(form_decode(key));
        let value = form_decode(value);
        push_answers(&mut answers, &mut index, key, vec![Some(value)]);
    }
    answers
}

/// Adds values under `key`, keeping first-seen key order (`index` follows `answers`).
pub(crate) fn push_answers<'a>(
    answers: &mut Answers<'a>,
    index: &mut KeyIndex,
    key: Cow<'a, str>,
    values: Vec<Option<Cow<'a, str>>>,
) {
    match index.find(answers, &key) {
        Some(i) => answers[i].1.extend(values),
        None => {
            answers.push((key, values));
            index.pushed(answers);
        }
    }
}

/// `input_<id>[]` → `<id>`: the browser's form names, reduced to the server's answer ids.
pub(crate) fn answer_key(key: Cow<'_, str>) -> Cow<'_, str> {
    fn trim(k: &str) -> &str {
        let k = k.strip_prefix("input_").unwrap_or(k);
        k.strip_suffix("[]").unwrap_or(k)
    }
    match key {
        Cow::Borrowed(k) => Cow::Borrowed(trim(k)),
        Cow::Owned(k) if trim(&k).len() == k.len() => Cow::Owned(k),
        Cow::Owned(k) => Cow::Owned(trim(&k).to_owned()),
    }
}

/// application/x-www-form-urlencoded decoding: `+` is a space, `%XX` a byte; invalid `%`
/// sequences stay as they are; bytes that are not UTF-8 become U+FFFD.
fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(a: &Answers) -> Vec<(String, Vec<String>)> {
        a.iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.iter()
                        .map(|x| x.as_deref().unwrap_or("<null>").to_string())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn unquoted_url_encoded_checkboxes_collect_in_order() {
        let a = decode_get_payload(
            "input_problem1_2_1%5B%5D=choice_1&input_problem1_2_1%5B%5D=choice_3&input_problem1_3_1=choice_2",
        );
        assert_eq!(
            flat(&a),
            [
                (
                    "problem1_2_1".into(),
                    vec!["choice_1".into(), "choice_3".into()]
                ),
                ("problem1_3_1".into(), vec!["choice_2".into()]),
            ]
        );
    }

    #[test]
    fn many_distinct_keys_keep_their_order_and_values() {
        // 100,000 keys: a linear scan per key (the fuzzers' find) would take minutes here.
        let text: String = (0..100_000)
            .map(|i| format!("input_k{i}[]={i}&input_k{}[]=x&", i % 7))
            .collect();
        let a = decode_get_payload(&text);
        assert_eq!(a.len(), 100_000);
        assert_eq!(a[5].0, "k5");
        assert_eq!(
            a[5].1.len(),
            1 + (0..100_000).filter(|i| i % 7 == 5).count()
        );
        assert_eq!(a[99_999].1, vec![Some(Cow::Borrowed("99999"))]);
    }

    #[test]
    fn plus_is_space_and_utf8_is_decoded() {
        let a = decode_get_payload("input_x=a+b%20c&input_y=%E4%B8%AD%E6%96%87&input_z=%ZZ%");
        assert_eq!(
            flat(&a),
            [
                ("x".into(), vec!["a b c".into()]),
                ("y".into(), vec!["中文".into()]),
                ("z".into(), vec!["%ZZ%".into()]),
            ]
        );
    }

    #[test]
    fn pieces_without_equals_and_empty_pieces() {
        let a = decode_get_payload("&&input_a&input_b=1&");
        assert_eq!(
            flat(&a),
            [
                ("a".into(), vec!["".into()]),
                ("b".into(), vec!["1".into()])
            ]
        );
    }

    #[test]
    fn invalid_utf8_after_percent_decoding_is_replaced() {
        let a = decode_get_payload("k=%FF");
        assert_eq!(flat(&a), [("k".into(), vec!["\u{fffd}".into()])]);
    }
}
