"""Every input form, sniffing by magic bytes, tar details, and damaged input."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tarfile

import pytest

import edxlog
from conftest import line, make_tar, write_lines

LINES = [line(username=f"u{i}", event_type="page_close", event="") for i in range(5)]
DATA = b"".join(l + b"\n" for l in LINES)


def usernames(table) -> list[str]:
    return table.column("username").to_pylist()


def test_plain_file(tmp_path):
    t = edxlog.read_table(write_lines(tmp_path / "a.log", LINES))
    assert usernames(t) == [f"u{i}" for i in range(5)]
    assert t.column("line").to_pylist() == [1, 2, 3, 4, 5]


def test_gzip_is_recognised_by_magic_not_name(tmp_path):
    misnamed = tmp_path / "really-gzip.log"
    misnamed.write_bytes(gzip.compress(DATA))
    plain_named_gz = tmp_path / "plain.gz"
    plain_named_gz.write_bytes(DATA)
    assert usernames(edxlog.read_table(misnamed)) == usernames(edxlog.read_table(plain_named_gz))


def test_multi_member_gzip_is_read_whole(tmp_path):
    p = tmp_path / "pigz.log.gz"
    # Split in the middle of a line, as concatenated logrotate/pigz output can be.
    p.write_bytes(gzip.compress(DATA[:50]) + gzip.compress(DATA[50:]))
    reader = edxlog.read(p)
    t = reader.read_all()
    assert usernames(t) == [f"u{i}" for i in range(5)]
    assert reader.stats["bytes_in"] == p.stat().st_size
    assert reader.stats["bytes_out"] == len(DATA)


@pytest.mark.parametrize("compress", [False, True])
def test_tar_members_servers_and_order(tmp_path, compress):
    members = {
        "prod-1/tracking.log-20140502.gz": gzip.compress(DATA),
        "prod-1/tracking.log-20140503": DATA,
        "prod-2/sub/tracking.log.gz": gzip.compress(DATA),
        "toplevel.log": DATA,
    }
    path = make_tar(tmp_path / ("x.tar.gz" if compress else "x.tar"), members, compress=compress)
    reader = edxlog.read(path, batch_size=2)
    t = reader.read_all()
    assert t.num_rows == 20
    assert t.column("source").to_pylist() == [m for m in members for _ in range(5)]
    assert t.column("server").to_pylist() == ["prod-1"] * 10 + ["prod-2"] * 5 + [None] * 5
    assert t.column("line").to_pylist() == [1, 2, 3, 4, 5] * 4
    assert reader.stats["members"] == 4
    assert reader.stats["bytes_out"] == 4 * len(DATA)


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_member_names_and_pax_headers(tmp_path, fmt):
    long_name = "server-" + "x" * 150 + "/tracking-é.log"
    path = make_tar(tmp_path / "long.tar", {long_name: DATA}, fmt=fmt)
    t = edxlog.read_table(path)
    assert set(t.column("source").to_pylist()) == {long_name}
    assert set(t.column("server").to_pylist()) == {"server-" + "x" * 150}


def test_directories_and_links_in_tar_are_skipped(tmp_path):
    path = tmp_path / "d.tar"
    with tarfile.open(path, "w") as tar:
        d = tarfile.TarInfo("srv")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
        info = tarfile.TarInfo("srv/a.log")
        info.size = len(DATA)
        tar.addfile(info, io.BytesIO(DATA))
        link = tarfile.TarInfo("srv/b.log")
        link.type = tarfile.SYMTYPE
        link.linkname = "a.log"
        tar.addfile(link)
    reader = edxlog.read(path)
    assert reader.read_all().num_rows == 5
    assert reader.stats["members"] == 1


def test_directory_is_walked_sorted_with_servers(tmp_path):
    write_lines(tmp_path / "b-server" / "2.log", LINES[:1])
    write_lines(tmp_path / "b-server" / "1.log.gz", LINES[1:2], gz=True)
    write_lines(tmp_path / "a-server" / "deep" / "x.log", LINES[2:3])
    write_lines(tmp_path / "top.log", LINES[3:4])
    t = edxlog.read_table(tmp_path)
    assert usernames(t) == ["u2", "u1", "u0", "u3"]
    assert t.column("server").to_pylist() == ["a-server", "b-server", "b-server", None]
    assert t.column("source").to_pylist()[0] == str(tmp_path / "a-server" / "deep" / "x.log")


def test_list_is_read_in_the_given_order(tmp_path):
    a = write_lines(tmp_path / "a.log", LINES[:2])
    b = write_lines(tmp_path / "b.log", LINES[2:], gz=True)
    assert usernames(edxlog.read_table([b, str(a)])) == ["u2", "u3", "u4", "u0", "u1"]


def test_stdin(tmp_path):
    code = "import edxlog; r = edxlog.read('-'); t = r.read_all(); print(t.num_rows, set(t['source'].to_pylist()), r.stats['rows'])"
    out = subprocess.run([sys.executable, "-c", code], input=gzip.compress(DATA), capture_output=True, check=True)
    assert out.stdout.decode().split() == ["5", "{'<stdin>'}", "5"]


def test_file_object(tmp_path):
    p = write_lines(tmp_path / "f.log.gz", LINES, gz=True)
    with open(p, "rb") as f:
        t = edxlog.read_table(f)
    assert usernames(t) == [f"u{i}" for i in range(5)]
    assert set(t.column("source").to_pylist()) == {str(p)}
    t = edxlog.read_table(io.BytesIO(DATA))
    assert set(t.column("source").to_pylist()) == {"<stream>"}


def test_text_mode_file_object_is_a_clear_error(tmp_path):
    p = write_lines(tmp_path / "f.log", LINES)
    with open(p) as f, pytest.raises(OSError, match="binary mode"):
        edxlog.read_table(f)


def test_missing_path_raises_file_not_found():
    with pytest.raises(FileNotFoundError, match="/no/such/file.log"):
        edxlog.read("/no/such/file.log")
    with pytest.raises(FileNotFoundError):
        edxlog.read(["/no/such/file.log"])


def test_bad_arguments_raise_value_or_type_error(tmp_path):
    p = write_lines(tmp_path / "a.log", LINES)
    with pytest.raises(ValueError, match="on_error"):
        edxlog.read(p, on_error="ignore")
    with pytest.raises(ValueError, match="unknown column"):
        edxlog.read(p, columns=["nope"])
    with pytest.raises(ValueError):
        edxlog.read(p, threads=0)
    with pytest.raises(TypeError):
        edxlog.read(42)


def _truncated_gzip_tar(tmp_path):
    good = gzip.compress(DATA)
    big = b"".join(line(username=f"v{i}", event_type="x", padding="p" * 200) + b"\n" for i in range(2000))
    cut = gzip.compress(big)
    cut = cut[: len(cut) // 2]
    return make_tar(tmp_path / "cut.tar", {"s/a.log.gz": good, "s/b.log.gz": cut, "s/c.log.gz": good})


def test_truncated_gzip_member_keeps_rows_and_adds_one_reject(tmp_path):
    reader = edxlog.read(_truncated_gzip_tar(tmp_path))
    t = reader.read_all()
    stats = reader.stats
    rejects = reader.rejects().to_pylist()
    assert len(rejects) == 1
    assert rejects[0]["source"] == "s/b.log.gz" and "s/b.log.gz" in rejects[0]["error"]
    assert "byte" in rejects[0]["error"]
    kept_b = [u for u in usernames(t) if u.startswith("v")]
    assert len(kept_b) > 100  # rows before the damage are kept
    assert kept_b == [f"v{i}" for i in range(len(kept_b))]
    assert usernames(t)[-5:] == [f"u{i}" for i in range(5)]  # the next member is read
    assert stats["lines"] == stats["rows"] + stats["rejects"] + stats["blank"]
    assert rejects[0]["line"] == len(kept_b) + 1


def test_truncated_gzip_member_raises_archive_error_when_asked(tmp_path):
    with pytest.raises(edxlog.ArchiveError, match="s/b.log.gz"):
        edxlog.read_table(_truncated_gzip_tar(tmp_path), on_error="raise")
    assert issubclass(edxlog.ArchiveError, edxlog.EdxlogError)
    assert issubclass(edxlog.EdxlogError, ValueError)


def test_tar_cut_inside_a_member(tmp_path):
    full = make_tar(tmp_path / "full.tar", {"s/a.log": DATA * 100, "s/b.log": DATA}).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(full[: 512 + len(DATA) * 50 + 7])
    reader = edxlog.read(cut)
    t = reader.read_all()
    assert t.num_rows == 250
    assert reader.rejects().column("error").to_pylist()[0].startswith("corrupt member s/a.log")
    s = reader.stats
    assert s["lines"] == s["rows"] + s["rejects"] + s["blank"]
    with pytest.raises(edxlog.ArchiveError):
        edxlog.read_table(cut, on_error="raise")


def test_png_is_not_read_as_rows(tmp_path):
    png = tmp_path / "picture.log"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4)
    reader = edxlog.read(png)
    assert reader.read_all().num_rows == 0
    s = reader.stats
    assert s["rejects"] == s["lines"] - s["blank"] > 0
    with pytest.raises(edxlog.ArchiveError, match="PNG"):
        edxlog.read_table(png, on_error="raise")


def test_overlong_line_is_a_bounded_reject(tmp_path):
    p = write_lines(tmp_path / "long.log", [LINES[0], b'{"username": "' + b"x" * 100_000 + b'"}', LINES[1]])
    reader = edxlog.read(p, max_line_bytes=1000)
    assert usernames(reader.read_all()) == ["u0", "u1"]
    (rej,) = reader.rejects().to_pylist()
    assert rej["line"] == 2 and rej["error"].startswith("line too long") and len(rej["raw"]) == 4096


def test_blank_and_garbage_lines_are_counted(tmp_path):
    p = tmp_path / "mixed.log"
    p.write_bytes(b"\n".join([LINES[0], b"", b"  \t", b"# comment", b"\x00\x00", b"[1,2]", LINES[1]]))
    reader = edxlog.read(p)
    assert reader.read_all().num_rows == 2
    s = reader.stats
    assert (s["lines"], s["rows"], s["rejects"], s["blank"]) == (7, 2, 2, 3)
    assert reader.rejects().column("line").to_pylist() == [4, 6]
