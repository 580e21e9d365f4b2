"""`quickcrm attention ...` (seed 003's Aandachtsmonitor) and `quickcrm import
activities`: parse, call one service of ``quickcrm.attention``, print."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.clients import (
    City,
    ClientGroup,
    EntrepreneurType,
    Industry,
    LifeCycle,
    Ownership,
    Rm,
    Size,
    Stage,
    Team,
    make_filters,
)
from quickcrm.cli.common import Ctx, NowOpt, command, warn

app = typer.Typer(help="The attention monitor: contact moments per relation, timelines, "
                       "relation groups.", no_args_is_help=True)
group_app = typer.Typer(help="Relation groups (B-Groep): fixed sets of relations to follow.",
                        no_args_is_help=True)
app.add_typer(group_app, name="group")
importers = typer.Typer()

From = Annotated[str | None, typer.Option("--from", help="First local day (YYYY-MM-DD); "
                                          "default a year before --to.", show_default=False)]
To = Annotated[str | None, typer.Option("--to", help="Last local day, inclusive "
                                        "(YYYY-MM-DD); default today.", show_default=False)]
GroupOpt = Annotated[str | None, typer.Option("--group", help="Only the relations of this "
                                              "relation group.", show_default=False,
                                              rich_help_panel="Relations")]
FileOpt = Annotated[Path | None, typer.Option("--file", help="Only the relations numbered in "
                                              "this .csv/.xlsx (column Relatienummer, or the "
                                              "first).", show_default=False,
                                              rich_help_panel="Relations")]
ExcelOpt = Annotated[Path | None, typer.Option("--excel", help="Also write the grid to this "
                                               ".xlsx (Kleur, Code, Naam, Tot., dgn).",
                                               show_default=False, rich_help_panel="Output")]
ChartOpt = Annotated[Path | None, typer.Option("--chart", help="Also draw the distribution "
                                               "as this .png.", show_default=False,
                                               rich_help_panel="Output")]
GeoOpt = Annotated[Path | None, typer.Option("--geojson", help="Also write the placed "
                                             "relations as GeoJSON points (bucket as a "
                                             "property).", show_default=False,
                                             rich_help_panel="Output")]
BucketOpt = Annotated[str | None, typer.Option("--bucket", help="Only this bucket (red, "
                                               "darkgrey, lightgrey, blue, green, yellow) or "
                                               "sales class, with name, address and city.",
                                               show_default=False)]
SortOpt = Annotated[str, typer.Option("--sort", help="total (most first), dgn (longest "
                                      "without contact first), name or relation.")]


def _period(c: Ctx, start: str | None, end: str | None) -> tuple[Any, Any]:
    from datetime import timedelta

    from quickcrm.attention.monitor import default_period, parse_day

    rt = c.runtime()
    low, high = default_period(rt.clock.now(), c.tz)
    high = parse_day(end, "--to") if end else high
    low = parse_day(start, "--from") if start else (high - timedelta(days=365))
    return low, high


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _relations(group: str | None, file: Path | None, numbers: list[str],
               filters: Any) -> Any:
    from quickcrm.attention.scope import Relations
    from quickcrm.errors import InvalidInput

    given = [bool(group), file is not None, bool(numbers), bool(filters.active())]
    if sum(given) > 1:
        raise InvalidInput("pick the relations one way: --group, --file, --relations or "
                           "the client filters")
    return Relations(group=group, file=str(file) if file else None, numbers=tuple(numbers),
                     filters=filters)


def _print_result(c: Ctx, data: dict[str, Any], naw: bool) -> None:
    from quickcrm.cli.common import shown_time
    from quickcrm.cli.output import print_table

    typer.echo(f"computed {shown_time(data['computed_at'], c.tz)}, {data['from']} to "
               f"{data['to']}, users: {', '.join(data['users']) if data['users'] else 'all'}")
    rels = data["relations"]
    sales = data.get("view") == "sales"
    types = data.get("view") == "types"
    headers = ["Kleur" if not sales else "Klasse", "Code", "Naam", "Tot.", "dgn", "bijgewerkt"]
    if types:
        headers += ["hist.", "dgn", "corr.", "dgn", "notit.", "sales", "helpd.", "open", "opgel."]
    if "revenue" in (rels[0] if rels else {}):
        headers += ["Omzet"]
    if sales:
        headers += ["per contact", "dgn sales"]
    if naw:
        headers += ["Adres", "Postcode", "Plaats"]
    rows = []
    for r in rels:
        row = [r.get("class") if sales else r["bucket"], r["relation"], r["name"], r["total"],
               _dash(r["days_since"]), _dash(r["updated_days"])]
        if types:
            t = r["types"]
            row += [t["historie"]["count"], _dash(t["historie"]["days_since"]),
                    t["correspondentie"]["count"], _dash(t["correspondentie"]["days_since"]),
                    t["notitie"]["count"], t["sales"]["count"], t["helpdesk"]["count"],
                    r["helpdesk_open"], r["helpdesk_solved"]]
        if "revenue" in r:
            row += [f"{r['revenue']:.2f}"]
        if sales:
            row += [_dash(r["per_contact"]), _dash(r["sales_days"])]
        if naw:
            row += [r.get("address", ""), r.get("postcode", ""), r.get("city", "")]
        rows.append(row)
    print_table(headers, rows, None)
    if sales:
        for d in data["distribution"]:
            typer.echo(f"{d['class']:>20}: {d['count']} relations, per contact "
                       f"{_dash(d['min_per_contact'])}..{_dash(d['max_per_contact'])}, revenue "
                       f"{d['revenue']:.2f} ({d['share']:.0%})")
        typer.echo(f"revenue per contact moment overall: {data['summary']['per_contact']:.2f}; "
                   f"excluded (no contacts, no revenue): {len(data.get('excluded', []))}")
        return
    for d in data["distribution"]:
        span = ("-" if d["min"] is None else
                f"{d['min']}..{d['max'] if d['max'] is not None else ''}")
        typer.echo(f"{d['bucket']:>10}: {d['count']:>5}  ({d['share']:.0%})  range {span}")
    s = data["summary"]
    typer.echo(f"little {s['little']:.0%}, average {s['average']:.0%}, much {s['much']:.0%}")


def _dash(value: Any) -> Any:
    return "-" if value is None else value


def _outputs(c: Ctx, data: dict[str, Any], excel: Path | None, chart: Path | None,
             geojson: Path | None) -> None:
    from quickcrm.attention import outputs

    if excel is not None:
        outputs.write_excel(data, excel)
        warn(f"wrote {excel}")
    if chart is not None:
        outputs.write_chart(data, chart)
        warn(f"wrote {chart}")
    if geojson is not None:
        placed, not_placed = outputs.write_geojson(data, geojson)
        warn(f"wrote {geojson}: {placed} placed, {not_placed} not placed (no coordinates)")


@command(app, "compute")
def attention_compute(
    c: Ctx,
    start: From = None,
    end: To = None,
    users: Annotated[str | None, typer.Option(
        "--users", help="Only these users' contact moments: e-mails or initials, comma "
        "separated (default: every user).", show_default=False)] = None,
    user_team: Annotated[str | None, typer.Option(
        "--user-team", help="Only the contact moments of this team's users.",
        show_default=False)] = None,
    group: GroupOpt = None,
    file: FileOpt = None,
    team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
    view: Annotated[str, typer.Option("--view", help="contacts, types (historie, "
                                      "correspondentie, helpdesk ...) or sales (needs see "
                                      "revenue).")] = "contacts",
    revenue: Annotated[str | None, typer.Option(
        "--revenue", help="Add revenue: orders, invoices or both (needs see revenue).",
        show_default=False)] = None,
    now: NowOpt = None,
    excel: ExcelOpt = None, chart: ChartOpt = None, geojson: GeoOpt = None,
) -> None:
    """Count the contact moments per relation in a period and colour them; the result is kept.

    Example: quickcrm attention compute --from 2026-01-01 --to 2026-12-31 --users JV,r.meer@kantoor.example --team Zwolle
    """
    from quickcrm.attention.monitor import Params, compute, for_reader

    rt = c.runtime(now=now)
    actor = rt.actor
    low, high = _period(c, start, end)
    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    params = Params(start=low, end=high, users=tuple(_split(users)), user_team=user_team,
                    relations=_relations(group, file, [], filters), view=view,
                    revenue=revenue)
    with rt.session() as s:
        result = compute(session=s, actor=actor, now=rt.clock.now(), tz=c.tz, params=params)
    _outputs(c, for_reader(result, actor, naw=True), excel, chart, geojson)
    data = for_reader(result, actor)
    c.emit(data, lambda: _print_result(c, data, False))


@command(app, "show")
def attention_show(
    c: Ctx,
    group: Annotated[str | None, typer.Option(
        "--group", help="The nightly result of this relation group (default: your own "
        "last computation).", show_default=False)] = None,
    sort: SortOpt = "total",
    bucket: BucketOpt = None,
    excel: ExcelOpt = None, chart: ChartOpt = None, geojson: GeoOpt = None,
) -> None:
    """Show the last computed result again, without recounting.

    Example: quickcrm attention show --sort dgn --bucket red
    """
    from quickcrm.attention.monitor import for_reader, stored

    rt = c.runtime()
    actor = rt.actor
    with rt.session(read_only=True) as s:
        result = stored(session=s, actor=actor, group=group)
    _outputs(c, for_reader(result, actor, sort=sort, bucket=bucket, naw=True), excel, chart,
             geojson)
    data = for_reader(result, actor, sort=sort, bucket=bucket, naw=bucket is not None)
    c.emit(data, lambda: _print_result(c, data, bucket is not None))


@command(app, "log")
def attention_log(
    c: Ctx,
    number: Annotated[str, typer.Argument(help="Relation number.")],
    kind: Annotated[str, typer.Option("--kind", help="historie, notitie, email-in, "
                                      "email-uit, suspect, offerte, order, factuur, "
                                      "helpdesk, ...")],
    channel: Annotated[str | None, typer.Option(
        "--channel", help="telefoon, e-mail, bezoek, web, chat, social, post, balie.",
        show_default=False)] = None,
    subject: Annotated[str, typer.Option("--subject", help="What it was about.")] = "",
    amount: Annotated[float | None, typer.Option(
        "--amount", help="Amount in euros (sales and invoices).", show_default=False)] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="When (ISO date/time, local if naive); default now.",
        show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Record one contact moment with a relation by hand, as yourself.

    Example: quickcrm attention log 000123 --kind historie --channel telefoon --subject "Jaarrekening besproken"
    """
    from quickcrm.attention.activities import log_contact
    from quickcrm.clock import parse_now
    from quickcrm.errors import InvalidInput

    rt = c.runtime(now=now)
    actor = rt.actor
    try:
        when = parse_now(at, c.tz) if at else None
    except InvalidInput:
        raise InvalidInput(f"--at: not an ISO date or datetime: {at!r}") from None
    with rt.session() as s:
        done = log_contact(session=s, actor=actor, now=rt.clock.now(), number=number,
                           kind=kind, channel=channel, subject=subject, at=when, amount=amount)
    c.emit(done, lambda: typer.echo(f"recorded {done['kind']} #{done['id']} for "
                                    f"{done['relation']}"))


