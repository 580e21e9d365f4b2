"""Real client files for the import/export tests: rows keyed by the Dutch headers,
written as CSV (any encoding/delimiter) or .xlsx (openpyxl, numbers stored as text)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from quickcrm.crm.columns import CLIENT_COLUMNS

HEADERS = [c.header for c in CLIENT_COLUMNS]


def client(number: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid row; ``overrides`` use the snake_case field names."""
    base = {
        "first_name": "Jan", "last_name": "de Vries", "relation_number": number,
        "city": "Zwolle", "company": f"Bedrijf {number} B.V.", "industry": "7. Handel",
        "size": "Klein", "ownership": "B", "client_group": "A", "life_cycle": "Groei",
        "entrepreneur_type": "DGA", "team": "Zwolle", "rm_first_name": "Rita",
        "rm_last_name": "Meer", "email": f"klant{number}@bedrijf.example",
        "rm_email": "r.meer@kantoor.example", "address": "Markt 1", "postcode": "8011 AA",
        "phone": "038-1234567", "stage": "klant", "opted_out": "nee",
    }
    base.update(overrides)
    by_field = {c.field: c.header for c in CLIENT_COLUMNS}
    return {by_field[k]: v for k, v in base.items()}


def write_csv(path: Path, rows: list[dict[str, Any]], *, encoding: str = "cp1252",
              delimiter: str = ";", headers: list[str] | None = None) -> Path:
    headers = headers or HEADERS
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f, delimiter=delimiter)
        out.writerow(headers)
        for r in rows:
            out.writerow([r.get(h, "") for h in headers])
    return path


def write_xlsx(path: Path, rows: list[dict[str, Any]], *, headers: list[str] | None = None) -> Path:
    from openpyxl import Workbook

    headers = headers or HEADERS
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for r in rows:
        sheet.append([r.get(h, "") for h in headers])
    book.save(path)
    return path
