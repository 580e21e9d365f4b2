"""Reading clients: list, show, count and stream them, filtered on the segmentation
fields in SQL (values of one filter OR, filters AND, as seed 000's refinement step).

A client comes back as a dict keyed by the ``field`` names of ``crm.columns`` (codes,
not labels), so the exporter writes it column for column.

SQLAlchemy Core only, on a connection (``rt.connection()`` for a command that only reads,
``session.connection()`` inside a transaction): ``clients count`` runs on the light read
path, which imports no ORM and no models (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import Connection, Select, and_, func, select, true

from quickcrm.codes import SEGMENTS, parse_stage
from quickcrm.crm.staff import rm_ids, team_ids
from quickcrm.errors import NotFound, unknown_value
from quickcrm.store.tables import app_user as U
from quickcrm.store.tables import person as P
from quickcrm.store.tables import relation as R
from quickcrm.store.tables import team as T


@dataclass
class ClientFilters:
    """Each list holds the accepted values of one filter (codes or labels for segments);
    an empty list does not filter."""

    team: list[str] = field(default_factory=list)
    rm: list[str] = field(default_factory=list)
    industry: list[str] = field(default_factory=list)
    size: list[str] = field(default_factory=list)
    ownership: list[str] = field(default_factory=list)
    client_group: list[str] = field(default_factory=list)
    life_cycle: list[str] = field(default_factory=list)
    entrepreneur_type: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)

    def active(self) -> dict[str, list[str]]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _columns() -> tuple[list[Any], Any]:
    rm = U.alias("rm")
    return [
        P.c.first_name, P.c.last_name, R.c.number.label("relation_number"), R.c.city,
        R.c.company, *[R.c[f] for f in SEGMENTS], T.c.name.label("team"),
        rm.c.first_name.label("rm_first_name"), rm.c.last_name.label("rm_last_name"),
        P.c.email, rm.c.email.label("rm_email"), R.c.address, R.c.postcode, P.c.phone,
        R.c.stage, P.c.opted_out, R.c.latitude, R.c.longitude,
    ], rm


def _cities(conn: Connection, values: list[str]) -> list[str]:
    """The cities named, lower-cased; one no client has is an error listing the known."""
    wanted = [v.strip().lower() for v in values]
    query = select(func.lower(R.c.city)).where(func.lower(R.c.city).in_(wanted)).distinct()
    found = set(conn.execute(query).scalars())
    for value, key in zip(values, wanted, strict=True):
        if key not in found:
            known = select(R.c.city).where(R.c.city != "").distinct().order_by(R.c.city)
            raise unknown_value("city", value.strip(),
                                list(conn.execute(known).scalars()),
                                plural="cities")
    return wanted


def _where(conn: Connection, filters: ClientFilters) -> list[Any]:
    """SQL conditions for ``filters``; values are parsed and looked up first, so a typo
    is an error naming the known values rather than an empty result."""
    conds: list[Any] = []
    for name, values in filters.active().items():
        if name in SEGMENTS:
            codes = {SEGMENTS[name].parse(v) for v in values}
            conds.append(R.c[name].in_(sorted(c for c in codes if c)))
        elif name == "stage":
            conds.append(R.c.stage.in_(sorted({parse_stage(v) or "" for v in values})))
        elif name == "team":
            conds.append(R.c.team_id.in_(team_ids(conn, values)))
        elif name == "rm":
            conds.append(R.c.rm_id.in_(rm_ids(conn, values)))
        elif name == "city":
            conds.append(func.lower(R.c.city).in_(_cities(conn, values)))
    return conds


def _query(conn: Connection, filters: ClientFilters) -> Select[Any]:
    cols, rm = _columns()
    return (
        select(*cols)
        .select_from(
            R.outerjoin(P, and_(P.c.relation_id == R.c.id, P.c.campaign_contact == true()))
            .outerjoin(T, T.c.id == R.c.team_id)
            .outerjoin(rm, rm.c.id == R.c.rm_id)
        )
        .where(*_where(conn, filters))
        .order_by(R.c.number)
    )


def _clean(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    for key in ("first_name", "last_name", "email", "phone", "team", "rm_first_name",
                "rm_last_name", "rm_email"):
        data[key] = data[key] or ""
    data["opted_out"] = bool(data["opted_out"])
    return data


def list_clients(
    *, conn: Connection, filters: ClientFilters | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    query = _query(conn, filters or ClientFilters())
    if limit is not None:
        query = query.limit(limit)
    return [_clean(r) for r in conn.execute(query)]


def iter_clients(*, conn: Connection, filters: ClientFilters | None = None) -> Iterator[dict[str, Any]]:
    """All matching clients, streamed in relation-number order (for exports). The filters
    are checked and the query run at the call, so a bad filter fails before a file is
    opened. The streaming (``yield_per``, a server-side cursor on PostgreSQL) is an
    option of this one statement, not of the connection, so the later statements of a
    session whose connection it is (an INSERT) run as usual."""
    query = _query(conn, filters or ClientFilters()).execution_options(yield_per=2000)
    return map(_clean, conn.execute(query))


def count_clients(*, conn: Connection, filters: ClientFilters | None = None) -> int:
    """How many clients ``list_clients`` would list: the relations passing the same
    conditions (each joins at most one row: a relation's one campaign contact, its team
    and relationship manager), counted without the joins."""
    where = _where(conn, filters or ClientFilters())
    return int(conn.execute(select(func.count()).select_from(R).where(*where)).scalar_one())


def get_client(*, conn: Connection, number: str) -> dict[str, Any]:
    row = conn.execute(
        _query(conn, ClientFilters()).where(R.c.number == number.strip())).first()
    if row is None:
        raise NotFound(f"unknown client {number.strip()!r}")
    return _clean(row)
