"""Profiles: which event kinds a corpus holds and how often, which oddities at which rates, and
which days (eras) a day index means. ``classic`` is the default; ``2017`` is shaped like a real
2016-18 edx.org course-data export."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    #: kind -> (relative weight, first day produced, first day no longer produced)
    kind_weights: dict
    #: oddity -> probability (see :mod:`..oddities`)
    rates: dict
    #: oddity -> kinds that can carry it; each is forced once per long enough member
    forced: dict
    #: day index k means anchors[k % len] + k // len days
    anchors: tuple
    #: which of the world's course catalogs ("classic" or "2017")
    catalog: str = "classic"


def get(name) -> Profile:
    """The profile called `name` ("classic" or "2017"); a Profile passes through."""
    if isinstance(name, Profile):
        return name
    from . import classic, y2017

    profiles = {"classic": classic.PROFILE, "2017": y2017.PROFILE}
    try:
        return profiles[str(name)]
    except KeyError:
        raise ValueError("unknown synth profile %r (known: %s)" % (name, ", ".join(profiles))) from None


NAMES = ("classic", "2017")
