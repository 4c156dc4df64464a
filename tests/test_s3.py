"""Remote input against a real S3-compatible server on loopback (moto's standalone server, started
once for the session: the fixtures `s3_endpoint`, `s3_opts`, `s3` of tests/s3_server.py), through s3fs
and aiohttp: nothing is mocked in-process."""

from __future__ import annotations

import dataclasses

from pathlib import Path

import pyarrow as pa
import pytest

import edxlog
from edxlog import remote
from conftest import line, realdata_files, write_lines

from s3_server import BUCKET, CuttingProxy


@pytest.fixture(scope="session")
def uploaded_export(s3, synth_corpus):
    """The synthetic export (a tar of gzipped daily members) as an object."""
    url = f"s3://{BUCKET}/exports/2013/tracking-logs.tar"
    s3.put_file(str(synth_corpus), url)
    return url


@pytest.fixture(scope="session")
def uploaded_realdata(s3):
    """The real logs, one object each under real/ (plain and gzipped files)."""
    files = realdata_files()
    for f in files:
        s3.put_file(str(f), f"s3://{BUCKET}/real/{f.name}")
    return files


@pytest.fixture
def small_chunks(monkeypatch):
    """Ranges of 64 KiB, so that objects span many chunks (and many prefetches)."""
    monkeypatch.setattr(remote, "CHUNK_BYTES", 64 * 1024)


def _read(source, **kw):
    with edxlog.read(source, **kw) as reader:
        table = reader.read_all()
        return table, reader.stats, reader.rejects()


def _without(table: pa.Table, name: str) -> pa.Table:
    return table.drop_columns([name])


# ---- the same data as the local file -----------------------------------------------------


@pytest.mark.parametrize("chunks", ["default", "small"])
def test_an_export_on_s3_reads_exactly_as_the_local_file(uploaded_export, synth_corpus, s3_opts, chunks, request):
    if chunks == "small":
        request.getfixturevalue("small_chunks")
    local = _read(str(synth_corpus))
    got = _read(uploaded_export, storage_options=s3_opts)
    # A tar's rows are named after its members, so even `source` is the same.
    assert local[1]["lines"] == 6000 and local[0].num_rows > 5000
    assert got[0].equals(local[0])
    assert got[1] == local[1]
    assert got[2].equals(local[2])


def test_real_logs_on_s3_read_as_the_local_files_with_the_url_as_source(uploaded_realdata, s3_opts, small_chunks):
    for f in uploaded_realdata:
        url = f"s3://{BUCKET}/real/{f.name}"
        local_table, local_stats, local_rejects = _read(str(f))
        table, stats, rejects = _read(url, storage_options=s3_opts)
        assert _without(table, "source").equals(_without(local_table, "source")), f.name
        assert set(table.column("source").to_pylist()) <= {url}
        assert table.column("server").null_count == table.num_rows  # a single object, as a file
        assert stats == local_stats, f.name
        assert _without(rejects, "source").equals(_without(local_rejects, "source")), f.name
        assert set(rejects.column("source").to_pylist()) <= {url}


def test_read_table_takes_urls_and_storage_options(uploaded_export, synth_corpus, s3_opts):
    assert edxlog.read_table(uploaded_export, storage_options=s3_opts, columns=["event_id"]).equals(
        edxlog.read_table(str(synth_corpus), columns=["event_id"])
    )


# ---- prefixes, globs, lists ----------------------------------------------------------------

LAYOUT = {
    "server2/tracking.log-20130302.gz": [line(event_type="b2", event="{}")],
    "server1/tracking.log-20130302.gz": [line(event_type="a2", event="{}")],
    "server1/tracking.log-20130301.gz": [line(event_type="a1", event="{}")],
    "server1/old/tracking.log": [line(event_type="a0", event="{}"), b"not json"],
    "top.log": [line(event_type="t", event="{}")],
}


@pytest.fixture(scope="session")
def layout(s3, tmp_path_factory):
    """The same small tree of logs on disk and under s3://BUCKET/layout/."""
    root = tmp_path_factory.mktemp("layout")
    for rel, lines in LAYOUT.items():
        write_lines(root / rel, lines, gz=rel.endswith(".gz"))
        s3.put_file(str(root / rel), f"s3://{BUCKET}/layout/{rel}")
    return root


