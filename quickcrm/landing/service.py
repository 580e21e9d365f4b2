"""Managing landing pages: create, list, show, close, and the report (counts and the
answers in the campaign Excel's column layout)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from quickcrm import permissions
from quickcrm.clock import as_utc
from quickcrm.errors import InvalidInput, InvalidState, NotFound
from quickcrm.events import LANDING_CLOSED, LANDING_CREATED, record
from quickcrm.landing.models import LandingImage, LandingPage, LandingVisitor
from quickcrm.permissions import Actor
from quickcrm.quickscans.models import Answer, QuickScan
from quickcrm.store.models import Relation, Team, User

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


def check_slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidInput(f"not a valid slug: {value!r} (lower-case letters, digits and "
                           "hyphens, at most 80)")
    return slug


def get_page(session: Session, slug: str) -> LandingPage:
    page = session.execute(
        select(LandingPage).where(col(LandingPage.slug) == slug.strip().lower())
    ).scalars().first()
    if page is None:
        raise NotFound(f"unknown landing page {slug!r}")
    return page


def create_page(*, session: Session, actor: Actor, now: datetime, quickscan: str, slug: str,
                team: str | None = None, rm: str | None = None, title: str | None = None,
                intro: str | None = None, brand: Any = None) -> dict[str, Any]:
    """A new open landing page for a QuickScan at /l/{slug}. Its intro defaults to the
    definition's ``landing_introduction`` (written for prospects); with ``brand`` (the
    firm's ``quickcrm.branding.Branding``) its own Open Graph image is drawn now."""
    from quickcrm.crm.users import normalize_email
    from quickcrm.quickscans.definitions import definition_of, get_quickscan

    permissions.require(actor, "manage landing pages")
    slug = check_slug(slug)
    qs = get_quickscan(session=session, key=quickscan, now=now)
    if session.execute(select(col(LandingPage.id)).where(col(LandingPage.slug) == slug)).first():
        raise InvalidState(f"landing page {slug!r} already exists")
    team_id = rm_id = None
    if team:
        found = session.execute(select(Team).where(col(Team.name) == team.strip())).scalars().first()
        if found is None:
            raise NotFound(f"unknown team {team!r}")
        team_id = found.id
    if rm:
        user = session.execute(select(User).where(col(User.email) == normalize_email(rm))
                               ).scalars().first()
        if user is None or not user.active:
            raise NotFound(f"unknown user {rm!r}")
        rm_id = user.id
        if team_id is None:
            team_id = user.team_id
    definition = definition_of(qs)
    default_intro = definition.landing_introduction or definition.introduction
    page = LandingPage(slug=slug, quickscan_id=qs.id or 0, title=(title or definition.title)[:300],
                       intro=(intro if intro is not None else default_intro) or "",
                       team_id=team_id, rm_id=rm_id, secret=secrets.token_urlsafe(32),
                       created_by=actor.id, created_at=now)
    session.add(page)
    session.flush()
    if brand is not None:
        from quickcrm.landing.og_image import draw

        png = draw(title=page.title, quickscan=definition.title, brand=brand)
        session.add(LandingImage(page_id=page.id or 0, content_type="image/png", data=png,
                                 created_at=now))
    record(session, kind=LANDING_CREATED, at=now, user_id=actor.id, slug=slug,
           quickscan=qs.key)
    session.commit()
    return describe(session, page)


def describe(session: Session, page: LandingPage, *, base_url: str = "") -> dict[str, Any]:
    qs = session.get(QuickScan, page.quickscan_id)
    team = session.get(Team, page.team_id) if page.team_id else None
    rm = session.get(User, page.rm_id) if page.rm_id else None
    return {"slug": page.slug, "quickscan": qs.key if qs else "", "title": page.title,
            "intro": page.intro, "team": team.name if team else None,
            "rm": rm.email if rm else None,
            "status": "closed" if page.closed_at else "open",
            "url": f"{base_url}/l/{page.slug}" if base_url else f"/l/{page.slug}",
            "created_at": as_utc(page.created_at).isoformat() if page.created_at else None,
            "closed_at": as_utc(page.closed_at).isoformat() if page.closed_at else None}


def list_pages(*, session: Session, base_url: str = "") -> list[dict[str, Any]]:
    pages = session.execute(select(LandingPage).order_by(col(LandingPage.slug))).scalars().all()
    return [{**describe(session, p, base_url=base_url), **counts(session, p)} for p in pages]


def show_page(*, session: Session, slug: str, base_url: str = "") -> dict[str, Any]:
    page = get_page(session, slug)
    return {**describe(session, page, base_url=base_url), **counts(session, page)}


def close_page(*, session: Session, actor: Actor, now: datetime, slug: str) -> dict[str, Any]:
    """Close a page: visitors then see a polite closed message. Closing twice is fine."""
    permissions.require(actor, "manage landing pages")
    page = get_page(session, slug)
    if page.closed_at is None:
        page.closed_at = now
        record(session, kind=LANDING_CLOSED, at=now, user_id=actor.id, slug=page.slug)
        session.commit()
    return describe(session, page)


