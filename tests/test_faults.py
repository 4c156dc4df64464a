"""The fault corpus: every kind of damaged or hostile input, each with its pinned outcome.

Inputs are built here at test time (the big ones streaming, in a few seconds); nothing large is
committed. Damage is never silent, and reading goes on after it where the format allows (tar
resynchronisation at the next sane header, gzip resynchronisation at the next member: contract
§1a); every fault case of issue 10 is here, in the core and in the reference. Each case asserts
its exact outcome — the exception, or the rows kept and every
reject (source, line, error naming the member and the decompressed byte offset) — and the
accounting invariant ``lines == rows + rejects + blank``. The policy is in README.md
("Damaged input") and docs/contract.md §1, §1a and §2.

Where the pure-Python reference agrees on the same input, ``assert_agree`` checks that too.
test_inputs.py keeps its shorter damage tests (truncated gzip, cut tar, PNG, overlong line) as
API examples; this file is the complete corpus. Bounded memory, Ctrl-C, threads and panics are
in test_control.py.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zlib

import pytest

import edxlog
from conftest import BIG, line, make_tar, run_python, write_gzip_repeated, write_lines
from test_differential import assert_agree

DATA_LINES = [line(username=f"u{i}", event_type="page_close", event="") for i in range(5)]
DATA = b"".join(l + b"\n" for l in DATA_LINES)
U = [f"u{i}" for i in range(5)]


def outcome(source, **kwargs):
    """(table, stats, rejects as dicts), checking the invariant."""
    reader = edxlog.read(source, **kwargs)
    table = reader.read_all()
    stats = reader.stats
    assert stats["lines"] == stats["rows"] + stats["rejects"] + stats["blank"], stats
    assert stats["rows"] == table.num_rows
    return table, stats, reader.rejects().to_pylist()


def counts(stats):
    return stats["lines"], stats["rows"], stats["rejects"], stats["blank"]


def usernames(table):
    return table.column("username").to_pylist()


def tar_bytes(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def padded(n: int) -> int:
    return (n + 511) // 512 * 512


# ---- gzip damage ----------------------------------------------------------------------------


def test_gzip_member_truncated_in_the_middle(tmp_path):
    big = b"".join(line(username=f"v{i}", event_type="x", pad="p" * 200) + b"\n" for i in range(2000))
    cut = gzip.compress(big)
    cut = cut[: len(cut) // 2]
    # What an independent inflater gets out of the cut stream, and the whole lines in it.
    prefix = zlib.decompressobj(31).decompress(cut)
    kept = prefix[: prefix.rfind(b"\n") + 1].count(b"\n")
    assert 100 < kept < 2000
    path = make_tar(tmp_path / "cut.tar", {"s/a.log.gz": gzip.compress(DATA), "s/b.log.gz": cut, "s/c.log": DATA})

    table, stats, rejects = outcome(path)
    assert usernames(table) == U + [f"v{i}" for i in range(kept)] + U
    assert rejects == [
        {
            "source": "s/b.log.gz",
            "line": kept + 1,
            "error": "corrupt member s/b.log.gz: gzip member 1 at compressed byte 0 is cut short"
            f" (the stream ends at compressed byte {len(cut)}) (at decompressed byte {len(prefix)})",
            "raw": b"",
        }
    ]
    assert counts(stats) == (10 + kept + 1, 10 + kept, 1, 0)
    assert stats["members"] == 3
    with pytest.raises(edxlog.ArchiveError, match=r"^corrupt member s/b.log.gz: .*at decompressed byte"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "truncated gzip")


def test_gzip_member_with_a_bad_crc(tmp_path):
    bad = bytearray(gzip.compress(DATA))
    bad[-8] ^= 0xFF  # the CRC32 of the trailer
    path = tmp_path / "crc.log.gz"
    path.write_bytes(bytes(bad))
    table, stats, rejects = outcome(path)
    # The CRC is checked at the end: every line came out before it, so every row is kept.
    assert usernames(table) == U
    assert rejects == [
        {
            "source": str(path),
            "line": 6,
            "error": f"corrupt member {path}: gzip member 1 at compressed byte 0 does not have a"
            f" matching checksum (at decompressed byte {len(DATA)})",
            "raw": b"",
        }
    ]
    assert counts(stats) == (6, 5, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="matching checksum"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "bad crc")


# ---- tar damage -----------------------------------------------------------------------------


def test_tar_truncated_inside_a_header(tmp_path):
    full = tar_bytes({"s/a.log": DATA, "s/b.log": DATA})
    second_header = 512 + padded(len(DATA))
    path = tmp_path / "cut-header.tar"
    path.write_bytes(full[: second_header + 100])
    table, stats, rejects = outcome(path)
    assert usernames(table) == U
    assert rejects == [
        {
            "source": str(path),
            "line": 1,
            "error": f"corrupt archive {path}: the archive ends inside a header"
            f" (at decompressed byte {second_header} of the archive)",
            "raw": b"",
        }
    ]
    assert counts(stats) == (6, 5, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="corrupt archive"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "tar cut in a header")


def test_tar_truncated_inside_the_first_header_is_not_a_tar(tmp_path):
    # Without the `ustar` magic at byte 257 it is not recognised as a tar: one line, a reject.
    path = tmp_path / "cut-first-header.tar"
    path.write_bytes(tar_bytes({"s/a.log": DATA})[:100])
    table, stats, rejects = outcome(path)
    assert table.num_rows == 0
    assert [(r["line"], r["error"]) for r in rejects] == [(1, "not a JSON object")]
    assert counts(stats) == (1, 0, 1, 0)


def test_tar_truncated_inside_data(tmp_path):
    member = DATA * 100
    full = tar_bytes({"s/a.log": member, "s/b.log": DATA})
    cut_at = len(DATA) * 50 + 7  # 250 whole lines and 7 bytes of the next
    path = tmp_path / "cut-data.tar"
    path.write_bytes(full[: 512 + cut_at])
    table, stats, rejects = outcome(path)
    assert usernames(table) == U * 50
    assert rejects == [
        {
            "source": "s/a.log",
            "line": 251,
            "error": f"corrupt member s/a.log: archive ends inside the member ({cut_at} of {len(member)} bytes)"
            f" (at decompressed byte {cut_at})",
            "raw": b"",
        }
    ]
    assert counts(stats) == (251, 250, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="archive ends inside the member"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "tar cut in data")


def test_tar_member_whose_declared_size_runs_past_the_end(tmp_path):
    tar = bytearray(tar_bytes({"s/a.log": DATA, "s/b.log": DATA}))
    h = 512 + padded(len(DATA))  # s/b.log's header: declare 10 MB, recompute the checksum
    tar[h + 124 : h + 136] = b"%011o\0" % 10_000_000
    tar[h + 148 : h + 156] = b" " * 8
    tar[h + 148 : h + 156] = b"%06o\0 " % sum(tar[h : h + 512])
    path = tmp_path / "oversize.tar"
    path.write_bytes(bytes(tar))
    available = len(tar) - (h + 512)  # its data, the padding and the end-of-archive blocks
    table, stats, rejects = outcome(path)
    # The member's lines are read; the NUL padding after them is a partial line at the damage.
    assert usernames(table) == U + U
    assert rejects == [
        {
            "source": "s/b.log",
            "line": 6,
            "error": f"corrupt member s/b.log: archive ends inside the member ({available} of 10000000 bytes)"
            f" (at decompressed byte {available})",
            "raw": b"",
        }
    ]
    assert counts(stats) == (11, 10, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="archive ends inside the member"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "declared size past the end")


def skipped(path, cause, start, end, before, after):
    """The one reject of a skipped span of a damaged tar."""
    return {
        "source": str(path),
        "line": 1,
        "error": f"corrupt archive {path}: {cause}; skipped bytes {start}..{end} {before}, {after}"
        f" (at decompressed byte {start} of the archive)",
        "raw": b"",
    }


def data_of(name: str) -> bytes:
    """DATA with the usernames of member ``name``: name0 … name4."""
    return DATA.replace(b'"username": "u', f'"username": "{name}'.encode())


FOUR = {f"s/{name}.log": data_of(name) for name in "abcd"}


def users_of(*names):
    return [f"{n}{i}" for n in names for i in range(5)]


@pytest.mark.parametrize(
    "garbage, cause",
    [
        (b"GARBAGE!" * 64, "a header's checksum field is not a number"),
        (b"junk\n" * 7, "a header's checksum does not match"),
    ],
    ids=["a-block", "unaligned"],
)
def test_garbage_bytes_between_tar_members(tmp_path, garbage, cause):
    full = tar_bytes(FOUR)
    second_header = 512 + padded(len(DATA))
    path = tmp_path / "garbage.tar"
    path.write_bytes(full[:second_header] + garbage + full[second_header:])
    table, stats, rejects = outcome(path)
    # The scan finds the next header after the garbage (aligned, or at any byte when the
    # garbage shifted the rest): every member after it is read.
    assert usernames(table) == users_of("a", "b", "c", "d")
    end = second_header + len(garbage)
    assert rejects == [skipped(path, cause, second_header, end, "after s/a.log", "before s/b.log")]
    assert counts(stats) == (21, 20, 1, 0)
    assert stats["members"] == 4
    with pytest.raises(edxlog.ArchiveError, match=f"^corrupt archive {path}: {cause}; skipped"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "garbage between members")


@pytest.mark.parametrize("gzipped", [False, True], ids=["tar", "tar.gz"])
def test_a_zeroed_block_in_the_middle_of_a_tar(tmp_path, gzipped):
    # The case: the second member's header zeroed. A zero block is the end of an
    # archive only when nothing but zeros follows it.
    tar = bytearray(tar_bytes(FOUR))
    second_header = 512 + padded(len(DATA))
    tar[second_header : second_header + 512] = bytes(512)
    third_header = second_header + 512 + padded(len(DATA))
    path = tmp_path / ("zeroed.tar.gz" if gzipped else "zeroed.tar")
    path.write_bytes(gzip.compress(bytes(tar)) if gzipped else bytes(tar))
    table, stats, rejects = outcome(path)
    assert usernames(table) == users_of("a", "c", "d")
    cause = "a zero block (the end of an archive) is followed by data"
    assert rejects == [skipped(path, cause, second_header, third_header, "after s/a.log", "before s/c.log")]
    assert counts(stats) == (16, 15, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="a zero block"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "zeroed block")


@pytest.mark.parametrize("where", [3, 124, 148, 257], ids=["name", "size", "checksum", "magic"])
def test_a_flipped_byte_in_a_tar_header(tmp_path, where):
    tar = bytearray(tar_bytes(FOUR))
    second_header = 512 + padded(len(DATA))
    tar[second_header + where] ^= 0x04
    third_header = second_header + 512 + padded(len(DATA))
    path = tmp_path / "flipped.tar"
    path.write_bytes(bytes(tar))
    table, stats, rejects = outcome(path)
    assert usernames(table) == users_of("a", "c", "d")
    (r,) = rejects
    assert r == skipped(path, "a header's checksum does not match", second_header, third_header,
                        "after s/a.log", "before s/c.log")
    assert counts(stats) == (16, 15, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="checksum does not match"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "flipped header byte")


def test_long_names_survive_a_resync(tmp_path):
    # Course-data exports have long paths: GNU 'L' records and pax 'path' records name the
    # members on both sides of the damage.
    long_a = "server-1/" + "a" * 120 + "/tracking.log"
    long_c = "server-2/" + "c" * 120 + "/tracking.log"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name in (long_a, "s/b.log"):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(DATA), 0
            t.addfile(info, io.BytesIO(DATA))
        end = t.offset  # without the end-of-archive zeros
    gnu = buf.getvalue()[:end]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(long_c)
        info.size, info.mtime = len(DATA), 0
        t.addfile(info, io.BytesIO(DATA))
    data = bytearray(gnu + buf.getvalue())
    b_header = gnu.rfind(b"s/b.log\0")
    assert b_header % 512 == 0
    data[b_header + 150] ^= 1  # the checksum field
    path = tmp_path / "long.tar"
    path.write_bytes(bytes(data))
    table, stats, rejects = outcome(path)
    assert table.column("source").to_pylist() == [long_a] * 5 + [long_c] * 5
    assert table.column("server").to_pylist() == ["server-1"] * 5 + ["server-2"] * 5
    (r,) = rejects
    assert f"after {long_a}, before {long_c} " in r["error"]
    assert_agree(path, "long names")


def test_data_after_the_end_of_a_tar_is_reported(tmp_path):
    full = tar_bytes({"s/a.log": DATA})
    end_blocks = 512 + padded(len(DATA))
    path = tmp_path / "trailing.tar"
    path.write_bytes(full + b"trailing junk")
    table, stats, rejects = outcome(path)
    assert usernames(table) == U
    assert rejects == [
        skipped(path, "a zero block (the end of an archive) is followed by data", end_blocks,
                len(full) + 13, "after s/a.log", "up to the end of the archive")
    ]
    # Zeros after the end are padding, not damage.
    path.write_bytes(full + bytes(700))
    assert outcome(path)[2] == []
    assert_agree(path, "zero padding after the end")


# ---- gzip member resynchronisation -----------------------------------------------------------


def three_members(corrupt: str):
    """A 3-member gzip stream (as logrotate or pigz write), its middle member damaged, and the
    compressed offsets of the members."""
    texts = [data_of(n) for n in "abc"]
    members = [gzip.compress(t, mtime=0) for t in texts]
    middle = bytearray(members[1])
    if corrupt == "deflate":
        middle[10] = 0xFF  # the first deflate block's header: block type 3 does not exist
    else:
        middle[-8] ^= 0xFF  # its CRC-32
    members[1] = bytes(middle)
    starts = [0, len(members[0]), len(members[0]) + len(members[1])]
    return b"".join(members), starts


def test_a_corrupt_middle_member_of_a_3_member_gz(tmp_path):
    data, (_, b_at, c_at) = three_members("deflate")
    path = tmp_path / "three.log.gz"
    path.write_bytes(data)
    table, stats, rejects = outcome(path)
    # The members after the damage are read; their lines are numbered on from the reject.
    assert usernames(table) == users_of("a", "c")
    assert table.column("line").to_pylist() == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert rejects == [
        {
            "source": str(path),
            "line": 6,
            "error": f"corrupt member {path}: gzip member 2 at compressed byte {b_at} is corrupt"
            f" (invalid block type, found at compressed byte {b_at + 11}); skipped compressed bytes"
            f" {b_at}..{c_at} to the next gzip member (its trailer gives {len(DATA)} decompressed"
            f" bytes, 0 were read) (at decompressed byte {len(DATA)})",
            "raw": b"",
        }
    ]
    assert counts(stats) == (11, 10, 1, 0)
    with pytest.raises(edxlog.ArchiveError, match="gzip member 2 at compressed byte"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "corrupt middle gzip member")


def test_a_middle_member_failing_its_checksum(tmp_path):
    data, (_, b_at, c_at) = three_members("crc")
    path = tmp_path / "crc3.log.gz"
    path.write_bytes(data)
    table, stats, rejects = outcome(path)
    # Streamed: its rows were handed out before the checksum was checked, so they carry no
    # warning; the reject after them says the member failed.
    assert usernames(table) == users_of("a", "b", "c")
    assert table.column("warnings").to_pylist() == [None] * 15
    assert [(r["line"], r["error"]) for r in rejects] == [
        (11, f"corrupt member {path}: gzip member 2 at compressed byte {b_at} does not have a"
         f" matching checksum; the next gzip member follows (at decompressed byte {2 * len(DATA)})")
    ]
    assert_agree(path, "checksum of a middle member")
    # A tar member is inflated whole before its rows are handed out: they carry a warning.
    tar = make_tar(tmp_path / "crc3.tar", {"s/crc3.log.gz": data, "s/next.log": DATA})
    table, stats, rejects = outcome(tar)
    assert usernames(table) == users_of("a", "b", "c", "u")
    assert table.column("warnings").to_pylist() == (
        [None] * 5 + [["member failed its checksum"]] * 5 + [None] * 10
    )
    assert [(r["source"], r["line"]) for r in rejects] == [("s/crc3.log.gz", 11)]
    assert_agree(tar, "checksum of a middle member in a tar")
    with pytest.raises(edxlog.ArchiveError, match="does not have a matching checksum"):
        edxlog.read_table(tar, on_error="raise")


def test_garbage_between_gzip_members(tmp_path):
    a, c = (gzip.compress(data_of(n), mtime=0) for n in "ac")
    path = tmp_path / "garbage.log.gz"
    garbage = b"\x1f\x8b\x08 not really gzip"
    path.write_bytes(a + garbage + c)
    table, stats, rejects = outcome(path)
    assert usernames(table) == users_of("a", "c")
    assert [(r["line"], r["error"]) for r in rejects] == [
        (6, f"corrupt member {path}: the bytes at compressed byte {len(a)} after gzip member 1 are"
         f" not a gzip member (reserved flags set); skipped compressed bytes {len(a)}..{len(a + garbage)}"
         f" to the next gzip member (at decompressed byte {len(DATA)})")
    ]
    assert_agree(path, "garbage between gzip members")


def test_a_damaged_outer_tar_gz(tmp_path):
    members = {f"s/{n}.log": (data_of(n)) * 200 for n in "abcd"}
    tar = tar_bytes(members)
    # One gzip stream damaged in the middle: nothing after the damage can be inflated; one
    # reject says where (the member being read when it broke).
    single = bytearray(gzip.compress(tar, mtime=0))
    single[len(single) // 2 : len(single) // 2 + 64] = bytes(64)
    path = tmp_path / "single.tar.gz"
    path.write_bytes(bytes(single))
    table, stats, rejects = outcome(path)
    # Corrupt deflate data can inflate to plausible garbage before the damage is found: here
    # the stream goes on with wrong bytes (rejects of s/b.log, then no tar header to be found)
    # until its checksum fails at the very end, which the last reject says.
    assert rejects[-1]["error"].startswith(
        f"corrupt archive {path}: gzip member 1 at compressed byte 0 does not have a matching"
        " checksum (at decompressed byte "
    )
    assert {r["source"] for r in rejects[:-2]} == {"s/b.log"}
    assert usernames(table)[:1000] == [f"a{i % 5}" for i in range(1000)]
    assert "c0" not in usernames(table) and "d0" not in usernames(table)
    assert_agree(path, "damaged single-member .tar.gz")
    # Written in several gzip members (as `pigz --independent`-style tools or a split and
    # recompressed export can be): reading resumes at the next member, the tar walker finds
    # the next header there, and every member after the damage is read.
    chunk = 8192
    parts = [gzip.compress(tar[i : i + chunk], mtime=0) for i in range(0, len(tar), chunk)]
    damaged = (512 + padded(len(members["s/a.log"])) + 512 + 30_000) // chunk  # inside s/b.log
    parts[damaged] = parts[damaged][:10] + b"\xff" + parts[damaged][11:]
    path = tmp_path / "multi.tar.gz"
    path.write_bytes(b"".join(parts))
    table, stats, rejects = outcome(path)
    users = usernames(table)
    assert users[:1000] == [f"a{i % 5}" for i in range(1000)]
    assert users[-2000:] == [f"{n}{i % 5}" for n in "cd" for i in range(1000)]
    assert [r["source"] for r in rejects] == ["s/b.log", str(path)]
    assert rejects[0]["error"].startswith(f"corrupt member s/b.log: gzip member {damaged + 1} at")
    assert rejects[1]["error"].startswith(f"corrupt archive {path}: the archive's stream was damaged")
    assert "before s/c.log" in rejects[1]["error"]
    with pytest.raises(edxlog.ArchiveError, match="^corrupt member s/b.log"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "damaged multi-member .tar.gz")


def test_zero_length_members(tmp_path):
    path = make_tar(
        tmp_path / "zero.tar",
        {"s/a.log": DATA, "s/empty.log": b"", "s/empty.gz": gzip.compress(b""), "s/b.log": DATA},
    )
    table, stats, rejects = outcome(path, on_error="raise")
    assert usernames(table) == U + U
    assert rejects == []
    assert counts(stats) == (10, 10, 0, 0)
    assert stats["members"] == 4
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    table, stats, rejects = outcome(empty, on_error="raise")
    assert (table.num_rows, rejects, counts(stats), stats["members"]) == (0, [], (0, 0, 0, 0), 1)
    assert_agree(path, "zero-length members")


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_empty_tar(tmp_path, mode):
    path = tmp_path / ("empty.tar" if mode == "w" else "empty.tar.gz")
    with tarfile.open(path, mode):
        pass
    # An empty tar is only zero blocks: no `ustar` magic, so by the contract (§1) it is read as
    # one member of NUL bytes — one blank line, nothing lost, no reject — and it looks like
    # binary data, which `on_error="raise"` refuses.
    table, stats, rejects = outcome(path)
    assert (table.num_rows, rejects, counts(stats), stats["members"]) == (0, [], (1, 0, 0, 1), 1)
    assert stats["bytes_out"] == 10240
    with pytest.raises(edxlog.ArchiveError, match="is not a tracking log: it looks like binary data"):
        edxlog.read_table(path, on_error="raise")
    assert_agree(path, "empty tar")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00" + bytes(range(256)) * 8


def test_a_png_is_not_logs(tmp_path):
    path = tmp_path / "picture.log"
    path.write_bytes(PNG)
    physical = PNG.split(b"\n")  # no trailing newline: the last piece is a line too
    blank = [p for p in physical if not p.strip(b" \t\n\v\f\r\x00")]
    table, stats, rejects = outcome(path)
    assert table.num_rows == 0
    assert counts(stats) == (len(physical), 0, len(physical) - len(blank), len(blank))
    assert [r["raw"] for r in rejects] == [p for p in physical if p not in blank]
    assert [r["error"] == "not a JSON object" for r in rejects] == [b"{" not in r["raw"] for r in rejects]
    assert all(r["error"].startswith("no JSON object found: ") for r in rejects if b"{" in r["raw"])
    with pytest.raises(edxlog.ArchiveError, match=f"^{path} is not a tracking log: it looks like PNG image$"):
        edxlog.read_table(path, on_error="raise")
    # Inside a tar, rows of the other members are kept.
    tar = make_tar(tmp_path / "with-png.tar", {"s/a.log": DATA, "s/p.png": PNG})
    table, stats, _ = outcome(tar)
    assert usernames(table) == U
    with pytest.raises(edxlog.ArchiveError, match="s/p.png is not a tracking log"):
        edxlog.read_table(tar, on_error="raise")
    assert_agree(tar, "png in a tar")


# ---- hostile lines --------------------------------------------------------------------------


def test_a_line_nested_100000_levels_deep(tmp_path):
    deep_array = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    deep_object = b'{"event":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}"
    deep_event_string = b'{"event_type":"x","event":"' + b"[" * 100_000 + b'"}'
    path = write_lines(tmp_path / "deep.log", [deep_array, deep_event_string, deep_object])
    table, stats, rejects = outcome(path)
    assert [(r["line"], r["error"], r["raw"]) for r in rejects] == [
        (1, "nesting deeper than 1000 levels", deep_array[:4096]),
        (3, "nesting deeper than 1000 levels", deep_object[:4096]),
    ]
    # An event *string* that is too deep is only text: the row stays, with a warning.
    (row,) = table.to_pylist()
    assert (row["line"], row["event"], row["warnings"]) == (
        2, "[" * 100_000, ["event: looks like JSON but does not decode"])
    assert counts(stats) == (3, 1, 2, 0)
    assert_agree(path, "deep nesting")


def test_huge_and_negative_zero_numbers(tmp_path):
    text = (
        b'{"event_type":"seq_goto","event":{"id":"s","old":1e400,"new":18446744073709551616},'
        b'"x":-0,"y":-0.0,"z":1e400,"username":18446744073709551616,"session":-0,"ip":1e400,'
        b'"agent":-0.0,"context":{"user_id":-0}}'
    )
    path = write_lines(tmp_path / "numbers.log", [text])
    table, stats, rejects = outcome(path)
    (row,) = table.to_pylist()
    assert rejects == [] and counts(stats) == (1, 1, 0, 0)
    assert (row["username"], row["session"], row["ip"], row["agent"]) == ("18446744073709551616", "0", "1e+400", "-0.0")
    assert row["user_id"] == 0
    assert (row["seq_old"], row["seq_new"]) == (None, None)
    assert row["warnings"] == ["seq_old: out of range", "seq_new: out of range"]
    assert row["extra"] == '{"x":0,"y":-0.0,"z":1e+400}'
    # An object event keeps the line's own text (contract §6, source text).
    assert row["event"] == '{"id":"s","old":1e400,"new":18446744073709551616}'
    assert_agree(path, "numbers")


def test_duplicate_keys_last_wins(tmp_path):
    text = (
        b'{"username":"a","event_type":"x","username":"b","context":{"course_id":"A/B/C",'
        b'"course_id":"D/E/F"},"k":1,"k":2}'
    )
    path = write_lines(tmp_path / "dup.log", [text])
    table, stats, rejects = outcome(path)
    (row,) = table.to_pylist()
    assert (row["username"], row["event_type"], row["course_id"], row["org_id"]) == ("b", "x", "D/E/F", "D")
    # `extra` holds each key once (contract §2.8); `context` keeps the line's own text (§6).
    assert row["context"] == '{"course_id":"A/B/C","course_id":"D/E/F"}'
    assert row["extra"] == '{"k":2}'
    assert rejects == [] and counts(stats) == (1, 1, 0, 0)
    assert_agree(path, "duplicate keys")


def test_invalid_utf8_in_keys_and_values(tmp_path):
    text = b'{"user\xffname":"a","username":"b\xfe\xc3","event_type":"\xed\xa0\x80x"}'
    path = write_lines(tmp_path / "utf8.log", [text])
    table, stats, rejects = outcome(path)
    (row,) = table.to_pylist()
    assert row["username"] == "b\ufffd\ufffd"
    assert row["event_type"] == "\ufffd\ufffd\ufffdx"  # a surrogate's bytes: three maximal subparts
    assert json.loads(row["extra"]) == {"user\ufffdname": "a"}
    assert row["warnings"] == ["invalid utf-8 replaced"]
    assert rejects == [] and counts(stats) == (1, 1, 0, 0)
    assert_agree(path, "invalid utf-8")


def test_crlf_line_endings(tmp_path):
    path = tmp_path / "crlf.log"
    path.write_bytes(b"\r\n".join(DATA_LINES[:2]) + b"\r\n\r\n" + DATA_LINES[2] + b"\r\n")
    table, stats, rejects = outcome(path)
    assert usernames(table) == U[:3]
    assert table.column("line").to_pylist() == [1, 2, 4]
    assert table.column("warnings").to_pylist() == [None] * 3
    assert rejects == [] and counts(stats) == (4, 3, 0, 1)
    assert_agree(path, "crlf")


def test_file_without_trailing_newline(tmp_path):
    path = tmp_path / "no-newline.log"
    path.write_bytes(b"\n".join(DATA_LINES))
    table, stats, rejects = outcome(path)
    assert usernames(table) == U
    assert rejects == [] and counts(stats) == (5, 5, 0, 0)
    gz = tmp_path / "no-newline.log.gz"
    gz.write_bytes(gzip.compress(b"\n".join(DATA_LINES)))
    assert usernames(outcome(gz)[0]) == U


# ---- big and hostile: in a fresh process, checking peak memory ------------------------------

#: Peak resident memory allowed for any input (the whole interpreter with pyarrow included).
MAX_RSS_MB = 300

STREAM_CODE = """
import edxlog
reader = edxlog.read({path!r}, **{kwargs!r})
_out = {{"baseline_mb": next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024}}
start = time.monotonic()
rows = 0
for batch in reader:
    rows += batch.num_rows
