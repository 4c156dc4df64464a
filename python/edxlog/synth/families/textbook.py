"""PDF textbook events: ``book`` (page turns) and ``textbook.pdf.page.scrolled``."""

from __future__ import annotations

import datetime as _dt

from ..event import Event

# from this day on, book events also carry the chapter and the event's long name
_NAMED_BOOK_FROM = _dt.date(2014, 6, 1)
_LONG_NAMES = {"gotopage": "textbook.pdf.page.loaded", "nextpage": "textbook.pdf.page.navigatednext",
               "prevpage": "textbook.pdf.page.navigatedprevious"}


def book(m, kind, c, u, flags):
    rng = m.rng
    page = m.page_url(c, "/courses/%s/pdfbook/0/" % c.id) + "?viewer=true&file=%s#zoom=page-fit" % c.book
    r = rng.random()
    old = rng.randint(1, 300)
    if r < 0.5:
        ev = {"type": "gotopage", "old": m.num(old, flags), "new": m.num(rng.randint(1, 300), flags)}
    elif r < 0.85:
        ev = {"type": "nextpage", "new": m.num(old + 1, flags)}
    else:
        ev = {"type": "prevpage", "new": m.num(max(old - 1, 1), flags)}
    if m.day >= _NAMED_BOOK_FROM:
        ev["chapter"] = c.book
        ev["name"] = _LONG_NAMES[ev["type"]]
    return Event("browser", "book", ev, page, "/event")


def scrolled(m, kind, c, u, flags):
    rng = m.rng
    ev = {"page": rng.randint(1, 300), "direction": rng.choice(["up", "down"]), "chapter": c.book,
          "name": "textbook.pdf.page.scrolled"}
    return Event("browser", "textbook.pdf.page.scrolled", ev, m.page_url(c, "/courses/%s/pdfbook/0/" % c.id),
                 "/event")


BUILDERS = {"book": book, "textbook_scrolled": scrolled}
