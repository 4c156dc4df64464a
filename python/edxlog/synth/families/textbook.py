"""PDF textbook events: ``book`` (page turns) and ``textbook.pdf.page.scrolled``."""

from __future__ import annotations

import datetime as _dt

from ..event import Event

# from this day on, book events also carry the chapter and the event's long name
_NAMED_BOOK_FROM = _dt.date(2014, 6, 1)
_LONG_NAMES = {"gotopage": "textbook.pdf.page.loaded", "nextpage": "textbook.pdf.page.navigatednext",
               "prevpage": "textbook.pdf.page.navigatedprevious"}


def book(member, kind, course, user, flags):
    rng = member.rng
    page = member.page_url(course, "/courses/%s/pdfbook/0/" % course.id)
    page += "?viewer=true&file=%s#zoom=page-fit" % course.book
    r = rng.random()
    old = rng.randint(1, 300)
    if r < 0.5:
        ev = {"type": "gotopage", "old": member.num(old, flags), "new": member.num(rng.randint(1, 300), flags)}
    elif r < 0.85:
        ev = {"type": "nextpage", "new": member.num(old + 1, flags)}
    else:
        ev = {"type": "prevpage", "new": member.num(max(old - 1, 1), flags)}
    if member.day >= _NAMED_BOOK_FROM:
        ev["chapter"] = course.book
        ev["name"] = _LONG_NAMES[ev["type"]]
    return Event("browser", "book", ev, page, "/event")


def scrolled(member, kind, course, user, flags):
    rng = member.rng
    ev = {"page": rng.randint(1, 300), "direction": rng.choice(["up", "down"]), "chapter": course.book,
          "name": "textbook.pdf.page.scrolled"}
    page = member.page_url(course, "/courses/%s/pdfbook/0/" % course.id)
    return Event("browser", "textbook.pdf.page.scrolled", ev, page,
                 "/event")


BUILDERS = {"book": book, "textbook_scrolled": scrolled}
