"""From an :class:`~.event.Event` to the bytes of one physical line.

The envelope is everything around the payload: who (username, ip, agent, session), when (time,
with its era's and oddities' formats), the ``context`` object, the top-level key order of the
era and source, and the line-level oddities (logging prefixes, NUL/BOM prefixes, CRLF, invalid
UTF-8, duplicate and extra keys, cut lines)."""

from __future__ import annotations

import json

from .eras import ERA
from .families import BUILDERS
from .vocabulary import EXTRA_KEYS, GARBAGE, MOBILE_AGENTS, NON_ASCII_NAMES, hex_id

# Top-level key orders, as the tracker's Python 2 dicts serialised them in each era.
_BROWSER_NAMED = ("username", "event_source", "name", "accept_language", "time", "agent", "page", "host",
                  "session", "referer", "context", "ip", "event", "event_type")
_BROWSER_OLD = ("username", "event_type", "ip", "agent", "host", "session", "event", "event_source", "context",
                "time", "page")
_SERVER_OLD = ("username", "host", "event_source", "event_type", "context", "time", "ip", "event", "agent", "page")
_SERVER_PY3 = ("name", "context", "username", "session", "ip", "agent", "host", "referer", "accept_language",
               "event", "time", "event_type", "event_source", "page")
_SERVER_NAMED = _BROWSER_NAMED
_SERVER_IMPLICIT = ("username", "event_type", "ip", "agent", "host", "referer", "accept_language", "event",
                    "event_source", "context", "time", "page")


def timestamp(member, us, flags):
    """The ``time`` field for microsecond `us` of the member's day, with the time oddities."""
    rng = member.rng
    s, f = divmod(us, 1_000_000)
    h, s = divmod(s, 3600)
    mi, s = divmod(s, 60)
    frac = ".%06d" % f
    tz = "+00:00"
    if "time_no_micros" in flags or rng.random() < member.rates["time_no_micros"]:
        frac = ""
        flags.add("time_no_micros")
    r = rng.random()
    if "time_z" in flags or (r < member.rates["time_z"] and "time_no_offset" not in flags):
        tz = "Z"
        flags.add("time_z")
    elif "time_no_offset" in flags or r < member.rates["time_z"] + member.rates["time_no_offset"]:
        tz = ""
        flags.add("time_no_offset")
    return "%sT%02d:%02d:%02d%s%s" % (member.date_s, h, mi, s, frac, tz)


def _context(member, ev, course, flags, *, username, uid, anonymous, ip, agent, host, session, time_s):
    """The ``context`` object of the member's era, or None before contexts existed."""
    if not member.has_context:
        return None
    rng = member.rng
    course_id, org_id = course.id, course.org
    if ev.no_course or not ev.course_in_context:
        course_id = org_id = ""
    elif ev.source == "browser" and ("course_only_in_page" in flags
                                     or rng.random() < member.rates["course_only_in_page"]):
        course_id = org_id = ""
        flags.add("course_only_in_page")
    uid = uid if not anonymous else rng.choice(["", None])
    tags = ev.source == "server" and not ev.no_course and ev.course_in_context
    if ev.source == "mobile":
        return {"course_id": course_id, "org_id": org_id, "user_id": uid, "path": ev.path,
                "application": {"name": "edx.mobileapp.android", "version": "2.4.1"},
                "client": {"network": {"wifi": True}}, "received_at": time_s, "component": "videoplayer"}
    if member.full_context:
        ctx = {"username": username}
        if tags:
            ctx["course_user_tags"] = {}
        ctx.update({"user_id": uid, "ip": ip, "org_id": org_id, "agent": agent, "host": host, "session": session})
        if ev.module is not None:
            ctx["module"] = ev.module
        ctx["course_id"] = course_id
        ctx["path"] = ev.path
        return ctx
    if ev.named and member.py3:
        ctx = {"course_id": course_id, "org_id": org_id, "user_id": uid, "path": ev.path}
        if ev.module is not None:
            ctx["module"] = ev.module
        ctx["enterprise_uuid"] = ""
        return ctx
    ctx = {}
    if tags:
        ctx["course_user_tags"] = {}
    ctx["user_id"] = uid
    ctx["org_id"] = org_id
    if ev.module is not None:
        if member.day >= ERA["answervariable_from"]:
            ctx["asides"] = {}
        ctx["module"] = ev.module
    ctx["course_id"] = course_id
    ctx["path"] = ev.path
    return ctx


def _key_order(member, ev):
    if ev.source in ("browser", "mobile"):
        return _BROWSER_NAMED if member.named else _BROWSER_OLD
    if not member.named:
        return _SERVER_OLD
    if ev.named:
        return _SERVER_PY3 if member.py3 else _SERVER_NAMED
    return _SERVER_IMPLICIT