def counts(session: Session, page: LandingPage) -> dict[str, int]:
    """visits (page views), started (left their details), completed (pressed
    Rapportage), confirmed (clicked the e-mail link), new prospects."""
    v = LandingVisitor
    row = session.execute(
        select(func.count(col(v.id)), func.count(col(v.completed_at)),
               func.count(col(v.confirmed_at)), func.count(col(v.report_sent_at)))
        .where(col(v.page_id) == page.id)).one()
    new = session.execute(select(func.count(col(v.id))).where(
        col(v.page_id) == page.id, col(v.new_prospect).is_(True))).scalar_one()
    return {"visits": int(page.visits), "started": int(row[0]), "completed": int(row[1]),
            "confirmed": int(row[2]), "reports_sent": int(row[3]), "new_prospects": int(new)}


# Seed 000's columns that apply to a visitor, then one column per question.
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Voornaam klant", "first_name"), ("Achternaam klant", "last_name"),
    ("Relatienummer klant", "relation_number"), ("Plaats klant", "city"),
    ("Bedrijf klant", "company"), ("Naam team", "team"),
    ("Voornaam relatiemanager", "rm_first"), ("Achternaam relatiemanager", "rm_last"),
    ("Datum rapportage", "report_date"), ("Rapportage verzonden", "report_sent"),
)
EXTRA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("E-mailadres", "email"), ("Datum toestemming", "consent_date"),
    ("E-mail bevestigd", "confirmed"), ("Nieuwe prospect", "new_prospect"),
)


def report(*, session: Session, actor: Actor, slug: str, tz: str) -> dict[str, Any]:
    """The page's counts and one row per visitor who left details (answers by
    question id)."""
    from zoneinfo import ZoneInfo

    from quickcrm.quickscans.answer_sheet import answer_value, question_header
    from quickcrm.quickscans.definitions import definition_of

    permissions.require(actor, "export campaign data")
    page = get_page(session, slug)
    definition = definition_of(session.get(QuickScan, page.quickscan_id))  # type: ignore[arg-type]
    questions = definition.questions()
    v = LandingVisitor
    rows = session.execute(
        select(v, col(Relation.number), col(Relation.city), col(Team.name),
               col(User.first_name), col(User.last_name))
        .outerjoin(Relation, col(Relation.id) == col(v.relation_id))
        .outerjoin(Team, col(Team.id) == col(Relation.team_id))
        .outerjoin(User, col(User.id) == col(Relation.rm_id))
        .where(col(v.page_id) == page.id).order_by(col(v.id))).all()
    ids = [r[0].id for r in rows]
    answers: dict[int, dict[str, str]] = {i: {} for i in ids}
    if ids:
        for vid, qid, value in session.execute(
                select(col(Answer.landing_visitor_id), col(Answer.question_id),
                       col(Answer.value)).where(col(Answer.landing_visitor_id).in_(ids))):
            answers[vid][qid] = value
    zone = ZoneInfo(tz)

    def day(value: datetime | None) -> str | None:
        return as_utc(value).astimezone(zone).date().isoformat() if value else None

    visitors = []
    for visitor, number, city, team, rm_first, rm_last in rows:
        visitors.append({
            "first_name": visitor.first_name, "last_name": visitor.last_name,
            "relation_number": number or "", "city": city or "", "company": visitor.company,
            "team": team or "", "rm_first": rm_first or "", "rm_last": rm_last or "",
            "report_date": day(visitor.report_sent_at),
            "report_sent": 1 if visitor.report_sent_at else None,
            "email": visitor.email, "consent_date": day(visitor.consent_at),
            "confirmed": 1 if visitor.confirmed_at else None,
            "new_prospect": 1 if visitor.new_prospect else None,
            "completed": visitor.completed_at is not None,
            "answers": {q.id: answer_value(q, answers[visitor.id].get(q.id, ""))
                        for q in questions},
        })
    return {**describe(session, page), **counts(session, page),
            "columns": [h for h, _ in REPORT_COLUMNS + EXTRA_COLUMNS]
            + [question_header(n, q) for n, q in enumerate(questions, start=1)],
            "questions": [q.id for q in questions], "visitors": visitors}


def export_excel(data: dict[str, Any], path: Path) -> int:
    """Write ``report``'s visitors to an .xlsx (one row per visitor); returns the rows."""
    from datetime import date

    from quickcrm.quickscans.answer_sheet import AnswerSheet

    sheet = AnswerSheet(path, data["columns"], f"Landingpage {data['slug']}")
    keys = [k for _, k in REPORT_COLUMNS + EXTRA_COLUMNS]
    table = []
    for visitor in data["visitors"]:
        row: list[Any] = []
        for key in keys:
            value = visitor[key]
            if key in ("report_date", "consent_date") and value:
                value = date.fromisoformat(value)
            row.append(value)
        row += [visitor["answers"][q] for q in data["questions"]]
        table.append(row)
    sheet.start(table[:100])
    for row in table:
        sheet.append(row)
    sheet.save()
    return len(table)
