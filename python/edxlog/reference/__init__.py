"""Pure-Python reference reader: the oracle the Rust core is tested against.

It implements docs/contract.md with the standard library and pyarrow only, as plainly as we can
make it. Data flows through it in one direction; each module mirrors a part of the Rust core
(src/) and names the contract section it implements:

    inputs (paths, directories, lists, stdin, file objects)   §1   input/source.py
      -> members (plain files, .gz, tar members, gzip in tar)  §1   input/archive.py, decompress.py
        -> physical lines (split on \\n, bounded length)        §1   input/lines.py
          -> blank | reject | JSON object (+ warnings)         §2   record/line.py, record/json.py
            -> one record: a value per column                  §3-§6 record/build.py, event.py, ...
              -> Arrow columns typed by edxlog.SCHEMA                columns/builder.py

pipeline.py drives that flow and accounting.py counts every line; reader.py is the public
surface (``read``, ``read_table``, ``ReferenceReader``), with the options of ``edxlog.read``.

Where the contract left room for more than one reading, the comment says "Choice:" and names the
reading taken, so that the Rust core can match it.
"""

from __future__ import annotations

from .reader import ReferenceReader, read, read_table

__all__ = ["read", "read_table", "ReferenceReader"]
