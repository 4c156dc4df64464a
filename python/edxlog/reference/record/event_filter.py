"""Contract §2a, ``event_types=``: rows of the wanted event types only (`EventTypeFilter` in
src/record/mod.rs).

A line in whose bytes no wanted name occurs (and no escape could hide one) is skipped without
being parsed; every other line is parsed and kept only if its converted event_type is wanted.
"""

from __future__ import annotations


class EventTypeFilter:
    def __init__(self, names):
        self.names = frozenset(names)
        self._raw = [n.encode("utf-8") for n in self.names]
        self._any_slash = any("/" in n for n in self.names)
        # A name the bytes cannot be searched for (empty, control characters, a quote, a
        # backslash or U+FFFD): every line is parsed.
        self._no_prefilter = any(
            not n or any(c < " " or c in '"\\\ufffd' for c in n) for n in self.names
        )

    def may_match(self, core: bytes) -> bool:
        """Whether the trimmed line may hold a wanted event type (so must be parsed)."""
        return (
            self._no_prefilter
            or any(n in core for n in self._raw)
            or b"\\u" in core
            or (self._any_slash and b"\\/" in core)
        )

    def wants(self, event_type) -> bool:
        return event_type in self.names
