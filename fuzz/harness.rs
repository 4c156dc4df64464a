//! The checks behind every fuzz target, one function per target.
//!
//! Included (`#[path]`) by the targets in `fuzz/fuzz_targets/` and by
//! `tests/fuzz_regressions.rs`, which replays the saved inputs of `fuzz/regressions/<target>/`
//! under plain stable `cargo test`. Each function must never panic on any input; the
//! `assert!`s are invariants of the contract (docs/contract.md), cheap enough to run per input.
#![allow(dead_code)]

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arrow_array::{
    Array, Float64Array, Int64Array, ListArray, MapArray, RecordBatch, StringArray, StructArray,
};
// The internals come from `edxlog::fuzzing` (the `fuzzing` feature; not a stable API).
use edxlog::fuzzing::{
    decode_get_payload, event_id, lines_of, parse_time, read_input, trim_line, BatchBuilder,
    Control, Counters, Event, Input, LineReader, Member, NotARow, Origin, Piece, Record,
    SplitLimits, Warning,
};
use edxlog::{schema, OnError, Options, Pipeline, Spec, RAW_LIMIT};

// ---------------------------------------------------------------------------------------------
// Shared checks

/// JSON text columns (`context`, `extra`, `state`, a non-string `event`) must be JSON.
fn assert_json(what: &str, text: &str) {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let parsed: Result<serde_json::Value, _> =
        serde::Deserialize::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    if let Err(e) = parsed {
        panic!("{what} is not JSON ({e}): {text:?}");
    }
}

fn check_record(raw: &[u8], rec: &Record<'_>) {
    assert_eq!(rec.event_id, event_id(trim_line(raw).0), "event_id");
}

