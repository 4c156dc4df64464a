//! Timestamps: `YYYY-MM-DD[T ]hh:mm:ss[.f{1,9}][Z|±hh:mm|±hhmm]` → microseconds since the epoch, UTC.
//! No offset means UTC (the seed says the time is GMT). Extra fraction digits are truncated.

/// Microseconds since 1970-01-01T00:00:00Z, or None when the text is not a timestamp.
pub fn parse_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0i64;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        for i in 0..6 {
            micros = micros * 10
                + frac
                    .get(i)
                    .filter(|_| i < n)
                    .map_or(0, |d| (d - b'0') as i64);
        }
        rest = &frac[n..];
    }
    let offset_seconds = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 3600 + m * 60) as i64;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year as i64, month, day);
    let seconds = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset_seconds;
    Some(seconds * 1_000_000 + micros)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    const T0: i64 = 1_399_046_545_000_000; // 2014-05-02T16:02:25Z

    #[test]
    fn accepts_the_forms_seen_in_real_logs() {
        assert_eq!(
            parse_time("2014-05-02T16:02:25.143912+00:00"),
            Some(T0 + 143_912)
        );
        assert_eq!(parse_time("2014-05-02T16:02:25.143912"), Some(T0 + 143_912));
        assert_eq!(parse_time("2014-05-02T16:02:25"), Some(T0));
        assert_eq!(parse_time("2014-05-02 16:02:25Z"), Some(T0));
        assert_eq!(parse_time("2014-05-02T16:02:25.1"), Some(T0 + 100_000));
        assert_eq!(
            parse_time("2014-05-02T16:02:25.123456789Z"),
            Some(T0 + 123_456)
        );
    }

    #[test]
    fn offsets_shift_to_utc() {
        assert_eq!(parse_time("2014-05-02T18:02:25+02:00"), Some(T0));
        assert_eq!(parse_time("2014-05-02T11:02:25-0500"), Some(T0));
    }

    #[test]
    fn dates_before_the_epoch_and_leap_days() {
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), Some(-1_000_000));
        assert!(parse_time("2016-02-29T00:00:00").is_some());
        assert!(parse_time("2015-02-29T00:00:00").is_none());
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for t in [
            "",
            "2014-05-02",
            "2014-05-02T16:02",
            "2014-13-02T16:02:25",
            "2014-05-02T24:00:00",
            "2014-05-02T16:02:60",
            "2014-05-02T16:02:25.",
            "2014-05-02T16:02:25.1234567890",
            "2014-05-02T16:02:25+0",
            "2014-05-02X16:02:25",
            "2014-05-02T16:02:25 ",
            "２０１４-05-02T16:02:25",
        ] {
            assert_eq!(parse_time(t), None, "{t:?}");
        }
    }
}
