"""`quickcrm worklist`: the work queue (seed 001, "werkvoorraad CRM"): open signals due."""

from typing import Annotated

import typer

from quickcrm.cli.common import Ctx, NowOpt, command


def worklist_cmd(c: Ctx,
                 user: Annotated[str | None, typer.Option(
                     "--user", help="Whose work queue (e-mail); default yours.",
                     show_default=False)] = None,
                 date: Annotated[str | None, typer.Option(
                     "--date", help="Everything due on or before this day (YYYY-MM-DD).",
                     show_default=False)] = None,
                 now: NowOpt = None) -> None:
    """Open signals that are due (one with a time appears from that time).

    Example: quickcrm worklist --date 2026-12-07
    """
    from quickcrm.crm.persons import parse_date
    from quickcrm.crm.signals import user_by_email, worklist

    rt = c.runtime(now=now)
    with rt.session(read_only=True) as s:
        user_id = user_by_email(s, user).id if user else rt.actor.id
        assert user_id is not None
        rows = worklist(session=s, user_id=user_id, now=rt.clock.now(), tz=c.tz,
                        day=parse_date(date, "--date") if date else None)
    c.table(rows, ["Id", "Persoon", "Titel", "Datum", "Tijd", "Ref"],
            [[r["id"], f"{r['person']} ({r['person_id']})", r["title"], r["due_date"],
              r["due_time"], r["ref"]] for r in rows])


def register(app: typer.Typer) -> None:
    command(app, "worklist", listing=True)(worklist_cmd)
