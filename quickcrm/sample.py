"""A deterministic generator of a realistic Dutch client file.

The shipped ``sample_data/clients.csv``, the demo and the import benchmarks all come from
here, so the same seed always gives the same rows (and the first k rows of a larger set
are the k-row set). Rows use the client file's Dutch headers
(``quickcrm.crm.columns.CLIENT_COLUMNS``), so whatever the importer reads, this writes.
It is built for speed: a million CSV rows in a few seconds, streamed, never held whole.
"""

from __future__ import annotations

import codecs
import csv
import re
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import TypeVar

from quickcrm import codes
from quickcrm import sample_names as w
from quickcrm.crm.columns import CLIENT_COLUMNS
from quickcrm.errors import InvalidInput

T = TypeVar("T")
DEFAULT_SEED = 20261123
FIRM_DOMAIN = "accountants.example"
RMS_PER_TEAM = 5
HEADERS: tuple[str, ...] = tuple(c.header for c in CLIENT_COLUMNS)
_ORDER = ("first_name", "last_name", "relation_number", "city", "company", "industry", "size",
          "ownership", "client_group", "life_cycle", "entrepreneur_type", "team",
          "rm_first_name", "rm_last_name", "email", "rm_email", "address", "postcode",
          "phone", "stage", "opted_out", "latitude", "longitude")
# The generator builds tuples in _ORDER; refuse to run if the column list changes under it.
assert tuple(c.field for c in CLIENT_COLUMNS) == _ORDER, "update quickcrm.sample for the new columns"

_ASCII = str.maketrans("äáàâëéèêïíìîöóòôüúùûçñıÄÁÀÂËÉÈÊÏÍÌÎÖÓÒÔÜÚÙÛÇÑ",
                       "aaaaeeeeiiiioooouuuucniAAAAEEEEIIIIOOOOUUUUCN")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Dutch postcodes never use SA, SD or SS as letters.
_LETTERS = tuple(a + b for a in "ABCDEFGHJKLMNPRSTVWXZ" for b in "ABCDEFGHJKLMNPRSTVWXZ"
                 if a + b not in {"SA", "SD", "SS"})


def slug(text: str) -> str:
    """``"Van der Meer Transport"`` -> ``"vandermeertransport"``: for e-mail addresses."""
    return _NON_ALNUM.sub("", text.translate(_ASCII).lower())


@dataclass(frozen=True)
class Manager:
    team: str
    first_name: str
    last_name: str
    email: str


def _last_name(tv: str, surname: str) -> str:
    return f"{tv} {surname}" if tv else surname


def _company_surname(tv: str, surname: str) -> str:
    """A surname that opens a company name capitalises its tussenvoegsel: "Van Dijk"."""
    return f"{tv[0].upper()}{tv[1:]} {surname}" if tv else surname


def managers(seed: int = DEFAULT_SEED) -> list[Manager]:
    """The firm's 25 relationship managers, five per office, with unique e-mails."""
    rng = Random(f"managers-{seed}")
    out: list[Manager] = []
    seen: set[str] = set()
    for team in w.OFFICES:
        while sum(m.team == team for m in out) < RMS_PER_TEAM:
            first = rng.choice(w.FIRST_NAMES)
            tv, surname = rng.choice(w.SURNAMES)
            email = f"{slug(first)[0]}.{slug(tv + surname)}@{FIRM_DOMAIN}"
            if email not in seen:
                seen.add(email)
                out.append(Manager(team, first, _last_name(tv, surname), email))
    return out


