"""The baselines edxlog is measured against, written the way their users write them.

``plain_python``: what a researcher writes without edxlog: the standard library's tarfile and
gzip, ``json.loads`` (or ``orjson.loads``) per line, the ``event`` string decoded, the GET
payload of a browser ``problem_check`` parsed with ``urllib.parse.parse_qs``, columns built in
lists. It skips what it cannot parse (counted), as such scripts do; it does not do edxlog's
warnings, rejects table, ``event_id`` or correct_map columns.

``duckdb_job``: DuckDB ``read_json`` on the members extracted to files, doing *part* of the job:
the common fields, ``time`` as TIMESTAMPTZ, ``course_id``/``org_id``/``user_id`` from the
context, ``event`` as text and decoded when it is a JSON string, a few payload fields.

Neither is ``edxlog.reference``: that is the contract's executable specification (pure Python,
XXH3 included), kept in the tables as the oracle, not as the speed baseline.
"""

from __future__ import annotations

import gzip
import json
import tarfile
from datetime import datetime
from urllib.parse import parse_qs

# the top-level fields every row gets, in the order a user would list them
TOP_LEVEL = ("username", "session", "ip", "agent", "host", "referer", "accept_language", "page",
             "event_source", "event_type", "name")
COLUMNS = TOP_LEVEL + ("time", "course_id", "org_id", "user_id", "path", "event", "problem_id",
                       "video_id", "video_time", "seq_old", "seq_new", "answers")


def plain_python(path, loads=json.loads) -> tuple:
    """Read a tar of (gzipped or plain) daily logs into a dict of column lists.
    -> (columns, number of rows, number of lines skipped)."""
    cols = {name: [] for name in COLUMNS}
    skipped = 0
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            f = tar.extractfile(member)
            if member.name.endswith(".gz"):
                f = gzip.GzipFile(fileobj=f)
            for raw in f:
                if not raw.strip():
                    continue
                try:
                    rec = loads(raw)
                except ValueError:
                    skipped += 1
                    continue
                if not isinstance(rec, dict):
                    skipped += 1
                    continue
                add_row(cols, rec, loads)
    return cols, len(cols["time"]), skipped


def add_row(cols, rec, loads) -> None:
    for key in TOP_LEVEL:
        cols[key].append(rec.get(key))
    t = rec.get("time")
    try:
        cols["time"].append(datetime.fromisoformat(t) if t else None)
    except (TypeError, ValueError):
        cols["time"].append(None)
    ctx = rec.get("context")
    if not isinstance(ctx, dict):
        ctx = {}
    cols["course_id"].append(ctx.get("course_id"))
    cols["org_id"].append(ctx.get("org_id"))
    uid = ctx.get("user_id")
    cols["user_id"].append(uid if isinstance(uid, int) else (int(uid) if isinstance(uid, str) and uid.isdigit() else None))
    cols["path"].append(ctx.get("path"))

    # the event: browser events and implicit URL events hold it as a JSON string
    ev = rec.get("event")
    payload = ev
    if isinstance(ev, str):
        cols["event"].append(ev)
        try:
            payload = loads(ev) if ev else None
        except ValueError:
            payload = None
    else:
        cols["event"].append(json.dumps(ev) if ev is not None else None)

    answers = None
    if isinstance(payload, str):            # a quoted GET string (2013-14 problem_check)
        ev = payload
        payload = None
    if payload is None and isinstance(ev, str) and "=" in ev and rec.get("event_type") == "problem_check":
        answers = parse_qs(ev)               # "input_<id>_2_1=choice_1&input_<id>_3_1%5B%5D=..."
    elif isinstance(payload, dict) and isinstance(payload.get("answers"), dict):
        answers = payload["answers"]
    cols["answers"].append(answers)
    if not isinstance(payload, dict):
        payload = {}
    cols["problem_id"].append(payload.get("problem_id"))
    etype = rec.get("event_type") or ""
    video = etype.endswith("_video") or etype.startswith("edx.video.")
    cols["video_id"].append(payload.get("id") if video else None)
    t = payload.get("currentTime", payload.get("current_time")) if video else None
    cols["video_time"].append(float(t) if isinstance(t, (int, float, str)) and _is_number(t) else None)
    seq = etype.startswith("seq_")
    cols["seq_old"].append(payload.get("old") if seq else None)
    cols["seq_new"].append(payload.get("new") if seq else None)


def _is_number(v) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


DUCKDB_SQL = r"""
CREATE OR REPLACE TABLE bench AS
WITH raw AS (
  SELECT * FROM read_json($files, format = 'newline_delimited', ignore_errors = true,
    maximum_object_size = 67108864,
    columns = {'username': 'VARCHAR', 'session': 'VARCHAR', 'time': 'VARCHAR', 'ip': 'VARCHAR',
               'agent': 'VARCHAR', 'page': 'VARCHAR', 'host': 'VARCHAR', 'referer': 'VARCHAR',
               'accept_language': 'VARCHAR', 'event_source': 'VARCHAR', 'event_type': 'VARCHAR',
               'name': 'VARCHAR', 'context': 'JSON', 'event': 'JSON'})
), p AS (
  SELECT *,
    -- the payload: the object itself, or the JSON a string event encodes (NULL if it does not)
    CASE WHEN json_type(event) = 'VARCHAR' THEN TRY_CAST(event ->> '$' AS JSON) ELSE event END AS payload,
    (event_type LIKE '%\_video' ESCAPE '\' OR event_type LIKE 'edx.video.%') AS is_video,
    (event_type LIKE 'seq\_%' ESCAPE '\') AS is_seq
  FROM raw
)
SELECT username, session, TRY_CAST(time AS TIMESTAMPTZ) AS time, ip, agent, page, host, referer,
  accept_language, event_source, event_type, name,
  context ->> 'course_id' AS course_id,
  context ->> 'org_id' AS org_id,
  TRY_CAST(context ->> 'user_id' AS BIGINT) AS user_id,
  context ->> 'path' AS path,
  CAST(context AS VARCHAR) AS context,
  CASE WHEN json_type(event) = 'VARCHAR' THEN event ->> '$' ELSE CAST(event AS VARCHAR) END AS event,
  payload ->> 'problem_id' AS problem_id,
  CASE WHEN is_video THEN payload ->> 'id' END AS video_id,
  CASE WHEN is_video THEN payload ->> 'code' END AS video_code,
  CASE WHEN is_video THEN TRY_CAST(COALESCE(payload ->> 'currentTime', payload ->> 'current_time') AS DOUBLE) END AS video_time,
  CASE WHEN is_seq THEN payload ->> 'id' END AS seq_id,
  CASE WHEN is_seq THEN TRY_CAST(payload ->> 'old' AS BIGINT) END AS seq_old,
  CASE WHEN is_seq THEN TRY_CAST(payload ->> 'new' AS BIGINT) END AS seq_new
FROM p
"""


def duckdb_job(files, threads) -> tuple:
    """Run the DuckDB job on extracted member files (.log or .log.gz) with `threads` threads,
    materialised as a table. -> (rows, rows that are all-null in event_type/username/time)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET threads = %d" % threads)
        con.execute("SET preserve_insertion_order = true")
        con.execute(DUCKDB_SQL, {"files": list(files)})
        n, nulls = con.execute("SELECT count(*), count(*) FILTER (WHERE event_type IS NULL "
                               "AND username IS NULL AND time IS NULL) FROM bench").fetchone()
        con.execute("DROP TABLE bench")
        return n, nulls
    finally:
        con.close()