def test_a_prefix_reads_like_the_same_directory_on_disk(layout, s3_opts):
    local = _read(str(layout))
    for url in (f"s3://{BUCKET}/layout/", f"s3://{BUCKET}/layout"):
        got = _read(url, storage_options=s3_opts)
        assert _without(got[0], "source").equals(_without(local[0], "source"))
        assert got[1] == local[1]
        assert _without(got[2], "source").equals(_without(local[2], "source"))
        # In sorted key order, each row named by its object's URL; server as for directories.
        assert got[0].column("source").to_pylist() == [
            f"s3://{BUCKET}/layout/{rel}"
            for rel in sorted(LAYOUT)
            for l in LAYOUT[rel]
            if l != b"not json"
        ]
        assert got[0].column("server").to_pylist() == ["server1"] * 3 + ["server2", None]
        assert got[2].column("source").to_pylist() == [f"s3://{BUCKET}/layout/server1/old/tracking.log"]


def test_expand_sorts_objects_by_key_and_knows_their_size(layout, s3_opts):
    objs = remote.expand([f"s3://{BUCKET}/layout/"], s3_opts)
    assert [o.url for o in objs] == [f"s3://{BUCKET}/layout/{rel}" for rel in sorted(LAYOUT)]
    assert [o.size for o in objs] == [(layout / rel).stat().st_size for rel in sorted(LAYOUT)]
    assert [o.server for o in objs] == ["server1", "server1", "server1", "server2", None]


def test_a_glob_reads_the_matching_objects_in_key_order(layout, s3_opts):
    url = f"s3://{BUCKET}/layout/*/tracking.log-*.gz"
    objs = remote.expand([url], s3_opts)
    assert [o.url.rsplit("/layout/", 1)[1] for o in objs] == [
        "server1/tracking.log-20130301.gz",
        "server1/tracking.log-20130302.gz",
        "server2/tracking.log-20130302.gz",
    ]
    table = edxlog.read_table(url, storage_options=s3_opts, columns=["event_type", "server"])
    assert table.to_pylist() == [
        {"event_type": "a1", "server": "server1"},
        {"event_type": "a2", "server": "server1"},
        {"event_type": "b2", "server": "server2"},
    ]


def test_a_glob_over_buckets_keys_finds_tar_exports(uploaded_export, synth_corpus, s3_opts):
    table = edxlog.read_table(f"s3://{BUCKET}/*/2013/tracking-*.tar", storage_options=s3_opts)
    assert table.equals(edxlog.read_table(str(synth_corpus)))


def test_a_list_mixes_local_paths_and_urls_in_the_given_order(layout, s3_opts):
    top = layout / "top.log"
    table = edxlog.read_table(
        [f"s3://{BUCKET}/layout/server2/", str(top), f"s3://{BUCKET}/layout/top.log"],
        storage_options=s3_opts,
        columns=["event_type", "source"],
    )
    assert table.to_pylist() == [
        {"event_type": "b2", "source": f"s3://{BUCKET}/layout/server2/tracking.log-20130302.gz"},
        {"event_type": "t", "source": str(top)},
        {"event_type": "t", "source": f"s3://{BUCKET}/layout/top.log"},
    ]


# ---- storage_options and errors ------------------------------------------------------------


def test_anonymous_access_reads_public_objects_only(s3, layout, s3_endpoint):
    # anon=True sends unsigned requests: the server serves a public-read object to them and
    # refuses a private one, so the option really reaches s3fs.
    public = f"s3://{BUCKET}/public/top.log"
    s3.put_file(str(layout / "top.log"), public, ACL="public-read")
    anon = {"anon": True, "endpoint_url": s3_endpoint}
    assert edxlog.read_table(public, storage_options=anon).column("event_type").to_pylist() == ["t"]
    with pytest.raises(PermissionError):
        edxlog.read_table(f"s3://{BUCKET}/layout/top.log", storage_options=anon)


def test_the_endpoint_comes_from_storage_options(layout, s3_opts):
    # The same key through another endpoint (a proxy in front of the server) is the same object.
    with CuttingProxy(s3_opts["endpoint_url"]) as proxy:
        table = edxlog.read_table(
            f"s3://{BUCKET}/layout/top.log", storage_options={**s3_opts, "endpoint_url": proxy.endpoint}
        )
        assert proxy.sent > 0
    assert table.column("event_type").to_pylist() == ["t"]