def _cum(weights: tuple[int, ...]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _place(town: str, number: int) -> tuple[str, str]:
    """The town's coordinates, spread a few hundred metres by the relation number (no
    draw from the generator, so every other value stays as it was)."""
    lat, lon = w.TOWN_COORDINATES[town]
    return (f"{lat + ((number * 7919) % 201 - 100) / 20000:.5f}",
            f"{lon + ((number * 104729) % 201 - 100) / 12000:.5f}")


def _rows(n: int, seed: int) -> Iterator[tuple[str, ...]]:
    """The rows as tuples in column order (the writers' fast path).

    Draws use ``random()`` with index arithmetic and ``bisect`` on cumulative weights
    instead of ``choice``/``choices``/``randint``: five times faster, still deterministic."""
    rand = Random(seed).random

    def pick(seq: Sequence[T]) -> T:
        return seq[int(rand() * len(seq))]

    def weighted(seq: Sequence[T], cw: list[int]) -> T:
        return seq[bisect(cw, rand() * cw[-1])]

    teams = list(w.OFFICES)
    team_cw = _cum(w.OFFICE_WEIGHTS)
    rms = {t: [m for m in managers(seed) if m.team == t] for t in teams}
    industry_cw, owner_cw, size_cw = (_cum(w.INDUSTRY_WEIGHTS), _cum(w.OWNERSHIP_WEIGHTS),
                                      _cum((45, 35, 15, 5)))
    show = {t.field: [t.display(c) for c in t.codes] for t in codes.SEGMENTS.values()}
    owner_codes = codes.OWNERSHIP.codes
    surnames = [(tv, s, _last_name(tv, s), _company_surname(tv, s), slug(tv + s))
                for tv, s in w.SURNAMES]
    firsts = [(f, slug(f)) for f in w.FIRST_NAMES]
    slugs: dict[str, str] = {}
    number = 100
    for _ in range(n):
        number += 1 + int(rand() * 3)
        team = weighted(teams, team_cw)
        rm = pick(rms[team])
        town, lo, hi, area = pick(w.OFFICES[team]) if rand() < 0.6 else w.OFFICES[team][0]
        first, first_slug = pick(firsts)
        tv, surname, last, company_surname, last_slug = pick(surnames)
        industry = bisect(industry_cw, rand() * industry_cw[-1])  # index: code - 1
        owner = w.INDUSTRY_OWNERSHIP.get(industry + 1, -1)
        if owner < 0:
            owner = bisect(owner_cw, rand() * owner_cw[-1])
        legal, entrepreneur = w.OWNERSHIP_FORMS[owner_codes[owner]]
        word = pick(w.INDUSTRY_WORDS[str(industry + 1)])
        base = company_surname if rand() < 0.6 else pick(surnames)[3]
        chance = rand()
        if legal in ("Stichting", "Maatschap"):
            name = f"{legal} {word} {town}"
        elif chance < 0.45:
            name = f"{base} {word}"
        elif chance < 0.8:
            name = f"{word} {base}"
        else:
            name = f"{word} {town}"
        domain = slugs.get(name) or slugs.setdefault(name, slug(name) + ".example")
        company = f"{name} {legal}" if legal and legal not in ("Stichting", "Maatschap") else name
        chance = rand()
        if chance < 0.03:
            email = ""
        elif chance < 0.7:
            email = f"{first_slug[0]}.{last_slug}@{domain}"
        elif chance < 0.9:
            email = f"{first_slug}@{domain}"
        else:
            email = f"info@{domain}"
        house = str(1 + int(rand() * 250)) + ("" if rand() < 0.85 else pick(("A", "B", "-2", "a")))
        if rand() < 0.6:
            phone = f"06-{10000000 + int(rand() * 90000000)}"
        else:
            digits = 10 - len(area)
            phone = f"{area}-{10 ** (digits - 1) + int(rand() * 9 * 10 ** (digits - 1))}"
        chance = rand()
        stage = "klant" if chance < 0.94 else "prospect" if chance < 0.99 else "ex-klant"
        yield (
            first, last, f"{number:06d}", town, company,
            show["industry"][industry], show["size"][weighted((0, 1, 2, 3), size_cw)],
            show["ownership"][owner], show["client_group"][int(rand() * 4)],
            show["life_cycle"][pick((0, 1, 1, 2, 2, 2, 3, 4))],
            show["entrepreneur_type"]["ABC".index(entrepreneur)],
            team, rm.first_name, rm.last_name, email, rm.email,
            f"{pick(w.STREETS)} {house}", f"{lo + int(rand() * (hi - lo + 1))} {pick(_LETTERS)}",
            phone, stage, "ja" if email and rand() < 0.02 else "", *_place(town, number),
        )


def iter_clients(n: int, *, seed: int = DEFAULT_SEED) -> Iterator[dict[str, str]]:
    """``n`` client rows keyed by the Dutch headers; the same seed gives the same rows."""
    for row in _rows(n, seed):
        yield dict(zip(HEADERS, row, strict=True))


def _delimiter(value: str) -> str:
    value = {"tab": "\t", "\\t": "\t"}.get(value.lower(), value)
    if len(value) != 1:
        raise InvalidInput(f"delimiter must be one character (or 'tab'), got {value!r}")
    return value


def write_clients(
    path: str | Path,
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    encoding: str = "utf-8",
    delimiter: str = ";",
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write ``n`` clients to ``path``: .csv in any encoding/delimiter, or .xlsx."""
    path = Path(path)
    if n < 0:
        raise InvalidInput("the number of clients cannot be negative")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput(f"{path}: write a .csv or .xlsx file")
    path.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda k: None)
    if suffix == ".xlsx":
        _write_xlsx(path, _rows(n, seed), report)
        return path
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidInput(f"unknown encoding {encoding!r}") from None
    sep = _delimiter(delimiter)
    try:
        with path.open("w", encoding=encoding, newline="") as fh:
            out = csv.writer(fh, delimiter=sep)
            out.writerow(HEADERS)
            batch: list[tuple[str, ...]] = []
            for row in _rows(n, seed):
                batch.append(row)
                if len(batch) == 10_000:
                    out.writerows(batch)
                    report(len(batch))
                    batch.clear()
            out.writerows(batch)
            report(len(batch))
    except UnicodeEncodeError as exc:
        path.unlink(missing_ok=True)
        raise InvalidInput(f"{encoding} cannot write {exc.object[exc.start:exc.end]!r}; "
                           "use utf-8 or cp1252") from None
    return path


def _write_xlsx(path: Path, rows: Iterator[tuple[str, ...]], report: Callable[[int], None]) -> None:
    """openpyxl in write-only mode (streams); relation numbers get the text format "@"
    so a spreadsheet keeps "000123" as text when someone edits the cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Klanten")
    sheet.append(list(HEADERS))
    done = 0
    for row in rows:
        number = WriteOnlyCell(sheet, value=row[2])
        number.number_format = "@"
        sheet.append([*row[:2], number, *row[3:]])
        done += 1
        if done % 10_000 == 0:
            report(10_000)
    report(done % 10_000)
    book.save(path)
