"""Moving around a course in the browser: ``page_close``, the sequence tabs (``seq_goto``,
``seq_next``, ``seq_prev``) and the 2016+ ``edx.ui.lms.*`` events (sequence tabs, links, the
course outline)."""

from __future__ import annotations

from ..eras import ERA
from ..event import Event


def page_close(member, kind, course, user, flags):
    ev = "{}" if member.day >= ERA["page_close_obj_from"] else ""
    return Event("browser", "page_close", ev, member.courseware_page(course), "/event", verbatim=True)


def seq_move(member, kind, course, user, flags):
    rng = member.rng
    chap, seqs = rng.choice(course.chapters)
    sq = rng.choice(seqs)
    n = rng.randint(1, 9)
    new = n + 1 if kind == "seq_next" else (max(n - 1, 1) if kind == "seq_prev" else rng.randint(1, 9))
    sid = course.block("sequential", sq)
    if member.spaced:
        ev = {"new": member.num(new, flags), "old": member.num(n, flags), "id": sid}
    else:
        ev = {"old": member.num(n, flags), "new": member.num(new, flags), "id": sid}
    page = member.page_url(course, "/courses/%s/courseware/%s/%s/" % (course.id, chap, sq))
    return Event("browser", kind, ev, page, "/event")


def ui_sequence_selected(member, kind, course, user, flags):
    """edx.ui.lms.sequence.next_selected (kind seq_next_selected), or previous/tab_selected
    (kind seq_ui_selected)."""
    rng = member.rng
    chap, seqs = rng.choice(course.chapters)
    n = rng.randint(1, 6)
    count = n + rng.randint(1, 4)
    if kind == "seq_next_selected":
        et, target = "edx.ui.lms.sequence.next_selected", n + 1
    elif rng.random() < 0.5:
        et, target = "edx.ui.lms.sequence.previous_selected", max(n - 1, 1)
    else:
        et, target = "edx.ui.lms.sequence.tab_selected", rng.randint(1, count)
    ev = {"current_tab": n, "tab_count": count, "target_tab": target,
          "widget_placement": rng.choice(["top", "bottom"]), "id": course.block("sequential", rng.choice(seqs))}
    return Event("browser", et, ev, member.courseware_page(course), "/event")


def link_clicked(member, kind, course, user, flags):
    page = member.courseware_page(course)
    ev = {"target_url": member.page_url(course, "/courses/%s/progress" % course.id), "current_url": page}
    return Event("browser", "edx.ui.lms.link_clicked", ev, page, "/event")


def outline_selected(member, kind, course, user, flags):
    rng = member.rng
    page = member.courseware_page(course)
    chap, seqs = rng.choice(course.chapters)
    ev = {"target_name": rng.choice(["Week 1", "Introduction", "Homework", "Lecture %d" % rng.randint(1, 12),
                                     "Day 1 ", "\u7b2c\u4e09\u7ae0"]),
          "target_url": member.page_url(course, "/courses/%s/courseware/%s/%s/" % (course.id, chap, rng.choice(seqs))),
          "widget_placement": "accordion", "current_url": page}
    return Event("browser", "edx.ui.lms.outline.selected", ev, page, "/event")


BUILDERS = {"page_close": page_close, "seq_goto": seq_move, "seq_next": seq_move, "seq_prev": seq_move,
            "seq_next_selected": ui_sequence_selected, "seq_ui_selected": ui_sequence_selected,
            "link_clicked": link_clicked, "outline_selected": outline_selected}
