"""The demo's collective action (seed 000) on the sample data: faces, a campaign with a
refined selection and two exclusions, sending, clients answering through the web app's
code path, a bounce, both reminders and the 10-day notice, and the reports.

Each step is a ``quickcrm.demo`` step; they hand the campaign and what happened to the
next step through ``ctx.state``. The clock is moved, never the data: the campaign goes
out on the next Monday at 09:00 and every later day is that plus whole days, so the
reminders fall on the seed's days whatever day the demo is run.
"""

from __future__ import annotations

import os
import random
import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # quickcrm.demo imports this module to append its steps
    from quickcrm.demo import DemoContext, StepResult

CAMPAIGN = "Demo Bedrijfsopvolging"
QUICKSCAN = "bedrijfsopvolging"
TEAMS = ("Utrecht", "Zwolle", "Amsterdam")
DAYS = 12  # the demo follows the campaign this many days after sending
SEED = 2027


def _result(name: str, data: dict[str, Any], lines: list[str]) -> StepResult:
    from quickcrm.demo import StepResult

    return StepResult(name, data, lines)


def step_faces(ctx: DemoContext) -> StepResult:
    """Import the sample Happy Faces of both QuickScans (as a firm moving over would)."""
    from quickcrm.campaigns.faces_import import import_faces

    rt, lines, data = ctx.runtime, [], {}
    for key in (QUICKSCAN, f"{QUICKSCAN}-update"):
        with rt.session() as s:
            result = import_faces(session=s, actor=rt.actor, now=ctx.clock.now(),
                                  path=ctx.data_dir / f"faces_{key}.csv", quickscan=key,
                                  tz=rt.settings.timezone)
        data[key] = {"rows": result.rows, "profile": result.profile, "update": result.update,
                     "rm": result.rm}
        lines.append(f"faces for {key}: {result.rows} rows ({result.profile} profile, "
                     f"{result.update} update, {result.rm} relationship manager)")
    return _result("import faces", data, lines)


def step_select(ctx: DemoContext) -> StepResult:
    """Create the campaign, select three teams, exclude two clients, finalize."""
    from quickcrm.campaigns.campaign import create_campaign, finalize_campaign
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.exclusions import change_exclusions
    from quickcrm.campaigns.selection import select_clients
    from quickcrm.campaigns.summary import list_clients

    rt, now = ctx.runtime, ctx.clock.now()
    with rt.session() as s:
        create_campaign(session=s, actor=rt.actor, now=now, name=CAMPAIGN, quickscan=QUICKSCAN,
                        coordinator=rt.actor.email)
        summary = select_clients(session=s, actor=rt.actor, now=now, campaign=CAMPAIGN,
                                 criteria=Refinements(teams=TEAMS))
        from quickcrm.campaigns.campaign import get_campaign

        clients = list_clients(s, get_campaign(s, CAMPAIGN))
        excluded = sorted(c["relation_number"] for c in clients)[:2]
        change_exclusions(session=s, actor=rt.actor, now=now, campaign=CAMPAIGN,
                          numbers=excluded, reason="loopt al een traject (demo)")
        final = finalize_campaign(session=s, actor=rt.actor, now=now, campaign=CAMPAIGN)
        from quickcrm.campaigns.campaign import count_selected

        selected = count_selected(s, get_campaign(s, CAMPAIGN))
    data = {"campaign": final.name, "teams": list(TEAMS), "step1": summary.step1,
            "step2": summary.step2, "excluded": excluded, "selected": selected}
    return _result("select", data, [
        f"campaign {CAMPAIGN!r}: step 1 {summary.step1} clients may receive it, step 2 "
        f"({', '.join(TEAMS)}) {summary.step2}; excluded {', '.join(excluded)}; "
        f"finalized with {selected} clients"])


def send_moment(now: datetime, tz: str) -> datetime:
    """The next Monday at 09:00 local time after ``now``."""
    local = now.astimezone(ZoneInfo(tz))
    days = (7 - local.weekday()) % 7 or 7
    monday = datetime.combine(local.date() + timedelta(days=days), time(9), ZoneInfo(tz))
    return monday.astimezone(UTC)


