"""The `edxlog` command (also `python -m edxlog`): convert, stats, schema.

Built on click. Errors are one line on stderr (``edxlog: error: ...``) with no traceback unless
``--debug``; exit codes: 0 success, 1 runtime error, 2 usage error, 3 reject rate exceeded,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import signal
import sys
from typing import Optional, Sequence

import click

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

CONTEXT = dict(help_option_names=["-h", "--help"], max_content_width=100)


def _version() -> str:
    from edxlog import __version__

    return __version__


@click.group(context_settings=CONTEXT, epilog="""\b
Examples:
  edxlog convert course-data/*.tar.gz -o events/          # a dated Parquet dataset
  edxlog stats export.tar.gz --plot coverage.png          # what is in an export
  edxlog schema                                           # the columns

Run `edxlog COMMAND --help` for the options and examples of each command.""")
@click.version_option(_version(), "-V", "--version", prog_name="edxlog", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error.")
@click.pass_context
def main_group(ctx: click.Context, debug: bool) -> None:
    """edxlog: edX / Open edX tracking logs to Apache Arrow and Parquet, fast."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    from edxlog.cli.convert import convert
    from edxlog.cli.schema import schema
    from edxlog.cli.stats import stats

    main_group.add_command(convert)
    main_group.add_command(stats)
    main_group.add_command(schema)


_register()


def _fail(message: str, code: int) -> int:
    click.echo(f"edxlog: error: {' '.join(str(message).split())}", err=True)
    return code


class _Terminated(BaseException):
    pass


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the `edxlog` script and `python -m edxlog`; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    from edxlog.cli import legacy

    if legacy.is_legacy(args, main_group.commands):
        return legacy.run(args)
    debug = "--debug" in args
    with _signals():
        try:
            main_group.main(args, prog_name="edxlog", standalone_mode=False)
            return EXIT_OK
        except click.exceptions.Exit as e:
            return e.exit_code
        except (click.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            if debug:
                raise
            return _fail("interrupted; nothing partial was left (rerun to complete)", EXIT_INTERRUPTED)
        except click.UsageError as e:
            if debug:
                raise
            if type(e).__name__ == "NoArgsIsHelpError" or not args:  # bare `edxlog`: the help
                click.echo(main_group.get_help(click.Context(main_group, info_name="edxlog")), err=True)
                return EXIT_USAGE
            hint = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
            return _fail(e.format_message() + hint, EXIT_USAGE)
        except click.ClickException as e:
            if debug:
                raise
            return _fail(e.format_message(), e.exit_code)
        except _Terminated:
            return _fail("terminated; nothing partial was left (rerun to complete)", 128 + signal.SIGTERM)
        except BrokenPipeError:
            return EXIT_RUNTIME
        except Exception as e:  # one clear line: the error names the file and member
            if debug:
                raise
            from edxlog.cli.errors import describe

            code, message = describe(e)
            return _fail(message, code)


class _signals:
    """SIGTERM ends a run as Ctrl-C does (temporary files removed); restored afterwards."""

    def __enter__(self):
        self.old = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)
