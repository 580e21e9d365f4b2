"""The Excel download of a campaign (seed 000, "Toelichting Excel rapportage"): one row
per client in the selection, columns A "Voornaam klant" .. AC "Datum geen respons" in the
seed's order, then one column per question of the QuickScan from AD on.

Streamed, so 10,000 clients with 40 questions stay within a flat amount of memory:
clients are read in keyset batches (by relation number), each batch's answers with one
ordered query, and rows go straight into an openpyxl write_only sheet. Text is always
written as a typed string cell, so a value starting with = + - @ is shown, never run.

A client excluded after the campaign was finalized is not in the selection any more: not
a row of the report, but a row of a second sheet, "Uitgesloten", with the date and the
reason of the exclusion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlmodel import Session

from quickcrm import codes, permissions
from quickcrm.campaigns.campaign import get_campaign
from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import CampaignClient, Exclusion
from quickcrm.clock import as_utc
from quickcrm.permissions import Actor
from quickcrm.quickscans.answer_sheet import AnswerSheet, answer_value, question_header
from quickcrm.quickscans.models import Answer, QuickScan
from quickcrm.quickscans.schema import Question
from quickcrm.store.models import Relation, User

I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
A = Answer.__table__  # type: ignore[attr-defined]
EX = Exclusion.__table__  # type: ignore[attr-defined]
R = Relation.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]
BATCH = 1000
SAMPLE = 100  # rows looked at for the column widths

# (header, kind) per column A..AC; kind says how the value is shown.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Voornaam klant", "text"), ("Achternaam klant", "text"),
    ("Relatienummer klant", "text"), ("Plaats klant", "text"), ("Bedrijf klant", "text"),
    ("Branche klant", "text"), ("Omvang klant", "text"), ("Eigendom klant", "text"),
    ("Profiel klant", "text"), ("Levenscyclus", "text"), ("Soort ondernemer", "text"),
    ("Naam team", "text"), ("Voornaam relatiemanager", "text"),
    ("Achternaam relatiemanager", "text"), ("Volgens profiel", "text"),
    ("Volgens update", "text"), ("Volgens relatiemanager", "text"),
    ("Datum verzonden", "date"), ("Datum rapportage", "date"),
    ("Uitnodiging verzonden", "flag"), ("Klant heeft ingelogd", "flag"),
    ("Rapportage verzonden", "flag"), ("Klant niet geint. na inloggen", "flag"),
    ("Eerste reminder verzonden", "flag"), ("Tweede reminder verzonden", "flag"),
    ("RM geïnformeerd geen respons", "flag"), ("Datum eerste reminder", "date"),
    ("Datum tweede reminder", "date"), ("Datum geen respons", "date"),
)
HEADERS = tuple(h for h, _ in COLUMNS)


def _query(campaign_id: int, after: str | None) -> Any:
    query = (
        select(CC.c.id, CC.c.first_name, CC.c.last_name, CC.c.relation_number, R.c.city,
               CC.c.company, R.c.industry, R.c.size, R.c.ownership, R.c.client_group,
               R.c.life_cycle, R.c.entrepreneur_type, CC.c.team_name,
               U.c.first_name.label("rm_first"), U.c.last_name.label("rm_last"),
               CC.c.profile_face, CC.c.update_face, CC.c.rm_face, I.c.id.label("inv_id"),
               I.c.invited_at, I.c.report_sent_at, I.c.logged_in_at, I.c.not_interested_at,
               I.c.first_reminder_at, I.c.first_reminder_skipped, I.c.second_reminder_at,
               I.c.no_response_at)
        .select_from(CC.join(R, R.c.id == CC.c.relation_id)
                     .outerjoin(U, U.c.id == CC.c.rm_id)
                     .outerjoin(I, I.c.campaign_client_id == CC.c.id)
                     .outerjoin(EX, _exclusion()))
        .where(CC.c.campaign_id == campaign_id, EX.c.relation_number.is_(None))
        .order_by(CC.c.relation_number).limit(BATCH))
    return query.where(CC.c.relation_number > after) if after is not None else query


def _exclusion() -> Any:
    return and_(EX.c.campaign_id == CC.c.campaign_id,
                EX.c.relation_number == CC.c.relation_number)


EXCLUDED_SHEET = "Uitgesloten"
EXCLUDED_HEADERS = ("Relatienummer klant", "Voornaam klant", "Achternaam klant",
                    "Bedrijf klant", "Naam team", "Voornaam relatiemanager",
                    "Achternaam relatiemanager", "Datum uitgesloten", "Reden")


def excluded_rows(session: Session, campaign_id: int, tz: str) -> list[list[Any]]:
    """The clients of the frozen selection excluded after finalizing (not invited): the
    sheet "Uitgesloten" beside the report's rows."""
    zone = ZoneInfo(tz)
    rows = session.execute(
        select(CC.c.relation_number, CC.c.first_name, CC.c.last_name, CC.c.company,
               CC.c.team_name, U.c.first_name, U.c.last_name, EX.c.created_at, EX.c.reason)
        .select_from(CC.join(EX, _exclusion()).outerjoin(U, U.c.id == CC.c.rm_id))
        .where(CC.c.campaign_id == campaign_id).order_by(CC.c.relation_number))
    return [[*r[:7], as_utc(r[7]).astimezone(zone).date() if r[7] else None, r[8]]
            for r in rows]