@command(app, "solve")
def attention_solve(
    c: Ctx,
    event_id: Annotated[int, typer.Argument(help="The helpdesk call's id (from the timeline).")],
    now: NowOpt = None,
) -> None:
    """Mark a helpdesk call solved.

    Example: quickcrm attention solve 4711
    """
    from quickcrm.attention.activities import solve_call

    rt = c.runtime(now=now)
    actor = rt.actor
    with rt.session() as s:
        done = solve_call(session=s, actor=actor, now=rt.clock.now(), event_id=event_id)
    c.emit(done, lambda: typer.echo(f"helpdesk call {event_id} solved"))


@command(importers, "activities")
def import_activities_cmd(
    c: Ctx,
    file: Annotated[Path, typer.Argument(help="A .xlsx or .csv with Relatienummer, Datum, "
                                         "Medewerker, Soort, Kanaal, Onderwerp, Bedrag, "
                                         "Status.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file; write nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the valid rows; report the others.")] = False,
) -> None:
    """Import contact moments from another system; all or nothing unless --skip-invalid.

    Example: quickcrm import activities activiteiten.xlsx --dry-run
    """
    from quickcrm.attention.activities import import_activities

    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s, c.progress(f"importing {file.name}") as advance:
        result = import_activities(session=s, actor=actor, now=rt.clock.now(), tz=c.tz,
                                   path=file, skip_invalid=skip_invalid, dry_run=dry_run,
                                   progress=advance)
    for line in result.warnings + [str(p) for p in result.errors]:
        warn(line)
    prefix = "dry run, nothing written: " if dry_run else ""
    c.emit(result.to_json(), lambda: typer.echo(
        f"{prefix}{result.imported} contact moments imported, {result.rejected} rejected"))