def step_send(ctx: DemoContext) -> StepResult:
    """Send on Monday 09:00 (maildir outbox); a mail server bounces one invitation."""
    from sqlalchemy import select
    from sqlmodel import col

    from quickcrm.campaigns.bounces import ingest_bounces
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import CampaignClient
    from quickcrm.campaigns.sending import send
    from quickcrm.demo_clients import write_bounce
    from quickcrm.mail.outbox import find_messages

    rt = ctx.runtime
    ctx.clock.at = start = send_moment(ctx.clock.now(), rt.settings.timezone)
    ctx.state["start"] = start
    counts = send(rt=rt, campaign=CAMPAIGN)
    ctx.clock.advance(hours=1)
    with rt.session(read_only=True) as s:  # the last client by number: the same every run
        last = s.execute(select(col(Invitation.id)).join(
            CampaignClient, CampaignClient.id == Invitation.campaign_client_id)  # type: ignore[arg-type]
            .order_by(CampaignClient.relation_number.desc()).limit(1)).scalar_one()  # type: ignore[attr-defined]
        target = find_messages(s, kind="invitation", ref=f"invitation:{last}")[0]
    shutil.rmtree(ctx.directory / "bounces", ignore_errors=True)  # an earlier run's
    box = write_bounce(ctx.directory / "bounces", recipient=target.recipient,
                       message_id=target.message_id, subject=target.subject,
                       sender=str(rt.settings["mail.sender"]), at=ctx.clock.now())
    bounces = ingest_bounces(rt=rt, source=box)
    ctx.state["bounced_ref"] = target.ref
    data = {"sent_at": start, **counts.to_json(), "bounces": bounces,
            "outbox": str(ctx.directory / "outbox")}
    return _result("send", data, [
        f"sent {counts.invitations} invitations and {counts.copies} copies to the "
        f"relationship managers ({counts.delivered} messages written to "
        f"{ctx.directory / 'outbox'})",
        f"bounce for {target.recipient}: {bounces['bounced']} invitation marked bounced"])


def step_follow_up(ctx: DemoContext) -> StepResult:
    """Day by day: clients answer through the web app's code path, and `remind` runs at
    10:00 (first reminder on day 3, second on day 7, the RM's notice on day 10)."""
    from sqlalchemy import select
    from sqlmodel import col

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import CampaignClient
    from quickcrm.campaigns.reminders import remind
    from quickcrm.demo_clients import act, plan_clients

    rt, rng = ctx.runtime, random.Random(SEED)
    with rt.session(read_only=True) as s:  # by relation number, so every run plays the same
        tokens = list(s.execute(select(col(Invitation.token)).join(
            CampaignClient, CampaignClient.id == Invitation.campaign_client_id)  # type: ignore[arg-type]
            .where(Invitation.bounced_at.is_(None))  # type: ignore[union-attr]
            .order_by(CampaignClient.relation_number)).scalars())
    plans = plan_clients(tokens, rng)
    done = {"finished": 0, "declined": 0, "stopped": 0}
    totals = {"first_reminders": 0, "second_reminders": 0, "no_response": 0}
    start = ctx.state["start"]
    with ctx.progress("clients answering, reminders", DAYS + 1) as advance:
        for day in range(DAYS + 1):
            ctx.clock.at = start + timedelta(days=day, hours=1)
            counts = remind(rt=rt)
            for key in totals:
                totals[key] += getattr(counts, key)
            for n, plan in enumerate(p for p in plans if p.day == day and p.fate != "silent"):
                ctx.clock.at = start + timedelta(days=day, hours=3, minutes=n)
                finished = act(rt, plan, rng)
                done["finished"] += finished
                done["declined"] += plan.fate == "decline"
                done["stopped"] += plan.fate == "stop"
            rt.deliver()
            advance(1)
    ctx.clock.at = start + timedelta(days=DAYS, hours=8)
    return _result("responses and reminders", {**done, **totals}, [
        f"{done['finished']} clients finished (report e-mails with PDF and PowerPoint "
        f"delivered), {done['declined']} said Nee, {done['stopped']} started and stopped",
        f"reminders: {totals['first_reminders']} first, {totals['second_reminders']} "
        f"second; {totals['no_response']} relationship manager notices after 10 days"])