def _answers(session: Session, campaign_id: int, first: str, last: str
             ) -> dict[int, dict[str, str]]:
    """The answers of one batch's clients: one query, ordered as the rows are."""
    rows = session.execute(
        select(I.c.id, A.c.question_id, A.c.value)
        .select_from(A.join(I, I.c.id == A.c.invitation_id)
                     .join(CC, CC.c.id == I.c.campaign_client_id))
        .where(and_(CC.c.campaign_id == campaign_id, CC.c.relation_number >= first,
                    CC.c.relation_number <= last))
        .order_by(CC.c.relation_number))
    out: dict[int, dict[str, str]] = {}
    for inv_id, qid, value in rows:
        out.setdefault(inv_id, {})[qid] = value
    return out


def client_rows(session: Session, campaign_id: int, questions: Sequence[Question],
                tz: str) -> Iterator[list[Any]]:
    """One list of cell values per client, columns A.. in order, batch by batch."""
    zone = ZoneInfo(tz)

    def day(value: datetime | None) -> date | None:
        return as_utc(value).astimezone(zone).date() if value is not None else None

    def flag(value: object) -> int | None:
        return 1 if value else None

    after: str | None = None
    while True:
        batch = session.execute(_query(campaign_id, after)).all()
        if not batch:
            return
        after = batch[-1].relation_number
        answers = _answers(session, campaign_id, batch[0].relation_number, after)
        for r in batch:
            first = r.first_reminder_at if not r.first_reminder_skipped else None
            given = answers.get(r.inv_id, {}) if r.inv_id is not None else {}
            yield [
                r.first_name, r.last_name, r.relation_number, r.city, r.company,
                codes.INDUSTRY.label(r.industry), codes.SIZE.label(r.size),
                codes.OWNERSHIP.label(r.ownership), codes.CLIENT_GROUP.label(r.client_group),
                codes.LIFE_CYCLE.label(r.life_cycle),
                codes.ENTREPRENEUR_TYPE.label(r.entrepreneur_type), r.team_name,
                r.rm_first, r.rm_last, codes.FACE.label(r.profile_face),
                codes.FACE.label(r.update_face), codes.FACE.label(r.rm_face),
                day(r.invited_at), day(r.report_sent_at), flag(r.invited_at),
                flag(r.logged_in_at), flag(r.report_sent_at), flag(r.not_interested_at),
                flag(first), flag(r.second_reminder_at), flag(r.no_response_at),
                day(first), day(r.second_reminder_at), day(r.no_response_at),
                *(answer_value(q, given.get(q.id, "")) for q in questions),
            ]


def export_campaign_excel(*, session: Session, actor: Actor, campaign: str, path: Path,
                          tz: str, progress: Callable[[int], None] | None = None
                          ) -> dict[str, Any]:
    """Write the campaign's Excel download to ``path``; returns what it wrote."""
    from quickcrm.quickscans.definitions import definition_of

    permissions.require(actor, "export campaign data")
    row = get_campaign(session, campaign)
    assert row.id is not None
    quickscan = session.get(QuickScan, row.quickscan_id)
    assert quickscan is not None
    questions = definition_of(quickscan).questions()
    headers = [*HEADERS, *(question_header(n, q) for n, q in enumerate(questions, 1))]
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        from quickcrm.errors import InvalidInput

        raise InvalidInput(f"{path}: the Excel download is an .xlsx file")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet = AnswerSheet(path, headers, "Rapportage")
    sample: list[list[Any]] | None = []
    for values in client_rows(session, row.id, questions, tz):
        if sample is not None:
            sample.append(values)
            if len(sample) < SAMPLE:
                continue
            sheet.start(sample)
            for kept in sample:
                sheet.append(kept)
            sample = None
        else:
            sheet.append(values)
        if progress is not None and sheet.rows % BATCH == 0:
            progress(BATCH)
    if sample is not None:
        sheet.start(sample)
        for kept in sample:
            sheet.append(kept)
    excluded = excluded_rows(session, row.id, tz)
    if excluded:
        sheet.add_sheet(EXCLUDED_SHEET, EXCLUDED_HEADERS, excluded)
    sheet.save()
    return {"campaign": row.name, "file": str(path), "clients": sheet.rows,
            "excluded": len(excluded), "questions": len(questions), "columns": len(headers)}
