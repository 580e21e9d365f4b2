"""`quickcrm metrics ...`: the checklist's metrics (seed 004): RFM, NPS, channels."""

from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, command

app = typer.Typer(help="Metrics from seed 004's checklist: RFM, NPS, contact moments per "
                       "channel.", no_args_is_help=True)

From = Annotated[str | None, typer.Option("--from", help="First local day (YYYY-MM-DD); "
                                          "default a year before --to.", show_default=False)]
To = Annotated[str | None, typer.Option("--to", help="Last local day, inclusive; default "
                                        "today.", show_default=False)]


def _period(c: Ctx, start: str | None, end: str | None) -> tuple[Any, Any]:
    from datetime import timedelta

    from quickcrm.attention.monitor import default_period, parse_day

    low, high = default_period(c.runtime().clock.now(), c.tz)
    high = parse_day(end, "--to") if end else high
    return (parse_day(start, "--from") if start else high - timedelta(days=365)), high


@command(app, "rfm")
def metrics_rfm(c: Ctx, start: From = None, end: To = None) -> None:
    """Recency, frequency and (with see revenue) monetary value per relation, in quintiles 1-5.

    Example: quickcrm metrics rfm --from 2026-01-01 --to 2026-12-31 --json
    """
    from quickcrm.attention.metrics import rfm
    from quickcrm.cli.output import print_table

    rt = c.runtime()
    actor = rt.actor
    low, high = _period(c, start, end)
    with rt.session(read_only=True) as s:
        data = rfm(session=s, actor=actor, now=rt.clock.now(), tz=c.tz, start=low, end=high)
    money = data["monetary"]
    headers = ["Code", "Naam", "dgn", "Contacten", "R", "F"] + (["Omzet", "M"] if money else [])
    rows = [[r["relation"], r["name"], "-" if r["days_since"] is None else r["days_since"],
             r["contacts"], r["recency"], r["frequency"]]
            + ([f"{r['revenue']:.2f}", r["monetary"]] if money else [])
            for r in data["relations"]]
    c.emit(data, lambda: print_table(headers, rows, None))


@command(app, "nps")
def metrics_nps(
    c: Ctx,
    campaign: Annotated[str, typer.Argument(help="Campaign name or id.")],
    question: Annotated[str, typer.Option("--question", help="A rating question with a scale "
                                          "ending at 10 (e.g. tevredenheid).")],
) -> None:
    """The Net Promoter Score of a campaign's rating question (9-10 promoters, 6 or less detractors).

    Example: quickcrm metrics nps "Opvolging 2026" --question tevredenheid
    """
    from quickcrm.attention.metrics import nps

    rt = c.runtime()
    actor = rt.actor
    with rt.session(read_only=True) as s:
        data = nps(session=s, actor=actor, campaign=campaign, question=question)

    def human() -> None:
        low, high = data["scale"]
        typer.echo(f"{data['campaign']}: {data['question']} (scale {low}-{high}), "
                   f"{data['answers']} answers")
        typer.echo(f"promoters {data['promoters']}, passives {data['passives']}, "
                   f"detractors {data['detractors']}; NPS "
                   f"{'-' if data['nps'] is None else data['nps']}")

    c.emit(data, human)


@command(app, "channels")
def metrics_channels(c: Ctx, start: From = None, end: To = None) -> None:
    """Contact moments per channel (telefoon, e-mail, bezoek, web, ...).

    Example: quickcrm metrics channels --from 2026-01-01 --to 2026-12-31
    """
    from quickcrm.attention.metrics import channels
    from quickcrm.cli.output import print_table

    rt = c.runtime()
    actor = rt.actor
    low, high = _period(c, start, end)
    with rt.session(read_only=True) as s:
        data = channels(session=s, actor=actor, tz=c.tz, start=low, end=high)
    c.emit(data, lambda: print_table(
        ["Kanaal", "Contactmomenten", "Aandeel"],
        [[r["channel"], r["count"], f"{r['share']:.0%}"] for r in data["channels"]], None))