def step_reports(ctx: DemoContext) -> StepResult:
    """The management report, and the Excel, chart, PDF and PPTX files it writes."""
    from sqlalchemy import select
    from sqlmodel import col

    from quickcrm.campaigns.chart import write_chart
    from quickcrm.campaigns.client_report import write_client_documents
    from quickcrm.campaigns.excel_export import export_campaign_excel
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.management import management_report
    from quickcrm.campaigns.models import CampaignClient

    rt, now, tz = ctx.runtime, ctx.clock.now(), ctx.runtime.settings.timezone
    out = ctx.directory / "rapportages"
    with rt.session(read_only=True) as s:
        report = management_report(session=s, actor=rt.actor, campaign=CAMPAIGN, now=now)
        excel = export_campaign_excel(session=s, actor=rt.actor, campaign=CAMPAIGN,
                                      path=out / "demo-bedrijfsopvolging.xlsx", tz=tz)
        chart = write_chart(session=s, campaign=CAMPAIGN, path=out / "respons.png", tz=tz,
                            now=now)
        number = s.execute(
            select(col(CampaignClient.relation_number))
            .join(Invitation, Invitation.campaign_client_id == CampaignClient.id)  # type: ignore[arg-type]
            .where(Invitation.finished_at.is_not(None))  # type: ignore[union-attr]
            .order_by(col(Invitation.finished_at)).limit(1)).scalar_one()
        docs = write_client_documents(session=s, actor=rt.actor, campaign=CAMPAIGN,
                                      relation_number=number, directory=out,
                                      settings=rt.settings, now=now)
    files = {"excel": excel["file"], "chart": chart["file"], "pdf": docs["pdf"],
             "pptx": docs["pptx"]}
    ctx.state["report"] = report
    lines = _figure_lines(report.to_json())
    lines += [f"wrote {files['excel']} ({excel['clients']} clients, {excel['questions']} "
              f"questions)", f"wrote {files['chart']}",
              f"wrote {files['pdf']} (client {number})", f"wrote {files['pptx']}"]
    return _result("reports", {"management": report.to_json(), "files": files}, lines)


def _figure_lines(figures: dict[str, Any]) -> list[str]:
    rate = figures["response_rate"]
    lines = ["management report:"]
    for key in ("sent", "completed", "first_reminders", "second_reminders", "no_response",
                "bounced", "logged_in", "not_interested"):
        lines.append(f"  {key.replace('_', ' '):<18} {figures[key]:>5}")
    lines.append(f"  {'response rate':<18} {'—' if rate is None else f'{rate:.1%}':>5}")
    for team in figures["by_team"]:
        team_rate = team["response_rate"]
        shown = "—" if team_rate is None else f"{team_rate:.0%}"
        lines.append(f"  {team['team']:<12} {team['completed']:>3} of {team['sent']:>3} "
                     f"completed ({shown})")
    return lines


def _near(path: Path) -> str:
    """``path`` as short as it pastes from here: relative when below the current
    directory, else absolute."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


def step_look(ctx: DemoContext) -> StepResult:
    """How to look at what the demo made: the figures, the clients' pages (``serve`` on
    the demo's database, with a link of a client who has not answered yet), the mails
    and the documents."""
    from sqlalchemy import select
    from sqlmodel import col

    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.demo import DB_NAME
    from quickcrm.errors import command_hint

    rt = ctx.runtime
    with rt.session(read_only=True) as s:
        token = s.execute(select(col(Invitation.token)).where(
            col(Invitation.finished_at).is_(None), col(Invitation.not_interested_at).is_(None),
            col(Invitation.bounced_at).is_(None)).order_by(col(Invitation.id)).limit(1)).scalar()
    db = f"sqlite:///{_near(ctx.directory / DB_NAME)}"
    if rt.settings.database_url != f"sqlite:///{ctx.directory / DB_NAME}":  # demo --db
        from quickcrm.settings import mask_url

        db = mask_url(rt.settings.database_url)
    data = {"database": db, "report": command_hint("report", CAMPAIGN, "--db", db),
            "serve": command_hint("serve", "--db", db),
            "link": f"{rt.settings.base_url}/q/{token}" if token else None,
            "mails": _near(ctx.directory / "outbox"),
            "documents": _near(ctx.directory / "rapportages")}
    lines = [("the figures:", data["report"]), ("the web pages:", data["serve"])]
    if data["link"]:
        lines.append(("", f"then open {data['link']} (a client who has not answered)"))
    lines += [("the mails:", f"{data['mails']}/new/ (a Maildir, one file per message: "
                             "invitations, reminders, reports; nothing was really sent)"),
              ("the documents:", f"{data['documents']}/ (Excel download, response chart, "
                                 "a client's PDF and PowerPoint)"),
              ("any command:", f"add --db {db}, e.g. "
                               f"{command_hint('clients', 'list', '--team', 'Utrecht', '--db', db)}")]
    return _result("look around", data, ["look at what the demo made:",
                                         *(f"  {label:<15} {text}" for label, text in lines)])


STEPS = [step_faces, step_select, step_send, step_follow_up, step_reports, step_look]
