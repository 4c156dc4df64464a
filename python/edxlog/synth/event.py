"""What an event-family builder returns: the event, before the envelope is put around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class Event:
    """One event as its family shapes it. :mod:`.envelope` adds the user, time, context and the
    top-level key order of the era, and applies the line oddities.

    ``payload`` is what goes under ``"event"``: a dict or list, or a str. Unless ``verbatim`` is
    set, the envelope serialises a browser payload to a JSON string (as the browser's
    JavaScript did) and may turn a module event's object into a string (the ``event_as_string``
    oddity); a ``verbatim`` payload is written exactly as given.
    """

    source: str                      # "browser", "server" or "mobile"
    event_type: str
    payload: Any
    page: Optional[str]              # the "page" field: a URL, "x_module" or None
    path: str                        # context.path: "/event" for browser events, else the URL
    module: Optional[dict] = None    # context.module of module events
    verbatim: bool = False           # write `payload` as given (already the final JSON value)
    named: bool = False              # a named server event (2015+: has "name", its own key order)
    module_event: bool = False       # emitted by a courseware module (XBlock) on the server
    no_course: bool = False          # a request outside any course (/dashboard, /login, Studio)
    course_in_context: bool = True   # False: context.course_id is "" though the event has a course
    studio: bool = False             # Studio's host
    referer: Optional[str] = None    # None: the page, else a course page (the envelope decides)
    agent: Optional[str] = None      # None: the user's browser (or app, for mobile events)
