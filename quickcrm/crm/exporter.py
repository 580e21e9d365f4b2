"""`export clients`: the client file written with exactly the headers of ``crm.columns``,
so what QuickCRM exports it imports again unchanged (export -> import round-trips).

Segments are written as ``"7. Handel"`` (readable, and the importer accepts it); CSV is
``;``-separated UTF-8 with a BOM as Dutch Excel expects; cells a spreadsheet would run
as a formula are neutralised (``documents.tabular``). Rows are streamed from the
database to the file, so memory stays flat for any number of clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from quickcrm.codes import SEGMENTS, STAGE_DUTCH
from quickcrm.crm.clients import ClientFilters, iter_clients
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.documents.tabular import XlsxWriter, csv_row, csv_writer
from quickcrm.errors import InvalidInput

HEADERS = [c.header for c in CLIENT_COLUMNS]


def client_cells(client: dict[str, Any]) -> list[str]:
    """One client as the export's cells, in ``CLIENT_COLUMNS`` order."""
    cells = []
    for col in CLIENT_COLUMNS:
        value = client.get(col.field)
        if col.segment:
            cells.append(SEGMENTS[col.segment].display(value))
        elif col.field == "stage":
            cells.append(STAGE_DUTCH.get(value or "", value or ""))
        elif col.field == "opted_out":
            cells.append("ja" if value else "nee")
        else:
            cells.append("" if value is None else str(value))
    return cells


def _rows(session: Session, filters: ClientFilters | None) -> Iterator[list[str]]:
    """The cells of every matching client; the filters are checked at the call."""
    return map(client_cells, iter_clients(conn=session.connection(), filters=filters))


def export_clients(
    *, session: Session, path: str | Path, filters: ClientFilters | None = None
) -> int:
    """Write the matching clients to ``path`` (.xlsx or .csv); returns the row count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidInput(f"{path.name}: expected a .xlsx or .csv file name")
    count = 0
    rows = _rows(session, filters)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv_writer(f)
            writer.writerow(csv_row(HEADERS))
            for cells in rows:
                writer.writerow(csv_row(cells))
                count += 1
        return count
    with XlsxWriter(path, HEADERS, title="Klanten") as xlsx:
        for cells in rows:
            xlsx.append(cells)
            count += 1
    return count