_out["seconds"] = time.monotonic() - start
_out["rows"] = rows
_out["stats"] = reader.stats
_out["rejects"] = [
    dict(r, raw_len=len(r["raw"]), raw=r["raw"][:64].decode("latin-1"))
    for r in reader.rejects().to_pylist()[:5]
]
_out["reject_count"] = reader.rejects().num_rows
"""


def stream_in_subprocess(path, **kwargs) -> dict:
    out = run_python(STREAM_CODE.format(path=str(path), kwargs=kwargs))
    s = out["stats"]
    assert s["lines"] == s["rows"] + s["rejects"] + s["blank"], s
    assert out["rows"] == s["rows"]
    print(f"{path.name}: {s['bytes_out'] / 2**20:.0f} MiB in {out['seconds']:.1f} s, "
          f"peak RSS {out['hwm_mb']:.0f} MB (after import {out['baseline_mb']:.0f} MB; "
          f"ru_maxrss {out['maxrss_mb']:.0f} MB)")
    assert out["maxrss_mb"] <= MAX_RSS_MB, out
    assert out["hwm_mb"] <= MAX_RSS_MB, out
    return out


def test_a_200_mb_line_without_newline(tmp_path):
    path = tmp_path / "one-line.log"
    size = 200 * 2**20
    with open(path, "wb") as f:
        f.write(b'{"username": "')
        for _ in range(200):
            f.write(b"x" * 2**20)
        f.truncate(size)
    out = stream_in_subprocess(path)
    assert out["rows"] == 0
    assert counts(out["stats"]) == (1, 0, 1, 0)
    (r,) = out["rejects"]
    assert (r["line"], r["error"], r["raw_len"]) == (1, f"line too long: {size} bytes", 4096)
    assert r["raw"] == '{"username": "' + "x" * 50


#: The bombs: gigabytes of inflation from a few MB of gzip. Sized so the release build (CI)
#: takes seconds (a debug build gets 1/32 of it, see conftest.BIG); the data never exists
#: uncompressed.
BOMB_MIB = int(3 * 1024 * BIG)


def test_gzip_bomb_of_one_repeated_line(tmp_path):
    row = line(username="bomb", event_type="x", event="a" * 4000) + b"\n"
    chunk = row * (2**20 // len(row))
    path = tmp_path / "repeated.log.gz"
    size = write_gzip_repeated(path, chunk, BOMB_MIB * 2**20 // len(chunk))
    assert path.stat().st_size < size // 500
    out = stream_in_subprocess(path, columns=["line", "username"])
    n = size // len(row)
    assert out["rows"] == n
    assert counts(out["stats"]) == (n, n, 0, 0)
    assert out["stats"]["bytes_out"] == size


def test_gzip_bomb_without_a_newline(tmp_path):
    path = tmp_path / "no-newline.log.gz"
    size = write_gzip_repeated(path, b"x" * 2**20, BOMB_MIB)
    out = stream_in_subprocess(path)
    assert out["rows"] == 0
    assert counts(out["stats"]) == (1, 0, 1, 0)
    assert out["stats"]["bytes_out"] == size
    (r,) = out["rejects"]
    assert (r["line"], r["error"], r["raw_len"], r["raw"]) == (1, f"line too long: {size} bytes", 4096, "x" * 64)
