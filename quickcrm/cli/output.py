"""Lists for people and for spreadsheets, printed one way by every list command.

A list is headers plus rows of cells. On a terminal it is a rich table that fits the
window; when stdout is a file or a pipe (``quickcrm report ... > r.txt``) every value is
printed in full, never cut off with an ellipsis; with ``--csv`` it is CSV for a
spreadsheet: ``;``-separated UTF-8 with a BOM as Dutch Excel expects (as ``export
clients`` writes), cells a spreadsheet would run as a formula neutralised.
"""

import sys
from collections.abc import Sequence
from typing import Any

# Wide enough for any row: off a terminal nothing is wrapped or cut off.
UNLIMITED_WIDTH = 100_000


def console() -> Any:
    """A rich console on stdout: the window's width on a terminal, unlimited off it."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=UNLIMITED_WIDTH)


def plain(cell: Any) -> str:
    """A cell as text: rich ``Text`` without its style, ``None`` as empty."""
    if cell is None:
        return ""
    return str(getattr(cell, "plain", cell))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                title: str | None = None) -> None:
    """Rows of cells under ``headers``; a ``str`` cell is shown as is (no markup), a
    rich ``Text`` with its style."""
    from rich.table import Table
    from rich.text import Text

    table = Table(*headers, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(c if isinstance(c, Text) else Text(plain(c)) for c in row))
    console().print(table)


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """The list as CSV on stdout, for a spreadsheet (see the module docstring)."""
    from quickcrm.documents.tabular import csv_row, csv_writer

    out = sys.stdout
    out.write("\ufeff")
    writer = csv_writer(out)
    writer.writerow(csv_row(list(headers)))
    for row in rows:
        writer.writerow(csv_row([plain(c) for c in row]))
    out.flush()
