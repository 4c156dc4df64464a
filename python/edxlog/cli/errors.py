"""Exceptions → (exit code, one line that names what failed)."""

from __future__ import annotations

import errno

from edxlog import EdxlogError
from edxlog.cli.conversion import RejectRateExceeded, UsageError


def describe(e: BaseException) -> tuple[int, str]:
    if isinstance(e, UsageError):
        return 2, str(e)
    if isinstance(e, RejectRateExceeded):
        return 3, str(e)
    if isinstance(e, FileNotFoundError):
        name = e.filename or str(e)
        return 1, f"no such file or directory: {name}"
    if isinstance(e, OSError) and e.filename:
        what = e.strerror or errno.errorcode.get(e.errno or 0, "I/O error")
        return 1, f"{e.filename}: {what}"
    if isinstance(e, EdxlogError):
        return 1, str(e)
    if isinstance(e, OSError):
        return 1, str(e)
    return 1, f"{type(e).__name__}: {e} (rerun with --debug for the traceback)"
