"""Contract §2-§6: one physical line -> blank, reject or a record of column values
(src/record/). No Arrow here: ``columns`` turns records into batches.

- ``line``:         §2 the steps of one line; Row / Reject / BLANK / FILTERED (LineReader)
- ``event_filter``: §2a ``event_types=`` (EventTypeFilter)
- ``xxh3``:         §2 step 3, the XXH3-128 behind event_id, in pure Python
- ``json``:         §2 step 8 strict decoding with any decoder; §6 JSON text (src/record/json.rs)
- ``build``:        §3 a JSON object -> columns (build_record)
- ``source_text``:  §3 the line's own text of a top-level value (src/record/raw.rs)
- ``event``:        §4 the event payload and each family's fields (src/record/event.rs)
- ``get_payload``:  §4 GET-style answers (src/record/get_payload.rs)
- ``course``:       §5 course_id, org_id, user_id (src/record/course.rs)
- ``convert``:      §6 typed conversion (src/record/convert.rs)
- ``time``:         §6 the time rule (src/record/time.rs)
"""
