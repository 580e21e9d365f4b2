"""`quickcrm audit`: the audit trail, who changed what when, old -> new (issue 29)."""

from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, shown_time


def _value(value: Any, none: str = "-", empty: str = '""') -> str:
    if value is None:
        return none
    if isinstance(value, str):
        return value or empty
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def audit_cmd(
    c: Ctx,
    person: Annotated[str | None, typer.Option(
        "--person", help="Only events about this person (id, e-mail or the relation number "
                         "of a campaign contact).", show_default=False)] = None,
    relation: Annotated[str | None, typer.Option(
        "--relation", help="Only events about this relation (relation number).",
        show_default=False)] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="Only events of this user (e-mail): who acted, or on whose behalf.",
        show_default=False)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="From this local day (YYYY-MM-DD) or ISO date-time on.",
        show_default=False)] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="One event kind (person.updated) or an area's (person).",
        show_default=False)] = None,
) -> None:
    """The audit trail: who changed what and when, old -> new, one line per change.

    Needs `read the audit trail` (admins, coordinators); amounts only with `see revenue`.

    Example: quickcrm audit --relation 000123 --since 2026-11-01
    """
    from quickcrm.privacy.audit import audit_trail

    rt = c.runtime()
    with rt.session() as s:  # a read of sensitive parts is recorded (privacy.read)
        trail = audit_trail(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                            person=person, relation=relation, user=user, since=since, kind=kind)
    tz = c.tz
    lines = trail.lines()
    if c.json or c.csv:
        c.table(trail.to_json(), ["Tijdstip", "Gebruiker", "Soort", "Relatie", "Persoon",
                                  "Veld", "Oud", "Nieuw", "Bedrag"],
                [[shown_time(x["at"], tz), x["user"], x["kind"], x["relation"] or "",
                  x["person_id"] or "", x["field"], _value(x["old"], "", "") if x["field"] else "",
                  _value(x["new"], "", "") if x["field"] else "", x.get("amount", "")] for x in lines])
        return
    for x in lines:
        where = " ".join(p for p in (f"relation {x['relation']}" if x["relation"] else "",
                                     f"person {x['person_id']}" if x["person_id"] else "") if p)
        who = x["user"] or "-"
        if x.get("acted_by"):
            who += f" (by {x['acted_by']})"
        what = (f"{x['field']}: {_value(x['old'])} → {_value(x['new'])}" if x["field"]
                else ", ".join(f"{k}={_value(v)}" for k, v in x["details"].items()))
        amount = f"  € {x['amount']}" if "amount" in x else ""
        typer.echo(f"{shown_time(x['at'], tz)}  {who}  {x['kind']}  {where}  {what}{amount}"
                   .replace("    ", "  "))
    typer.echo(f"{len(trail.events)} events")
    if trail.amounts_hidden:
        typer.echo("amounts shown as *** (they need see revenue)")
    if trail.hidden:
        typer.echo(f"hidden: the details of {trail.hidden} events (need to know: "
                   f"{trail.hidden_why})")


def register(app: typer.Typer) -> None:
    command(app, "audit", listing=True)(audit_cmd)