@command(app, "timeline")
def attention_timeline(
    c: Ctx,
    number: Annotated[str | None, typer.Argument(help="Relation number (or --group / --rm).",
                                                 show_default=False)] = None,
    group: Annotated[str | None, typer.Option("--group", help="Every relation of this group.",
                                              show_default=False)] = None,
    rm: Annotated[str | None, typer.Option("--rm", help="Every relation of this relationship "
                                           "manager (e-mail).", show_default=False)] = None,
    start: Annotated[str | None, typer.Option("--from", help="First local day (YYYY-MM-DD); "
                                              "default: from the start.",
                                              show_default=False)] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last local day, inclusive; default "
                                            "today.", show_default=False)] = None,
    detail: Annotated[bool, typer.Option("--detail", help="Add the e-mails' first lines and "
                                         "every detail.")] = False,
) -> None:
    """Every event of a relation in time order; what is not counted is marked.

    Example: quickcrm attention timeline 000123 --from 2026-07-01 --detail
    """
    from datetime import date

    from quickcrm.attention.monitor import parse_day
    from quickcrm.cli.common import shown_time
    from quickcrm.privacy.reading import read_timeline

    rt = c.runtime()
    actor = rt.actor
    low = parse_day(start, "--from") if start else (date(1900, 1, 1) if end else None)
    high = parse_day(end, "--to") if end else (_period(c, None, None)[1] if start else None)
    with rt.session() as s:  # need to know (issue 29): a read is recorded
        data = read_timeline(session=s, actor=actor, now=rt.clock.now(), settings=rt.settings,
                             number=number, group=group, rm=rm, start=low, end=high,
                             detail=detail)

    def human() -> None:
        for e in data["events"]:
            mark = " " if e["counted"] else "*"
            extra = f" [{e['status']}]" if "status" in e else ""
            if "amount" in e:
                extra += f" € {e['amount']:.2f}"
            typer.echo(f"{mark} {shown_time(e['at'], c.tz)}  #{e['id']:<6} {e['relation']:<10} "
                       f"{e['type'] or '':<15} {e['kind']:<28} {e['user'] or '-':<28} "
                       f"{e['channel'] or '':<9} {e['subject']}{extra}")
            if e.get("first_lines"):
                for line in e["first_lines"].splitlines():
                    typer.echo(f"      | {line}")
        typer.echo(f"{len(data['events'])} events, {data['counted']} contact moments "
                   "(* shown, not counted)")
        if data.get("hidden"):
            typer.echo(data["hidden"]["line"])

    c.emit(data, human)


