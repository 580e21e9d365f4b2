"""`quickcrm demo`: the main job end to end on a fresh embedded database with the
shipped sample data.

The demo is a list of steps (``STEPS``) run in order on one ``DemoContext``; each returns
a ``StepResult`` (data for ``--json``, lines for people). Later areas append their steps
(select a campaign, send it, remind, report) so the demo keeps showing the whole job.
The database is rebuilt on every run so the demo is repeatable.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from quickcrm.bootstrap import Runtime, bootstrap
from quickcrm.clock import FixedClock
from quickcrm.resources import sample_data_dir
from quickcrm.store.models import Person, Relation, Team, User

DB_NAME = "quickcrm.db"
START_DAYS_AGO = 21
R, T, U, P = (m.__table__ for m in (Relation, Team, User, Person))  # type: ignore[union-attr]
Advance = Callable[[int], None]
ProgressFactory = Callable[[str, int | None], AbstractContextManager[Advance]]


def _no_progress(description: str, total: int | None = None) -> AbstractContextManager[Advance]:
    return nullcontext(lambda n: None)


@dataclass
class DemoContext:
    """What every step gets: the runtime on the demo database, a clock steps may move
    forward (reminders are days later), the sample data, and ``state`` to hand results
    (e.g. a campaign's id) to later steps."""

    directory: Path
    runtime: Runtime
    clock: FixedClock
    data_dir: Path
    progress: ProgressFactory = _no_progress
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepResult:
    name: str
    data: dict[str, Any]
    lines: list[str]


@dataclass
class DemoReport:
    directory: Path
    database_url: str
    steps: list[StepResult]

    def to_json(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "database": self.database_url,
                "steps": [{"name": s.name, **s.data} for s in self.steps]}


Step = Callable[[DemoContext], StepResult]


def step_import_clients(ctx: DemoContext) -> StepResult:
    """Import the shipped client file: teams, relationship managers, clients, contacts."""
    from quickcrm.crm.importer import import_clients

    path = ctx.data_dir / "clients.csv"
    rt = ctx.runtime
    with path.open("rb") as fh:
        rows = sum(1 for _ in fh) - 1
    with ctx.progress("importing sample clients", rows) as advance, rt.session() as s:
        result = import_clients(session=s, actor=rt.actor, now=ctx.clock.now(), path=path,
                                progress=advance)
    data = {"file": str(path), **result.to_json()}
    return StepResult("import clients", data, [
        f"imported {path.name}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.rejected} rejected"])


def step_summary(ctx: DemoContext) -> StepResult:
    """Count what is now in the database: clients and managers per team, a few clients."""
    with ctx.runtime.session(read_only=True) as s:
        conn = s.connection()
        clients = conn.execute(select(func.count()).select_from(R)).scalar_one()
        rms = conn.execute(select(func.count(distinct(R.c.rm_id)))).scalar_one()
        contacts = conn.execute(select(func.count()).select_from(P).where(
            P.c.campaign_contact, P.c.email != "")).scalar_one()
        opted_out = conn.execute(select(func.count()).select_from(P)
                                 .where(P.c.opted_out)).scalar_one()
        teams = _team_counts(conn)
        examples = _examples(conn, 5)
    lines = [f"{clients} clients in {len(teams)} teams with {rms} relationship managers "
             f"({contacts} contacts with an e-mail address, {opted_out} opted out)"]
    lines += [f"  {t['team']:<12} {t['clients']:>6} clients  {t['relationship_managers']:>3} RMs"
              for t in teams]
    lines.append("a few clients:")
    lines += [f"  {c['relation_number']}  {c['company']} ({c['city']}) — {c['team']}, "
              f"{c['relationship_manager']}" for c in examples]
    return StepResult("summary", {
        "clients": clients, "teams": len(teams), "relationship_managers": rms,
        "contacts_with_email": contacts, "opted_out": opted_out, "per_team": teams,
        "examples": examples}, lines)


def _team_counts(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(T.c.name, func.count(R.c.id), func.count(distinct(R.c.rm_id)))
        .join(R, R.c.team_id == T.c.id).group_by(T.c.name).order_by(T.c.name)
    ).all()
    return [{"team": name, "clients": n, "relationship_managers": rms} for name, n, rms in rows]


def _examples(conn: Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(R.c.number, R.c.company, R.c.city, T.c.name, U.c.first_name, U.c.last_name)
        .select_from(R.outerjoin(T, T.c.id == R.c.team_id).outerjoin(U, U.c.id == R.c.rm_id))
        .order_by(R.c.number).limit(limit)
    ).all()
    return [{"relation_number": number, "company": company, "city": city, "team": team,
             "relationship_manager": f"{first or ''} {last or ''}".strip()}
            for number, company, city, team, first, last in rows]


def _campaign_steps() -> list[Step]:
    from quickcrm.demo_campaign import STEPS as campaign  # faces .. reports (seed 000)

    return list(campaign)


STEPS: list[Step] = [step_import_clients, step_summary, *_campaign_steps()]


def reset(directory: Path) -> None:
    """Remove the previous demo's database and outbox (only those) so a run starts fresh."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (directory / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(directory / "outbox", ignore_errors=True)


def _check_empty(url: str) -> None:
    """``demo --db``: a database that holds rows (or cannot be reached) is refused."""
    from quickcrm.errors import InvalidState
    from quickcrm.ops.copy import checked_engine, rows_held
    from quickcrm.store.db import database_name

    engine = checked_engine(url, role="database")
    try:
        with engine.connect() as conn:
            held = rows_held(conn)
    finally:
        engine.dispose()
    if held:
        raise InvalidState(f"{database_name(url)} is not empty ({sum(held.values())} rows); "
                           f"the demo runs on an empty database only")


def run_demo(
    *,
    directory: str | Path,
    config: str | None = None,
    now: datetime | None = None,
    progress: ProgressFactory | None = None,
    steps: list[Step] | None = None,
    database_url: str | None = None,
) -> DemoReport:
    """Rebuild the demo database in ``directory`` and run every step on it, as the
    administrator, with mail going to ``directory/outbox`` (a maildir, nothing is sent).

    ``database_url`` (``demo --db``): run the story on that database instead, which must
    hold no rows (it is refused otherwise, before anything is written); the outbox and
    the documents still go to ``directory``."""
    directory = Path(directory).resolve()
    if database_url is not None:
        _check_empty(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        reset(directory)
    else:
        shutil.rmtree(directory / "outbox", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "QUICKCRM_USER"}
    env["QUICKCRM_SMTP_URL"] = f"maildir:{directory / 'outbox'}"
    url = database_url or f"sqlite:///{directory / DB_NAME}"
    # The story starts three weeks ago, so the campaign's reminders and notices (up to
    # 19 days later) lie in the past and `quickcrm report` on the demo database shows them.
    clock = FixedClock(now or datetime.now(UTC) - timedelta(days=START_DAYS_AGO))
    rt = bootstrap(database_url=url, config=config, env=env, clock=clock)
    ctx = DemoContext(directory=directory, runtime=rt, clock=clock,
                      data_dir=sample_data_dir(), progress=progress or _no_progress)
    try:
        results = [step(ctx) for step in (STEPS if steps is None else steps)]
    finally:
        rt.close()
    from quickcrm.settings import mask_url

    return DemoReport(directory=directory, database_url=mask_url(url), steps=results)
