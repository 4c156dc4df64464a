"""`python -m edxlog` is the `edxlog` command (see `edxlog --help`)."""

import sys

from edxlog.cli import main

if __name__ == "__main__":
    sys.exit(main())
