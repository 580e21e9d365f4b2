"""`quickcrm quickscan load|list|show|doc`: QuickScan definitions."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command, console

app = typer.Typer(help="Load and inspect QuickScan definitions.", no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(help="The QuickScan's key, e.g. bedrijfsopvolging.")]


@command(app, "load")
def quickscan_load(
    c: Ctx,
    path: Annotated[Path, typer.Argument(help="A .toml definition or a directory of them.")],
) -> None:
    """Validate and load (insert or replace by key) QuickScan definitions.

    Example: quickcrm quickscan load templates/quickscans/
    """
    from quickcrm.quickscans.definitions import load_quickscans

    rt = c.runtime()
    with rt.session() as s:
        loaded = load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=path)

    def human() -> None:
        for item in loaded:
            typer.echo(f"{item.status:>9}  {item.key}  ({item.kind}, {item.questions} questions)")

    c.emit([vars(item) for item in loaded], human)


@command(app, "list", listing=True)
def quickscan_list(c: Ctx) -> None:
    """List the loaded QuickScans (the shipped ones are loaded when there are none).

    Example: quickcrm quickscan list --json
    """
    from quickcrm.quickscans.definitions import list_quickscans

    rt = c.runtime()
    with rt.session() as s:
        rows = list_quickscans(session=s, now=rt.clock.now())
        s.commit()
    c.table(rows, ("Key", "Title", "Kind", "Questions", "Update QuickScan"),
            [(r["key"], r["title"], r["kind"], r["questions"], r["update"] or "") for r in rows])


def _range(q: Any) -> str:
    from quickcrm.quickscans.explanation import num

    if q.type == "slider":
        return f"{num(q.min)}..{num(q.max)} step {num(q.step)}"
    if q.type == "rating":
        return f"{num(q.min)}..{num(q.max)}"
    if q.type == "choice":
        return ", ".join(f"{v}={t}" for v, t in q.choice_values())
    return f"max {q.max_length} characters"


@command(app, "show")
def quickscan_show(c: Ctx, key: KeyArg) -> None:
    """Show a QuickScan's questions with their types and value ranges, and its attention points.

    Each attention point is listed with the answers that give it.

    Example: quickcrm quickscan show bedrijfsopvolging
    """
    from rich.table import Table

    from quickcrm.quickscans.definitions import definition_of, get_quickscan

    rt = c.runtime()
    with rt.session() as s:
        d = definition_of(get_quickscan(session=s, key=key, now=rt.clock.now()))
        s.commit()
    data = d.to_data()

    def human() -> None:
        con = console()
        con.print(f"[bold]{d.title}[/bold]  ({d.key}, {d.kind}"
                  + (f", update: {d.update}" if d.update else "") + ")", highlight=False)
        table = Table("#", "Id", "Type", "Values", "Question")
        number = 0
        for section in d.sections:
            table.add_section()
            table.add_row("", "", "", "", f"[bold]{section.title}[/bold]")
            for q in section.questions:
                number += 1
                table.add_row(str(number), q.id, q.type, _range(q), q.text)
        con.print(table, highlight=False)
        if d.attention:
            points = Table("#", "Attention point", "When (all of)")
            for i, rule in enumerate(d.attention, 1):
                points.add_row(str(i), rule.title or rule.text,
                               "\n".join(_condition(d, c) for c in rule.when))
            con.print(points, highlight=False)

    c.emit(data, human)


def _condition(d: Any, cond: Any) -> str:
    """``termijn: ke1 (Binnen 2 jaar) or ke2 (…)``, ``voorbereiding <= 40``."""
    q = d.question(cond.question)
    if cond.answered is not None:
        return f"{cond.question} {'answered' if cond.answered else 'not answered'}"
    if cond.answer:
        options = dict(q.choice_values()) if q is not None else {}
        return f"{cond.question}: " + " or ".join(
            f"{a} ({options[a]})" if a in options else a for a in cond.answer)
    parts = []
    if cond.at_least is not None:
        parts.append(f">= {cond.at_least:g}")
    if cond.at_most is not None:
        parts.append(f"<= {cond.at_most:g}")
    return f"{cond.question} {' and '.join(parts)}"


@command(app, "doc")
def quickscan_doc(
    c: Ctx,
    key: KeyArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="The PDF file to write.")],
) -> None:
    """Write the QuickScan's explanation document (questions, forms, values) as PDF.

    Example: quickcrm quickscan doc bedrijfsopvolging --out toelichting.pdf
    """
    from quickcrm.quickscans.definitions import definition_of, get_quickscan
    from quickcrm.quickscans.explanation import render_quickscan_doc

    rt = c.runtime()
    with rt.session() as s:
        d = definition_of(get_quickscan(session=s, key=key, now=rt.clock.now()))
        s.commit()
    out.write_bytes(render_quickscan_doc(d))
    c.emit({"quickscan": d.key, "file": str(out), "questions": len(d.questions())},
           lambda: typer.echo(f"wrote {out} ({len(d.questions())} questions)"))
