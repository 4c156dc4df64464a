//! course_id and org_id when `context` does not give them: found in page URLs and in
//! URL-shaped event types, in both the `course-v1:Org+Num+Run` and `Org/Num/Run` forms.

/// The course id in a URL: the first `course-v1:`/`ccx-v1:` id anywhere (with at least two
/// `+`), else the first `/courses/<org>/<num>/<run>`.
pub(crate) fn course_id_from_url(url: &str) -> Option<&str> {
    keyed_course_id(url).or_else(|| slash_course_id(url))
}

/// Where an id in a URL ends: `/ ? #` or ASCII whitespace (as Python's `str.split()` sees it
/// in ASCII, so the reference agrees).
fn is_end(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'
    )
}

/// The leftmost `course-v1:` or `ccx-v1:` id with at least two `+`. Found from the colons,
/// which most URLs have few of, rather than by searching for either prefix.
fn keyed_course_id(url: &str) -> Option<&str> {
    let bytes = url.as_bytes();
    memchr::memchr_iter(b':', bytes).find_map(|colon| {
        let start = ["course-v1", "ccx-v1"]
            .iter()
            .find(|p| bytes[..colon].ends_with(p.as_bytes()))
            .map(|p| colon - p.len())?;
        let rest = &url[start..];
        let id = &rest[..rest.find(is_end).unwrap_or(rest.len())];
        (id.bytes().filter(|&b| b == b'+').count() >= 2).then_some(id)
    })
}

fn slash_course_id(url: &str) -> Option<&str> {
    static COURSES: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = COURSES.get_or_init(|| memchr::memmem::Finder::new(b"/courses/"));
    let mut from = 0;
    while let Some(pos) = finder.find(&url.as_bytes()[from..]) {
        let start = from + pos + "/courses/".len();
        let rest = &url[start..];
        let mut end = 0;
        let mut ok = true;
        for segment in 0..3 {
            let seg_len = rest[end..].find(is_end).unwrap_or(rest.len() - end);
            if seg_len == 0 {
                ok = false;
                break;
            }
            end += seg_len;
            if segment < 2 {
                if !rest[end..].starts_with('/') {
                    ok = false;
                    break;
                }
                end += 1;
            }
        }
        if ok {
            return Some(&rest[..end]);
        }
        from = start;
    }
    None
}

/// The organisation of a course id: `course-v1:Org+...` (any `*-v1:` key) → `Org`,
/// `Org/Num/Run` → `Org`.
pub(crate) fn org_from_course_id(course_id: &str) -> Option<&str> {
    let org = match course_id.split_once(':') {
        Some((kind, rest)) if kind.ends_with("-v1") => rest.split_once('+')?.0,
        _ => course_id.split_once('/')?.0,
    };
    (!org.is_empty()).then_some(org)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_v1_ids_anywhere_in_a_path() {
        let cases = [
            (
                "/courses/course-v1:edX+DemoX+Demo_Course/courseware/x/",
                "course-v1:edX+DemoX+Demo_Course",
            ),
            (
                "https://studio.example/course/course-v1:MITx+6.00x+2T2015?x=1",
                "course-v1:MITx+6.00x+2T2015",
            ),
            ("/assets/course-v1:A+B+C/", "course-v1:A+B+C"),
            ("/ccx-v1:X+Y+Z+ccx@3/course-v1:A+B+C", "ccx-v1:X+Y+Z+ccx@3"),
            ("/courses/course-v1:A+B+C\u{a0}x/", "course-v1:A+B+C\u{a0}x"),
            (
                "/x/block-v1:A+B+C+type@problem+block@1/handler/course-v1:O+N+R",
                "course-v1:O+N+R",
            ),
        ];
        for (url, want) in cases {
            assert_eq!(course_id_from_url(url), Some(want), "{url}");
        }
    }

    #[test]
    fn slash_form_needs_three_segments() {
        assert_eq!(
            course_id_from_url("http://x/courses/MITx/6.002x/2012_Fall/courseware"),
            Some("MITx/6.002x/2012_Fall")
        );
        assert_eq!(
            course_id_from_url("/courses/edX/E929/2014_T2"),
            Some("edX/E929/2014_T2")
        );
        assert_eq!(course_id_from_url("/courses/edX/E929/"), None);
        assert_eq!(course_id_from_url("/courses/edX//x/"), None);
        assert_eq!(course_id_from_url("/dashboard"), None);
        assert_eq!(course_id_from_url("course-v1:only+one"), None);
        // An id with too few `+` is passed over for a later one.
        assert_eq!(
            course_id_from_url("/x/course-v1:a+b/ccx-v1:c+d+e/"),
            Some("ccx-v1:c+d+e")
        );
        assert_eq!(
            course_id_from_url("https://x/ccx-v1:c+d+e"),
            Some("ccx-v1:c+d+e")
        );
    }

    #[test]
    fn org_of_both_forms() {
        assert_eq!(org_from_course_id("course-v1:edX+DemoX+Demo"), Some("edX"));
        assert_eq!(org_from_course_id("MITx/6.002x/2012_Fall"), Some("MITx"));
        assert_eq!(org_from_course_id("nothing"), None);
        assert_eq!(org_from_course_id("library-v1:a"), None);
        assert_eq!(org_from_course_id("{\"a\": 1"), None);
        assert_eq!(org_from_course_id("ccx-v1:O+N+R+ccx@1"), Some("O"));
    }
}
