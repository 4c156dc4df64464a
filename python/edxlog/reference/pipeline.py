"""The reference's one-thread pipeline: inputs -> members -> lines -> rows, with every line
accounted for (src/pipeline.rs, without the threads).

Damage is one reject (counted as a line) and keeps the rows before it; reading goes on after
it where the stream allows (a later gzip member, the next tar header: contract §1a). With
``on_error="raise"`` it, and a member that is not a log, is an ArchiveError instead.
"""

from __future__ import annotations

import contextlib

from .accounting import Accounting
from .input.archive import MEMBER_ERRORS, Damage, SegmentEnd, describe_damage, is_resumed, members
from .input.counting import CountingStream
from .input.decompress import SNIFF_BYTES, binary_kind
from .input.lines import LongLine, physical_lines
from .record.line import BLANK, FILTERED, LineParser, Row


class Pipeline:
    def __init__(self, inputs, line_parser: LineParser, names, on_error, max_line_bytes,
                 accounting: Accounting):
        self._inputs = inputs
        self._line_parser = line_parser
        self._names = names  # the columns of a row, in output order
        self._raise_on_damage = on_error == "raise"
        self._max_line_bytes = max_line_bytes
        self._accounting = accounting
        self._stats = accounting.stats

    def rows(self):
        """Every row (a tuple in column order) of every input, in input order, then line order."""
        stats = self._stats
        for inp in self._inputs:
            with inp.open() as raw:
                outer = CountingStream(raw)
                try:
                    for member in members(inp, outer):
                        if isinstance(member, Damage):
                            self._damage_reject(
                                inp, member.source, 0,
                                f"corrupt archive {member.source}: {member.reason} "
                                f"(at decompressed byte {member.offset} of the archive)",
                            )
                            continue
                        stats["members"] += 1
                        yield from self._member_rows(inp, member)
                        stats["bytes_out"] += member.stream.count
                    # bytes_in is the whole outer input: read what the tar reader left (its
                    # end-of-archive padding), so both implementations count the same bytes.
                    with contextlib.suppress(OSError):
                        outer.drain()
                finally:
                    stats["bytes_in"] += outer.count

    def _member_rows(self, inp, member):
        if self._raise_on_damage:
            _refuse_binary_member(member)
        line_no = 0
        # Gzip damage that reading resumed after splits a member into segments: the damage is
        # one reject numbered as the next line, and the lines after it go on from there.
        for verdict in _segment_verdicts(member):
            try:
                for line in physical_lines(member.stream, self._max_line_bytes):
                    line_no += 1
                    row = self._account_line(line, member, line_no, verdict)
                    if row is not None:
                        yield row
                return
            except SegmentEnd:
                continue  # at a line boundary: nothing lost, the lines go on
            except MEMBER_ERRORS as exc:
                # Rows before the damage are kept; an unterminated fragment at the damage is
                # not a line (Choice: it is dropped, its number goes to the damage reject).
                self._damage_reject(
                    inp, member.source, line_no,
                    f"corrupt member {member.source}: {describe_damage(exc)} "
                    f"(at decompressed byte {member.stream.count})",
                )
                line_no += 1
                if not is_resumed(exc):
                    return

    def _account_line(self, line, member, line_no, verdict=None):
        """Count one physical line; its row (a tuple in column order) if it is one, else None.
        ``verdict``: a warning every row of this part of the member gets (archive.WARNINGS)."""
        stats = self._stats
        stats["lines"] += 1
        if isinstance(line, LongLine):
            outcome = self._line_parser.parse_too_long(line)
        else:
            outcome = self._line_parser.parse(line)
        if outcome.__class__ is Row:
            stats["rows"] += 1
            record = outcome.record
            record["source"] = member.source
            record["server"] = member.server
            record["line"] = line_no
            if verdict is not None:
                record["warnings"] = (record.get("warnings") or []) + [verdict]
            # A column the reference does not know (added to SCHEMA later) is null,
            # which the differential test then reports.
            return tuple([record.get(name) for name in self._names])
        if outcome is BLANK:
            stats["blank"] += 1
        elif outcome is FILTERED:
            stats["filtered"] += 1
        else:  # a Reject
            self._accounting.reject(member.source, line_no, outcome.error, outcome.raw)
        return None

    def _damage_reject(self, inp, source, lines_read, error):
        """One reject for a corrupt member or archive (counted as a line), or ArchiveError."""
        if self._raise_on_damage:
            from edxlog import ArchiveError

            where = "" if inp.name == source else f"{inp.name}: "
            raise ArchiveError(where + error)
        self._stats["lines"] += 1
        self._accounting.reject(source, lines_read + 1, error, b"")


def _refuse_binary_member(member):
    """ArchiveError when the member's first bytes say it is not a tracking log."""
    kind = binary_kind(member.stream.peek(SNIFF_BYTES))
    if kind is not None:
        from edxlog import ArchiveError

        raise ArchiveError(f"{member.source} is not a tracking log: it looks like {kind}")


def _segment_verdicts(member):
    """The warning for each segment's rows (None after the known ones), endlessly."""
    yield from member.verdicts
    while True:
        yield None
