"""`edxlog schema`: the columns, their Arrow types and docs, from the one schema definition."""

from __future__ import annotations

import json

import click


def _rows():
    import edxlog

    for f in edxlog.SCHEMA:
        doc = (f.metadata or {}).get(b"doc", b"").decode()
        yield f.name, str(f.type), doc


@click.command(context_settings=dict(help_option_names=["-h", "--help"], max_content_width=100), epilog="""\b
Examples:
  edxlog schema                  # a table of name, type, doc
  edxlog schema --json | jq .    # for programs
""")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {name, type, doc}.")
def schema(as_json: bool) -> None:
    """Print the Arrow schema of edxlog's rows, with the one-line doc of every column."""
    rows = list(_rows())
    if as_json:
        click.echo(json.dumps([dict(name=n, type=t, doc=d) for n, t, d in rows], indent=1, ensure_ascii=False))
        return
    import sys

    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table("column", "type", "doc", show_lines=False)
        for n, t, d in rows:
            table.add_row(n, t, d, style=None)
        Console(markup=False).print(table)
        return
    width = max(len(n) for n, _, _ in rows)
    for n, t, d in rows:
        click.echo(f"{n:<{width}}  {t}\n{'':<{width}}  {d}")