Relnrs = Annotated[str | None, typer.Option(
    "--relations", help="Relation numbers, comma separated.", show_default=False,
    rich_help_panel="Relations")]


@command(group_app, "create")
def group_create(
    c: Ctx,
    name: Annotated[str, typer.Argument(help="The group's name.")],
    relations: Relnrs = None,
    file: FileOpt = None,
    team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
    nightly: Annotated[bool, typer.Option("--nightly", help="Let the daemon recompute its "
                                          "monitor once per local day.")] = False,
    now: NowOpt = None,
) -> None:
    """Create a relation group from relation numbers, a file or the client filters.

    Example: quickcrm attention group create Topklanten --relations 000123,000456 --nightly
    """
    from quickcrm.attention.groups import create_group

    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    rt = c.runtime(now=now)
    actor = rt.actor
    with rt.session() as s:
        data = create_group(session=s, actor=actor, now=rt.clock.now(), name=name,
                            relations=_relations(None, file, _split(relations), filters),
                            nightly=nightly)
    c.emit(data, lambda: typer.echo(f"relation group {data['name']!r}: "
                                    f"{len(data['relations'])} relations"
                                    + (", recomputed nightly" if data["nightly"] else "")))


@command(group_app, "list", listing=True)
def group_list(c: Ctx) -> None:
    """List the relation groups.

    Example: quickcrm attention group list
    """
    from quickcrm.attention.groups import list_groups

    rt = c.runtime()
    actor = rt.actor
    with rt.session(read_only=True) as s:
        groups = list_groups(session=s, actor=actor)
    c.table(groups, ["Groep", "Relaties", "Nachtelijks"],
            [[g["name"], g["relations"], "ja" if g["nightly"] else "nee"] for g in groups])