def render_line(member, kind, us, flags) -> bytes:
    """One physical line (no newline) of generator kind `kind` at microsecond `us` of the day.
    `flags` holds the oddities forced on this line; the ones applied are added to it."""
    rng = member.rng
    rates = member.rates
    # whole-line oddities that replace the record
    if "blank_line" in flags:
        return rng.choice([b"", b"  ", b"\t", b"\x00\x00\x00", b" \r"])
    if "garbage_line" in flags:
        return rng.choice(GARBAGE)

    user = member.world.users[rng.randrange(len(member.world.users))]
    course = member.courses[(user.courses[rng.randrange(3)]) % len(member.courses)]
    ev = BUILDERS[kind](member, kind, course, user, flags)
    mobile = ev.source == "mobile"
    if ev.agent is not None:
        agent = ev.agent
    else:
        agent = MOBILE_AGENTS[user.agent_i % 2] if mobile else member.agents[user.agent_i % len(member.agents)]
    anonymous = ("anonymous" in flags or (ev.source == "browser" and rng.random() < rates["anonymous"])
                 or (ev.no_course and not ev.studio and rng.random() < 0.3))
    if anonymous and (ev.module_event or ev.named or mobile):
        anonymous = False
    if anonymous:
        flags.add("anonymous")
    username = "" if anonymous else user.username
    if "invalid_utf8" in flags:
        username = "Jos\u00e9%d" % rng.randint(1, 99)
    elif "raw_utf8" in flags and username.isascii():
        username = rng.choice(NON_ASCII_NAMES) + str(rng.randint(1, 999))
    user_id = "" if anonymous else user.user_id
    if user_id != "" and ("user_id_string" in flags or rng.random() < rates["user_id_string"]):
        user_id = str(user_id)
        flags.add("user_id_string")
    host = member.studio if ev.studio else member.lms
    session = member.session(user) if not anonymous else rng.choice(["", hex_id(rng)])
    time_s = timestamp(member, us, flags)

    # event: browser payloads are JSON strings, server module events objects
    payload = ev.payload
    if ev.verbatim:
        pass
    elif ev.source == "browser":
        if "event_as_object" in flags or rng.random() < rates["event_as_object"]:
            flags.add("event_as_object")
        else:
            payload = member.payload_str(payload)
    elif ev.module_event and ("event_as_string" in flags or rng.random() < rates["event_as_string"]):
        flags.add("event_as_string")
        payload = json.dumps(payload)

    ctx = _context(member, ev, course, flags, username=username, uid=user_id, anonymous=anonymous, ip=user.ip,
                   agent=agent, host=host, session=session, time_s=time_s)
    page = ev.page
    if ev.referer is not None:
        referer = ev.referer
    elif page and page.startswith("http"):
        referer = page
    else:
        referer = "https://%s%s" % (host, member.courseware_path(course) if not ev.no_course else "/dashboard")
    lang = user.lang
    if mobile:
        referer, lang, page = "", "", None

    values = {"username": username, "event_source": ev.source, "name": ev.event_type, "accept_language": lang,
              "time": time_s, "agent": agent, "page": page, "host": host, "session": session,
              "referer": referer, "context": ctx, "ip": user.ip, "event": payload, "event_type": ev.event_type}
    order = _key_order(member, ev)
    if ev.source in ("browser", "mobile"):
        sess_missing = "session_missing" in flags or rng.random() < rates["session_missing"]
        if "session_empty" in flags or (not sess_missing and rng.random() < rates["session_empty"]):
            values["session"] = ""
            flags.add("session_empty")
        elif sess_missing:
            flags.add("session_missing")
            order = tuple(k for k in order if k != "session")
    rec = {k: values[k] for k in order if not (k == "context" and ctx is None)}
    if "extra_key" in flags or rng.random() < rates["extra_key"]:
        flags.add("extra_key")
        k, v = rng.choice(EXTRA_KEYS)
        rec[k] = v
    return _encode(member, rec, flags, us=us, user_id=user_id, ip=user.ip)


def _encode(member, rec, flags, *, us, user_id, ip) -> bytes:
    """Serialise the record and apply the byte-level oddities."""
    rng = member.rng
    rates = member.rates
    raw = "raw_utf8" in flags or rng.random() < rates["raw_utf8"] or "invalid_utf8" in flags
    text = json.dumps(rec, ensure_ascii=not raw)
    if raw and not text.isascii():
        flags.add("raw_utf8")
    if "duplicate_key" in flags or rng.random() < rates["duplicate_key"]:
        flags.add("duplicate_key")
        k = rng.choice(["host", "username", "event_source", "ip"])
        v = rec.get(k) if rng.random() < 0.5 else {"host": "localhost", "username": "dup",
                                                   "event_source": "server", "ip": "127.0.0.1"}[k]
        text = text[:-1] + ", %s: %s}" % (json.dumps(k), json.dumps(v))
    b = text.encode("utf-8")
    if "invalid_utf8" in flags:
        b = b.replace("Jos\u00e9".encode("utf-8"), b"Jos\xe9")
    if "partial_line" in flags:
        return b[: rng.randint(10, max(11, len(b) - 2))]
    if "logging_prefix" in flags or rng.random() < rates["logging_prefix"]:
        flags.add("logging_prefix")
        s, f = divmod(us, 1_000_000)
        pre = "%s %02d:%02d:%02d,%03d INFO %d [tracking] [user %s] [ip %s] logger.py:41 - " % (
            member.date_s, s // 3600, s // 60 % 60, s % 60, f // 1000, rng.randint(7, 60),
            user_id if user_id != "" else "None", ip)
        b = pre.encode() + b
    elif "nul_prefix" in flags or rng.random() < rates["nul_prefix"]:
        flags.add("nul_prefix")
        b = b"\x00" * rng.randint(1, 64) + b
    elif "bom_prefix" in flags or rng.random() < rates["bom_prefix"]:
        flags.add("bom_prefix")
        b = b"\xef\xbb\xbf" + b
    if "crlf" in flags or rng.random() < rates["crlf"]:
        flags.add("crlf")
        b += b"\r"
    return b