@pytest.mark.parametrize(
    "key",
    ["layout/no-such.log", "no-such-prefix/", "layout/*/no-such-*.gz", "no/such/key.tar"],
)
def test_a_missing_object_is_file_not_found_naming_the_url(layout, s3_opts, key):
    url = f"s3://{BUCKET}/{key}"
    with pytest.raises(FileNotFoundError) as e:
        edxlog.read(url, storage_options=s3_opts)
    assert url in str(e.value)


def test_a_missing_bucket_is_file_not_found(s3_endpoint, s3_opts):
    with pytest.raises(FileNotFoundError):
        edxlog.read("s3://no-such-bucket-edxlog/x.log", storage_options=s3_opts)


def test_local_paths_and_file_objects_are_not_urls():
    assert remote.is_url("s3://bucket/key") and remote.is_url("gcs://b/k") and remote.is_url("https://x/y")
    assert not remote.is_url("logs/x.log") and not remote.is_url("C:\\logs\\x.log")
    assert not remote.is_url("-") and not remote.is_url(Path("s3://x"))


# ---- a connection that drops mid-object ----------------------------------------------------


@pytest.fixture
def fast_retries(monkeypatch):
    """s3fs retries a failed request 5 times with backoff, and edxlog resumes RESUME_ATTEMPTS
    times more; fewer and quicker here so that the failing cases take a fraction of a second."""
    import s3fs

    monkeypatch.setattr(s3fs.S3FileSystem, "retries", 1)
    monkeypatch.setattr(remote, "RESUME_BACKOFF", 0.01)


def _through(proxy: CuttingProxy, s3_opts: dict) -> dict:
    """Options that reach the server through the proxy. A fresh filesystem instance per proxy
    (fsspec caches instances by their options), and botocore's own retries of a failed
    connection off (they back off for seconds)."""
    return {
        **s3_opts,
        "endpoint_url": proxy.endpoint,
        "skip_instance_cache": True,
        "config_kwargs": {"retries": {"max_attempts": 1}},
    }


def _objects_through(proxy: CuttingProxy, url: str, s3_opts: dict) -> list:
    """The objects of ``url`` listed directly, then read through the proxy: with
    ``strip_length`` the proxy only sees ranged GETs, which it knows how to damage."""
    import s3fs

    fs = s3fs.S3FileSystem(**_through(proxy, s3_opts))
    return [dataclasses.replace(obj, fs=fs).open() for obj in remote.expand([url], s3_opts)]


def test_a_body_cut_without_any_error_is_resumed_not_taken_for_the_end(
    uploaded_export, synth_corpus, s3_opts, small_chunks, fast_retries
):
    # The proxy removes Content-Length: to aiohttp the cut is the end of the body, and s3fs
    # returns the short data without an error (checked first). edxlog counts the bytes against
    # the object's size and asks for the rest with a ranged request.
    import s3fs

    key = uploaded_export.split("://", 1)[1]
    with CuttingProxy(s3_opts["endpoint_url"], cut_after=20_000, cuts=1, strip_length=True) as proxy:
        fs = s3fs.S3FileSystem(**_through(proxy, s3_opts))
        assert len(fs.cat_file(key, start=0, end=60_000)) < 20_000
        assert proxy.cuts_done == 1
    with CuttingProxy(s3_opts["endpoint_url"], cut_after=20_000, cuts=5, strip_length=True) as proxy:
        got = _read(_objects_through(proxy, uploaded_export, s3_opts))
        assert proxy.cuts_done == 5
    local = _read(str(synth_corpus))
    assert got[0].equals(local[0]) and got[1] == local[1] and got[2].equals(local[2])


def test_a_body_cut_with_an_error_is_resumed(uploaded_export, synth_corpus, s3_opts, small_chunks, fast_retries):
    # Content-Length kept: aiohttp raises ClientPayloadError, s3fs gives up (one attempt here,
    # see fast_retries) and edxlog asks again for the range from its first missing byte.
    with CuttingProxy(s3_opts["endpoint_url"], cut_after=30_000, cuts=3) as proxy:
        got = _read(uploaded_export, storage_options=_through(proxy, s3_opts))
        assert proxy.cuts_done == 3
    local = _read(str(synth_corpus))
    assert got[0].equals(local[0]) and got[1] == local[1] and got[2].equals(local[2])


