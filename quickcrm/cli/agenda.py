"""`quickcrm agenda list|show|move|cancel`: the appointments made by appointment steps."""

from pathlib import Path
from typing import Annotated, Any

import typer

from quickcrm.cli.common import Ctx, NowOpt, command, shown_time

app = typer.Typer(help="Appointments with contacts (iCalendar invitations).",
                  no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(help="The appointment's id (agenda list).")]


def _when(text: str | None, tz: str, what: str) -> Any:
    from quickcrm.clock import parse_now
    from quickcrm.errors import InvalidInput

    if text is None:
        return None
    try:
        return parse_now(text, tz)
    except InvalidInput:
        raise InvalidInput(f"{what}: not an ISO date or datetime: {text!r}") from None


def _line(d: dict[str, Any], tz: str) -> None:
    typer.echo(f"{d['id']}: {shown_time(d['start'], tz)} ({d['minutes']} min) "
               f"{d['title']} - {d['contact']} <{d['email'] or '-'}>, {d['user']}"
               + (f", {d['place']}" if d["place"] else "") + f" [{d['status']}]")


@command(app, "list", listing=True)
def agenda_list(
    c: Ctx,
    user: Annotated[str | None, typer.Option(
        "--user", help="Only this user's appointments (e-mail).", show_default=False)] = None,
    from_: Annotated[str | None, typer.Option(
        "--from", help="From this date/time (local).", show_default=False)] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Before this date/time (local).", show_default=False)] = None,
    cancelled: Annotated[bool, typer.Option("--cancelled", help="Cancelled ones too.")] = False,
) -> None:
    """List appointments (yours only when you hold no firm-wide right).

    Example: quickcrm agenda list --from 2026-12-01 --to 2026-12-08
    """
    from quickcrm.procedures.agenda import list_appointments

    rt = c.runtime()
    tz = rt.settings.timezone
    with rt.session(read_only=True) as s:
        rows = list_appointments(session=s, actor=rt.actor, user=user,
                                 start=_when(from_, tz, "--from"), end=_when(to, tz, "--to"),
                                 cancelled=cancelled)
    c.table(rows, ("Id", "Start", "Minutes", "Title", "Contact", "E-mail", "User", "Place",
                   "Status"),
            [[r["id"], shown_time(r["start"], tz), r["minutes"], r["title"], r["contact"],
              r["email"], r["user"], r["place"], r["status"]] for r in rows])


@command(app, "show")
def agenda_show(
    c: Ctx,
    appointment: IdArg,
    ics: Annotated[Path | None, typer.Option(
        "--ics", help="Write its iCalendar file here.", show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Show an appointment; --ics writes its current invitation (.ics).

    Example: quickcrm agenda show 12 --ics afspraak.ics
    """
    from quickcrm.procedures.agenda import show

    rt = c.runtime(now=now)
    with rt.session(read_only=True) as s:
        data, body = show(session=s, actor=rt.actor, appointment_id=appointment,
                          settings=rt.settings, now=rt.clock.now())
    if ics is not None:
        ics.write_bytes(body)
        data["ics"] = str(ics)
    def human() -> None:
        _line(data, c.tz)
        if ics is not None:
            typer.echo(f"written to {ics}")

    c.emit(data, human)


@command(app, "move")
def agenda_move(
    c: Ctx,
    appointment: IdArg,
    start: Annotated[str, typer.Option("--start", help="The new start (local time).")],
    minutes: Annotated[int | None, typer.Option(
        "--minutes", help="The new length.", show_default=False)] = None,
    now: NowOpt = None,
) -> None:
    """Move an appointment; both parties get the updated invitation.

    Example: quickcrm agenda move 12 --start "2026-12-03 14:00" --minutes 90
    """
    from quickcrm.procedures.agenda import move

    rt = c.runtime(now=now)
    with rt.session() as s:
        data = move(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                    appointment_id=appointment, start=_when(start, rt.settings.timezone,
                                                            "--start"), minutes=minutes)
    data["delivery"] = rt.deliver().as_dict()
    c.emit(data, lambda: _line(data, c.tz))


@command(app, "cancel")
def agenda_cancel(
    c: Ctx,
    appointment: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (told to both).")] = "",
    now: NowOpt = None,
) -> None:
    """Cancel an appointment; both parties get the cancellation.

    Example: quickcrm agenda cancel 12 --reason "ziek"
    """
    from quickcrm.procedures.agenda import cancel

    rt = c.runtime(now=now)
    with rt.session() as s:
        data = cancel(session=s, actor=rt.actor, now=rt.clock.now(), settings=rt.settings,
                      appointment_id=appointment, reason=reason)
    data["delivery"] = rt.deliver().as_dict()
    c.emit(data, lambda: _line(data, c.tz))
