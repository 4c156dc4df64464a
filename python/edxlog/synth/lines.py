"""One member's lines: the plan (which kind each line is, which oddities are forced on it) and
the lines themselves, in time order."""

from __future__ import annotations

import random

from . import profiles
from .envelope import render_line
from .eras import day_date
from .member import Member
from .oddities import COVERAGE_MIN_LINES
from .world import world

_UNREADABLE = frozenset({"blank_line", "garbage_line", "partial_line"})


def plan(m: Member, n: int, coverage: bool) -> list:
    """-> [kind, forced oddities] for each of n lines. With `coverage`, a member of at least
    COVERAGE_MIN_LINES lines holds every kind of its era and every forced oddity of its profile
    at least once (at random positions)."""
    rng = m.rng
    rates = m.rates
    blank, garbage, partial = rates["blank_line"], rates["garbage_line"], rates["partial_line"]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < blank:
            f = {"blank_line"}
        elif r < blank + garbage:
            f = {"garbage_line"}
        elif r < blank + garbage + partial:
            f = {"partial_line"}
        elif rng.random() < rates["invalid_utf8"]:
            f = {"invalid_utf8"}
        else:
            f = set()
        out.append([m.pick_kind(), f])
    if coverage and n >= COVERAGE_MIN_LINES:
        present = {k for k, _ in out}
        wanted = [(k, set()) for k in m.kinds if k not in present]
        for f, ks in m.profile.forced.items():
            ks = (ks,) if isinstance(ks, str) else (ks or ())
            wanted.append((next((k for k in ks if k in m.kinds), None), {f}))
        slots = rng.sample(range(n), min(n, len(wanted)))
        for slot, (k, f) in zip(slots, wanted):
            out[slot] = [k if k is not None else out[slot][0], f]
    return out


def member_rng(seed, server, day, profile="classic") -> random.Random:
    # the classic profile keeps the seeding it always had
    tag = "" if profiles.get(profile).name == "classic" else ":" + profiles.get(profile).name
    return random.Random("edxlog-synth%s:%s:%s:%s" % (tag, seed, server, day.strftime("%Y%m%d")))


def iter_lines(rng_or_seed, n, day=0, *, server="prod-edxapp-001", world_seed=None, coverage=True,
               stats=None, profile="classic"):
    """Yield `n` physical lines (bytes, without the newline) of one server's daily log.

    `rng_or_seed`: an int seed (then the lines equal those of the member `server`/`day` of
    ``generate(seed=..., profile=...)``) or a ``random.Random``. `day`: see
    :func:`~.eras.day_date` (an index counts in the profile's anchor days). `world_seed`: the
    seed of the course/user world (default: the int seed, or 0 with a Random). `stats`: an
    optional dict that receives counts by generator kind (``"kind:<kind>"``, see the profile's
    kind weights) and by oddity (``"odd:<name>"``, see :data:`~.oddities.RATES`).
    """
    prof = profiles.get(profile)
    d = day_date(day, prof.anchors)
    if isinstance(rng_or_seed, random.Random):
        rng = rng_or_seed
        wseed = 0 if world_seed is None else world_seed
    else:
        rng = member_rng(rng_or_seed, server, d, prof)
        wseed = rng_or_seed if world_seed is None else world_seed
    m = Member(world(wseed), rng, d, server, prof)
    kinds = plan(m, n, coverage)
    times = sorted(rng.randrange(86_400_000_000) for _ in range(n))
    for (kind, flags), us in zip(kinds, times):
        b = render_line(m, kind, us, flags)
        if stats is not None:
            for f in flags:
                stats["odd:" + f] = stats.get("odd:" + f, 0) + 1
            if not flags & _UNREADABLE:
                stats["kind:" + kind] = stats.get("kind:" + kind, 0) + 1
        yield b
