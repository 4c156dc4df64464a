"""Discussion forum events (``edx.forum.thread.created``)."""

from __future__ import annotations

from ..event import Event
from ..vocabulary import FORUM_TEXT, hex_id


def thread_created(member, kind, course, user, flags):
    rng = member.rng
    title, body = rng.choice(FORUM_TEXT), " ".join(rng.choice(FORUM_TEXT) for _ in range(3))
    ev = {"category_id": hex_id(rng, 12), "category_name": "General", "commentable_id": "course",
          "anonymous": False, "anonymous_to_peers": False, "body": body, "title": title,
          "thread_type": "discussion", "truncated": False, "id": hex_id(rng, 24),
          "options": {"followed": True}, "user_forums_roles": ["Student"], "user_course_roles": []}
    path = "/courses/%s/discussion/course/threads/create" % course.id
    return Event("server", "edx.forum.thread.created", ev, None, path, named=True)


BUILDERS = {"forum_thread": thread_created}