def test_a_server_gone_mid_object_raises_naming_the_object_and_the_offset(
    uploaded_export, s3_opts, small_chunks, fast_retries
):
    (obj,) = remote.expand([uploaded_export], s3_opts)
    with CuttingProxy(s3_opts["endpoint_url"], budget=100_000) as proxy:
        with pytest.raises(OSError) as e:
            _read(uploaded_export, storage_options=_through(proxy, s3_opts))
        assert proxy.refused > 0
    message = str(e.value)
    assert uploaded_export in message
    # The server is gone after 100 000 response bytes (the HEAD of the object, the first 64 KiB
    # range and part of the second): the second range never arrives whole.
    assert f"reading stopped at byte 65536 of {obj.size}" in message


def test_a_plain_log_cut_short_raises_instead_of_losing_its_tail(s3, s3_opts, tmp_path, small_chunks, fast_retries):
    # The case that matters most: for a plain log, a silent truncation would be valid-looking
    # data. Every line must come back, or the read must fail.
    path = write_lines(tmp_path / "big.log", [line(event_type=f"e{i}", event="{}") for i in range(8_000)])
    url = f"s3://{BUCKET}/plain/big.log"
    s3.put_file(str(path), url)
    with CuttingProxy(s3_opts["endpoint_url"], budget=150_000) as proxy:
        with pytest.raises(OSError, match=r"reading stopped at byte \d+ of \d+"):
            edxlog.read_table(url, storage_options=_through(proxy, s3_opts))
    with CuttingProxy(s3_opts["endpoint_url"], cut_after=50_000, cuts=3, strip_length=True) as proxy:
        table = edxlog.read_table(_objects_through(proxy, url, s3_opts), columns=["event_type"])
        assert proxy.cuts_done == 3
    assert table.column("event_type").to_pylist() == [f"e{i}" for i in range(8_000)]


# ---- reading in large pieces ---------------------------------------------------------------


def test_objects_are_fetched_in_ranges_of_chunk_bytes_not_whole(uploaded_export, s3_opts, small_chunks):
    # 64 KiB ranges here: the object (hundreds of KiB) takes several requests, each at most
    # one range, and the data equals the object's bytes.
    (obj,) = remote.expand([uploaded_export], s3_opts)
    fetched = []
    reader = obj.open()
    real_fetch = reader._fetch_exact

    def recording(start, end):
        fetched.append((start, end))
        return real_fetch(start, end)

    reader._fetch_exact = recording
    data = b"".join(iter(lambda: reader.read(1000), b""))
    assert data == obj.fs.cat_file(obj.path)
    assert len(fetched) == -(-obj.size // (64 * 1024)) > 2
    assert all(end - start <= 64 * 1024 for start, end in fetched)
    assert fetched == sorted(fetched) and fetched[-1][1] == obj.size


def test_a_zero_byte_object_reads_as_no_lines(s3, s3_opts):
    s3.pipe(f"{BUCKET}/empty/zero.log", b"")
    with edxlog.read(f"s3://{BUCKET}/empty/zero.log", storage_options=s3_opts) as reader:
        assert reader.read_all().num_rows == 0
        assert reader.stats["lines"] == 0


def test_an_object_reader_seeks_like_a_file(uploaded_export, synth_corpus, s3_opts, small_chunks):
    data = synth_corpus.read_bytes()
    with remote.open_object(uploaded_export, s3_opts) as f:
        assert f.seekable() and f.read(10) == data[:10]
        for pos in (300_000, 5, 65_536 * 3 - 7, len(data) - 3):  # forward, back, across ranges
            assert f.seek(pos) == pos and f.tell() == pos
            assert f.read(100) == data[pos : pos + 100]
        f.seek(-20, 2)
        assert f.read() == data[-20:]
        assert f.read(5) == b""


def test_the_next_objects_first_range_is_fetched_while_the_last_is_read(layout, s3_opts):
    # A prefix of many small objects must not wait for one request per object: when a
    # reader hands out its last range, its successor's first range is already requested.
    readers = remote.open_all(remote.expand([f"s3://{BUCKET}/layout/"], s3_opts))
    assert len(readers) == 5
    for i, reader in enumerate(readers):
        assert reader.read(10)  # the first (and only) range of a small object
        if i + 1 < len(readers):
            pending = readers[i + 1]._next
            assert pending is not None
            assert pending.result()[:1] == b"\x1f" or pending.result()[:1] == b"{"
        assert reader.read() and reader.read(1) == b""