@command(group_app, "show")
def group_show(c: Ctx, name: Annotated[str, typer.Argument(help="The group's name.")]) -> None:
    """Show a relation group's relations.

    Example: quickcrm attention group show Topklanten
    """
    from quickcrm.attention.groups import show_group
    from quickcrm.cli.output import print_table

    rt = c.runtime()
    actor = rt.actor
    with rt.session(read_only=True) as s:
        data = show_group(session=s, actor=actor, name=name)
    c.emit(data, lambda: print_table(["Code", "Naam", "Plaats"],
                                     [[r["relation"], r["name"], r["city"]]
                                      for r in data["relations"]], data["name"]))


@command(group_app, "add")
def group_add(
    c: Ctx, name: Annotated[str, typer.Argument(help="The group's name.")],
    relations: Relnrs = None, file: FileOpt = None,
    team: Team = None, rm: Rm = None, industry: Industry = None, size: Size = None,
    ownership: Ownership = None, client_group: ClientGroup = None, life_cycle: LifeCycle = None,
    entrepreneur_type: EntrepreneurType = None, stage: Stage = None, city: City = None,
) -> None:
    """Add relations to a relation group.

    Example: quickcrm attention group add Topklanten --relations 000789
    """
    from quickcrm.attention.groups import add_to_group

    filters = make_filters(team=team, rm=rm, industry=industry, size=size, ownership=ownership,
                           client_group=client_group, life_cycle=life_cycle,
                           entrepreneur_type=entrepreneur_type, stage=stage, city=city)
    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s:
        data = add_to_group(session=s, actor=actor, now=rt.clock.now(), name=name,
                            relations=_relations(None, file, _split(relations), filters))
    c.emit(data, lambda: typer.echo(f"{data['added']} relations added to {data['name']!r}"))


@command(group_app, "remove")
def group_remove(
    c: Ctx, name: Annotated[str, typer.Argument(help="The group's name.")],
    relations: Relnrs = None, file: FileOpt = None,
) -> None:
    """Remove relations from a relation group.

    Example: quickcrm attention group remove Topklanten --relations 000789
    """
    from quickcrm.attention.groups import remove_from_group
    from quickcrm.crm.clients import ClientFilters

    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s:
        data = remove_from_group(session=s, actor=actor, now=rt.clock.now(), name=name,
                                 relations=_relations(
            None, file, _split(relations), ClientFilters()))
    c.emit(data, lambda: typer.echo(f"{data['removed']} relations removed from "
                                    f"{data['name']!r}"))


@command(group_app, "delete")
def group_delete(c: Ctx, name: Annotated[str, typer.Argument(help="The group's name.")]) -> None:
    """Delete a relation group (its relations stay).

    Example: quickcrm attention group delete Topklanten
    """
    from quickcrm.attention.groups import delete_group

    rt = c.runtime()
    actor = rt.actor
    with rt.session() as s:
        data = delete_group(session=s, actor=actor, now=rt.clock.now(), name=name)
    c.emit(data, lambda: typer.echo(f"relation group {data['name']!r} deleted"))