fn column<'b, T: 'static>(batch: &'b RecordBatch, name: &str) -> Option<&'b T> {
    batch.column_by_name(name).map(|c| {
        c.as_any()
            .downcast_ref::<T>()
            .unwrap_or_else(|| panic!("{name} has another type"))
    })
}

/// A batch is THE schema (or a projection) and every column passes Arrow's full validation;
/// the values keep the contract's invariants.
fn check_batch(batch: &RecordBatch) {
    for (i, col) in batch.columns().iter().enumerate() {
        if let Err(e) = col.to_data().validate_full() {
            panic!("column {} invalid: {e}", batch.schema().field(i).name());
        }
        assert_eq!(col.len(), batch.num_rows());
    }
    for name in ["context", "extra", "state"] {
        if let Some(texts) = column::<StringArray>(batch, name) {
            for t in texts.iter().flatten() {
                assert_json(name, t);
            }
        }
    }
    if let Some(times) = column::<Float64Array>(batch, "video_time") {
        assert!(
            times.iter().flatten().all(f64::is_finite),
            "video_time not finite"
        );
    }
    if let Some(cm) = column::<ListArray>(batch, "correct_map") {
        let entries = cm.values().as_any().downcast_ref::<StructArray>().unwrap();
        let npoints = entries
            .column_by_name("npoints")
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert!(
            npoints.iter().flatten().all(f64::is_finite),
            "npoints not finite"
        );
    }
    if let Some(answers) = column::<MapArray>(batch, "answers") {
        let keys = answers
            .keys()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let values = answers
            .values()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        for row in 0..answers.len() {
            if answers.is_null(row) {
                continue;
            }
            let offsets = answers.value_offsets();
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            assert!(end > start, "answers is not null but empty: must be null");
            for i in start..end {
                assert!(values.value_length(i) > 0, "answers key without values");
                let k = keys.value(i);
                assert!(
                    (start..i).all(|j| keys.value(j) != k),
                    "answers key {k:?} twice"
                );
            }
        }
    }
    if let Some(warnings) = column::<ListArray>(batch, "warnings") {
        let texts = warnings
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert!(
            texts.iter().flatten().all(|t| !t.is_empty()),
            "an empty warning"
        );
        for row in 0..warnings.len() {
            if warnings.is_valid(row) {
                assert!(
                    warnings.value_length(row) > 0,
                    "warnings not null but empty"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (a) line → record → column builders → batch

/// Every `\n`-separated line of `data` through one `LineReader` into one `BatchBuilder`.
pub fn line_record(data: &[u8]) {
    let mut reader = LineReader::default();
    let mut builder = BatchBuilder::default();
    let (mut lines, mut rows, mut rejects, mut blank) = (0u64, 0u64, 0u64, 0u64);
    for raw in lines_of(data) {
        lines += 1;
        let mut appended = 0;
        let outcome = reader.read_line(raw, |rec| {
            check_record(raw, rec);
            builder.append("fuzz", Some("server"), lines, rec);
            appended += 1;
        });
        match outcome {
            Ok(()) => {
                assert_eq!(appended, 1, "a row is handed on exactly once");
                rows += 1;
            }
            Err(NotARow::Blank) => {
                assert_eq!(appended, 0);
                assert!(trim_line(raw).0.is_empty(), "blank but not empty");
                blank += 1;
            }
            Err(NotARow::Reject(e)) => {
                assert_eq!(appended, 0);
                assert!(!e.to_string().is_empty(), "a reject says why");
                rejects += 1;
            }
            Err(NotARow::Filtered) => panic!("no event_types filter was given"),
        }
    }
    assert_eq!(lines, rows + rejects + blank);
    assert_eq!(builder.len() as u64, rows);
    let batch = builder.finish().expect("a batch of appended records");
    assert_eq!(batch.num_rows() as u64, rows);
    assert_eq!(batch.schema(), schema());
    check_batch(&batch);
    // The builder starts afresh.
    assert!(builder.is_empty());
    assert_eq!(builder.finish().expect("an empty batch").num_rows(), 0);
}

// ---------------------------------------------------------------------------------------------
// (b) embedded event decoder

/// Event types of every family (contract §4).
const EVENT_TYPES: [&str; 14] = [
    "problem_check",
    "problem_save",
    "problem_graded",
    "problem_show",
    "play_video",
    "edx.video.paused",
    "book",
    "seq_goto",
    "rubric_select",
    "oe_feedback_response_selected",
    "peer_grading_hide_question",
    "staff_grading_show_question",
    "page_close",
    "",
];

/// Input: one selector byte; below 14 it picks an event type of `EVENT_TYPES` and the rest is
/// the event text; otherwise the rest is `event_type \n event text`.
pub fn split_event_input(data: &[u8]) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let (&sel, rest) = data.split_first()?;
    let (event_type, text) = match EVENT_TYPES.get(sel as usize) {
        Some(t) => (Cow::Borrowed(*t), rest),
        None => {
            let nl = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            (
                String::from_utf8_lossy(&rest[..nl]),
                rest.get(nl + 1..).unwrap_or_default(),
            )
        }
    };
    Some((event_type, String::from_utf8_lossy(text)))
}

/// The event text as a string event (the usual case: decode_string of contract §4) and, when
/// it is JSON, as the event value itself, each in a line of its own through the reader and
/// the builder.
pub fn event(data: &[u8]) {
    let Some((event_type, text)) = split_event_input(data) else {
        return;
    };
    let quote = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let mut lines = vec![format!(
        r#"{{"event_type":{},"event":{}}}"#,
        quote(&event_type),
        quote(&text)
    )];
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        lines.push(format!(
            r#"{{"event_type":{},"event":{text}}}"#,
            quote(&event_type)
        ));
    }
    let mut reader = LineReader::default();
    let mut builder = BatchBuilder::default();
    for (i, line) in lines.iter().enumerate() {
        let outcome = reader.read_line(line.as_bytes(), |rec| {
            // Only text that starts like JSON can "look like JSON but not decode" (a quoted
            // string counts: its decoded content is decoded again, contract §4).
            if i == 0 && rec.payload_warnings.0.contains(&Warning::EventUndecodable) {
                let first = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
                assert!(
                    first.starts_with(['{', '[', '"']),
                    "undecodable warning for a text that does not look like JSON"
                );
            }
            builder.append("fuzz", None, i as u64 + 1, rec);
        });
        // The string line is always JSON; the value line is too deep at worst.
        match outcome {
            Ok(()) => {}
            Err(NotARow::Reject(e)) if i > 0 => assert!(!e.to_string().is_empty()),
            Err(other) => panic!("line {i} of an event: {other:?}"),
        }
    }
    let rows = builder.len();
    let batch = builder.finish().expect("a batch of event fields");
    assert_eq!(batch.num_rows(), rows);
    check_batch(&batch);
}

// ---------------------------------------------------------------------------------------------
// (c) GET payload decoder

pub fn get_payload(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let answers = decode_get_payload(&text);
    let pieces: Vec<&str> = text.split('&').filter(|p| !p.is_empty()).collect();
    let values: usize = answers.iter().map(|(_, v)| v.len()).sum();
    assert_eq!(values, pieces.len(), "one value per non-empty piece");
    for (i, (k, v)) in answers.iter().enumerate() {
        assert!(!v.is_empty());
        assert!(v.iter().all(Option::is_some), "GET values are never null");
        assert!(answers[..i].iter().all(|(seen, _)| seen != k), "key twice");
    }
    // Without `+` or `%` nothing is decoded: the first value of the first piece is verbatim.
    if let Some(first) = pieces.first() {
        let (key, value) = first.split_once('=').unwrap_or((first, ""));
        if !first.contains(['+', '%']) {
            let key = key.strip_prefix("input_").unwrap_or(key);
            let key = key.strip_suffix("[]").unwrap_or(key);
            assert_eq!(answers[0].0, key);
            assert_eq!(answers[0].1[0].as_deref(), Some(value));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (d) time parser

/// Civil date of days since 1970-01-01 (Howard Hinnant's `civil_from_days`), an independent
/// inverse of the parser's `days_from_civil`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub fn time(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        // The parser takes &str; lossy text is another input of the same function.
        let lossy = String::from_utf8_lossy(data);
        assert!(parse_time(&lossy).is_none() || lossy.is_ascii());
        return;
    };
    let Some(micros) = parse_time(text) else {
        return;
    };
    // Accepted text is ASCII of 19 (no fraction, no offset) to 35 bytes.
    assert!(text.is_ascii(), "accepted non-ASCII {text:?}");
    assert!(
        (19..=35).contains(&text.len()),
        "accepted length {}",
        text.len()
    );
    // `T` and a space are the same separator.
    let mut other = text.as_bytes().to_vec();
    other[10] = if other[10] == b'T' { b' ' } else { b'T' };
    assert_eq!(
        parse_time(std::str::from_utf8(&other).unwrap()),
        Some(micros)
    );
    // The canonical UTC text of the value parses back to the same value.
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    if (0..=9999).contains(&y) {
        let canon = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        );
        assert_eq!(parse_time(&canon), Some(micros), "{text:?} → {canon:?}");
        // Without an offset the date and time fields are the text's own.
        if !text[19..].contains(['+', '-']) {
            assert_eq!(&canon[..10], &text[..10], "date of {text:?}");
            assert_eq!(&canon[11..19], &text[11..19], "time of {text:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (e) archive reader: bytes as a file, through gzip/tar sniffing to pieces of lines

const LIMITS: SplitLimits = SplitLimits {
    max_lines: 16,
    max_bytes: 4096,
    max_line_bytes: 1024,
};

pub fn archive(data: &[u8]) {
    let input = Input {
        origin: Origin::Stream(Box::new(Cursor::new(data.to_vec()))),
        name: "fuzz.bin".into(),
        server: None,
    };
    let counters = Counters::default();
    let never_cancelled = AtomicBool::new(false);
    let ctl = Control {
        counters: &counters,
        cancel: &never_cancelled,
    };
    // The member being read, the number its next line will have, and whether damage that
    // reading did not resume after has ended it.
    let mut current: Option<(Arc<Member>, u64, bool)> = None;
    let mut members = 0u64;
    let mut last_archive_damage_at = None;
    // Whole-member reading (0 turns it off) is fuzzed through the `pipeline` target.
    let finished = read_input(input, ctl, LIMITS, 0, &mut |event| {
        match event {
            Event::Member(m) => {
                members += 1;
                assert!(m.warning.is_none(), "warnings only for members read whole");
                current = Some((m, 1, false));
            }
            Event::Piece(m, piece) => {
                let (cur, next, ended) = current.as_mut().expect("a piece outside a member");
                assert!(Arc::ptr_eq(cur, &m), "a piece of another member");
                assert!(!*ended, "a piece after damage that ended the member");
                match piece {
                    Piece::Lines {
                        first_line,
                        count,
                        data,
                    } => {
                        assert_eq!(first_line, *next, "line numbers are contiguous");
                        assert!(count > 0 && count as usize <= LIMITS.max_lines);
                        assert_eq!(lines_of(&data).count() as u64, count);
                        for line in lines_of(&data) {
                            assert!(line.len() <= LIMITS.max_line_bytes, "line over limit");
                        }
                        *next += count;
                    }
                    Piece::LongLine { line, len, head } => {
                        assert_eq!(line, *next, "line numbers are contiguous");
                        assert!(len as usize > LIMITS.max_line_bytes);
                        assert!(head.len() <= RAW_LIMIT && head.len() as u64 <= len);
                        *next += 1;
                    }
                }
            }
            Event::Corrupt {
                member,
                line,
                message,
            } => {
                assert!(!message.is_empty());
                match current.as_mut() {
                    Some((cur, next, ended)) if Arc::ptr_eq(cur, &member) => {
                        assert!(!*ended, "damage after damage that ended the member");
                        assert_eq!(line, *next, "damage is numbered as the next line");
                        // Gzip damage that reading resumed after: the lines go on after it.
                        *next += 1;
                        *ended = !message.contains("to the next gzip member")
                            && !message.contains("the next gzip member follows");
                    }
                    _ => {
                        // Damage of the tar archive itself: one reject per damaged span, at
                        // offsets that never go back (decompressed: a small .tar.gz can hold
                        // many; two gzip damages with no byte between them share one).
                        assert_eq!(line, 1);
                        assert_eq!(member.source, "fuzz.bin");
                        let at: u64 = message
                            .rsplit("(at decompressed byte ")
                            .next()
                            .and_then(|t| t.split(' ').next())
                            .and_then(|n| n.parse().ok())
                            .expect("an archive damage names its offset");
                        assert!(last_archive_damage_at <= Some(at), "{message}");
                        last_archive_damage_at = Some(at);
                    }
                }
            }
            Event::NotLogs { member, .. } => {
                let (cur, next, _) = current.as_ref().expect("not-logs outside a member");
                assert!(
                    Arc::ptr_eq(cur, &member) && *next == 1,
                    "not-logs before lines"
                );
            }
            Event::Failed(e) => panic!("an in-memory stream cannot fail: {e}"),
            Event::Whole(..) => panic!("whole members are off"),
        }
        true
    });
    assert!(finished, "nobody asked to stop");
    assert_eq!(counters.members.load(Ordering::Relaxed), members);
    assert!(counters.bytes_in.load(Ordering::Relaxed) <= data.len() as u64);
}

// ---------------------------------------------------------------------------------------------
// (e') the whole pipeline: bytes as a stream → batches, stats and rejects

pub fn pipeline(data: &[u8]) {
    let spec = Spec::Stream {
        name: "fuzz.bin".into(),
        server: None,
        reader: Box::new(Cursor::new(data.to_vec())),
    };
    let options = Options {
        batch_size: 7,
        threads: Some(1),
        columns: None,
        on_error: OnError::Skip,
        max_line_bytes: 2048,
        ..Options::default()
    };
    let mut p = Pipeline::start(vec![spec], options).expect("a stream always starts");
    let mut rows = 0u64;
    // Rows of one source whose line does not follow the previous row's: a new member of the
    // same name (a tar may hold a path twice), never more of them than members.
    let mut restarts = 0u64;
    for batch in p.by_ref() {
        let batch = batch.expect("with on_error=skip damage is never an error");
        assert!(batch.num_rows() > 0 && batch.num_rows() <= 7);
        assert_eq!(batch.schema(), schema());
        check_batch(&batch);
        rows += batch.num_rows() as u64;
        // A batch may span members; within one member's run of rows, lines increase from 1 up.
        // A run of one name only restarts where another member of that name begins.
        let lines = batch
            .column(2)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("line is int64");
        let sources = batch
            .column(0)
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("source is utf8");
        assert!(lines.null_count() == 0 && lines.values().iter().all(|&l| l >= 1));
        for i in 1..batch.num_rows() {
            if sources.value(i) == sources.value(i - 1) && lines.value(i - 1) >= lines.value(i) {
                restarts += 1;
            }
        }
    }
    let shared = p.shared();
    let stats = shared.stats();
    let rejects = shared.rejects();
    assert_eq!(
        stats.lines,
        stats.rows + stats.rejects + stats.blank,
        "{stats:?}"
    );
    assert_eq!(stats.rows, rows);
    assert!(
        restarts < stats.members.max(1),
        "rows of a member in line order: {restarts} restarts, {} members",
        stats.members
    );
    assert_eq!(stats.rejects, rejects.len() as u64);
    for r in &rejects {
        assert!(r.raw.len() <= RAW_LIMIT);
        assert!(r.line >= 1);
        assert!(!r.error.is_empty());
    }
    assert!(stats.bytes_in <= data.len() as u64);
}
