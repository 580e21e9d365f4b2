"""Step 3 of the selection: leave individual clients out, by relation number.

Exclusions belong to relation numbers, not to selection rows, so they survive a
re-select. They change freely on a draft campaign; ``finalize`` applies them for good.
A final campaign that was not sent yet can still lose clients of its frozen selection
(the coordinator's way out before sending): such an exclusion is recorded as made after
finalizing, the client's frozen row stays and shows as excluded, and ``send`` invites
everyone else; it can be taken back until the campaign is sent. Every change is
all-or-nothing: an unknown relation number or a tampered workbook changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, delete, insert, select
from sqlmodel import Session

from quickcrm import permissions
from quickcrm.campaigns.campaign import DRAFT, FINAL, get_campaign, require_draft
from quickcrm.campaigns.exclusion_sheet import SheetRow, read_marks, write_sheet
from quickcrm.campaigns.models import Campaign, CampaignClient, Exclusion
from quickcrm.campaigns.summary import SelectionSummary, summarize
from quickcrm.crm.headers import aliases
from quickcrm.crm.users import Actor
from quickcrm.errors import FileProblems, InvalidInput, InvalidState
from quickcrm.events import CAMPAIGN_EXCLUSIONS_CHANGED, record
from quickcrm.store.models import Relation, User

EX = Exclusion.__table__  # type: ignore[attr-defined]
CC = CampaignClient.__table__  # type: ignore[attr-defined]
REL = Relation.__table__  # type: ignore[attr-defined]
# A list of relation numbers: the relation number's headers in the one table every
# importer reads (quickcrm.crm.headers), and a bare "number" (a list has no other).
NUMBER_HEADERS = {*aliases(["relation_number"]), "number"}
CHUNK = 500


@dataclass
class ExclusionChange:
    campaign: str
    excluded: list[str] = field(default_factory=list)  # newly excluded
    included: list[str] = field(default_factory=list)  # included again
    not_in_selection: list[str] = field(default_factory=list)
    summary: SelectionSummary | None = None


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _existing(session: Session, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(numbers):
        found.update(session.execute(select(REL.c.number).where(REL.c.number.in_(part))).scalars())
    return found


def _current(session: Session, campaign: Campaign) -> set[str]:
    return set(session.execute(
        select(EX.c.relation_number).where(EX.c.campaign_id == campaign.id)).scalars())


def _in_step2(session: Session, campaign: Campaign, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(numbers):
        found.update(session.execute(select(CC.c.relation_number).where(
            CC.c.campaign_id == campaign.id, CC.c.relation_number.in_(part))).scalars())
    return found


def _apply(session: Session, actor: Actor, now: datetime, campaign: Campaign,
           add: Sequence[str], remove: Sequence[str], reason: str, how: str) -> ExclusionChange:
    final = campaign.status == FINAL
    for part in _chunks(remove):
        session.execute(delete(EX).where(EX.c.campaign_id == campaign.id,
                                         EX.c.relation_number.in_(part)))
    if add:
        session.execute(insert(EX), [
            {"campaign_id": campaign.id, "relation_number": n, "reason": reason[:500],
             "user_id": actor.id, "created_at": now, "after_finalize": final} for n in add])
    changed = sorted(set(add) | set(remove))
    missing = sorted(set(changed) - _in_step2(session, campaign, changed))
    record(session, kind=CAMPAIGN_EXCLUSIONS_CHANGED, at=now, user_id=actor.id,
           campaign_id=campaign.id, how=how, excluded=list(add), included=list(remove),
           after_finalize=final)
    session.commit()
    return ExclusionChange(campaign=campaign.name, excluded=sorted(add), included=sorted(remove),
                           not_in_selection=missing)


def _draft(session: Session, actor: Actor, campaign: str) -> Campaign:
    permissions.require(actor, "manage campaigns")
    row = get_campaign(session, campaign, for_update=True)
    require_draft(row, "changing exclusions")
    return row


def _draft_or_final(session: Session, actor: Actor, campaign: str) -> Campaign:
    permissions.require(actor, "manage campaigns")
    row = get_campaign(session, campaign, for_update=True)
    if row.status not in (DRAFT, FINAL):
        raise InvalidState(f"campaign {row.name!r} is {row.status}; exclusions change only "
                           f"before it is sent")
    return row


def _check_final(session: Session, campaign: Campaign, wanted: list[str]) -> None:
    """On a final campaign only clients of the frozen selection can be excluded or
    taken back (finalize removed the rows of those excluded before it)."""
    frozen = _in_step2(session, campaign, wanted)
    outside = [n for n in wanted if n not in frozen]
    if outside:
        raise InvalidInput(f"not in the final selection of {campaign.name!r}: "
                           f"{', '.join(outside[:20])}" + (" ..." if len(outside) > 20 else ""))


def change_exclusions(*, session: Session, actor: Actor, now: datetime, campaign: str,
                      numbers: Sequence[str], reason: str = "", undo: bool = False,
                      max_per_rm: int = 40) -> ExclusionChange:
    """Exclude (or with ``undo`` include again) these relation numbers: on a draft, or
    on a final campaign that was not sent (clients of its frozen selection only)."""
    row = _draft_or_final(session, actor, campaign)
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not wanted:
        raise InvalidInput("no relation numbers given")
    known = _existing(session, wanted)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InvalidInput(f"unknown relation number{'s' if len(unknown) > 1 else ''}: "
                           f"{', '.join(unknown[:20])}" + (" ..." if len(unknown) > 20 else ""))
    if row.status == FINAL:
        _check_final(session, row, wanted)
    current = _current(session, row)
    if undo:
        change = _apply(session, actor, now, row, [], [n for n in wanted if n in current],
                        reason, "include")
    else:
        change = _apply(session, actor, now, row, [n for n in wanted if n not in current], [],
                        reason, "exclude")
    change.summary = summarize(session, row, max_per_rm=max_per_rm)
    return change


def read_number_list(path: Path) -> list[str]:
    """Relation numbers from a text file (one a line) or a csv/xlsx column headed
    "Relatienummer" (or "Relatienummer klant")."""
    from quickcrm.documents.tabular import detect_encoding, match_headers, open_table

    if path.suffix.lower() in ("", ".txt", ".lst"):
        if not path.is_file():
            raise FileProblems([f"{path}: no such file"])
        text = path.read_text(encoding=detect_encoding(path))
        return [line.strip() for line in text.splitlines() if line.strip()]
    table = open_table(path)
    found, _ = match_headers(table, {h: "number" for h in NUMBER_HEADERS})
    if "number" not in found:
        raise FileProblems([f"{path.name}:1: no column 'Relatienummer' "
                            f"(found: {', '.join(h for h in table.headers if h) or 'nothing'})"])
    col = found["number"]
    return [cells[col].strip() for _, cells in table.rows() if col < len(cells) and cells[col].strip()]


def download(*, session: Session, campaign: str, path: Path) -> int:
    """Write step 2 (excluded clients included, pre-marked) for relationship managers."""
    row = get_campaign(session, campaign)
    require_draft(row, "downloading the exclusion list")
    assert row.id is not None
    users = User.__table__  # type: ignore[attr-defined]
    query = (
        select(CC.c.relation_number, CC.c.first_name, CC.c.last_name, CC.c.company,
               CC.c.team_name, users.c.first_name.label("rm_first"),
               users.c.last_name.label("rm_last"), users.c.email.label("rm_email"),
               CC.c.profile_face, CC.c.update_face, CC.c.rm_face,
               EX.c.relation_number.label("excluded"))
        .select_from(CC.outerjoin(users, users.c.id == CC.c.rm_id).outerjoin(EX, and_(
            EX.c.campaign_id == CC.c.campaign_id, EX.c.relation_number == CC.c.relation_number)))
        .where(CC.c.campaign_id == row.id)
        .order_by(CC.c.team_name, users.c.last_name, CC.c.relation_number))
    rows = (SheetRow(number=r.relation_number, first_name=r.first_name, last_name=r.last_name,
                     company=r.company, team=r.team_name,
                     rm=" ".join(p for p in (r.rm_first, r.rm_last) if p) or (r.rm_email or ""),
                     faces=(r.profile_face, r.update_face, r.rm_face),
                     excluded=r.excluded is not None)
            for r in session.execute(query))
    return write_sheet(path, campaign_id=row.id, campaign=row.name, rows=rows)


def upload(*, session: Session, actor: Actor, now: datetime, campaign: str, path: Path,
           max_per_rm: int = 40) -> ExclusionChange:
    """Apply the marks of a workbook ``download`` wrote: a marked row is excluded, an
    unmarked one included again. Only rows in the sheet change: an exclusion of a client
    the sheet does not hold (left out by a narrower step 2 since the download) stays."""
    row = _draft(session, actor, campaign)
    assert row.id is not None
    marks = read_marks(path, campaign_id=row.id, campaign=row.name)
    numbers = list(marks)
    known = _existing(session, numbers)
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise FileProblems([f"{path.name}:{marks[n][0]}:A: unknown relation number {n!r} "
                            f"(no longer in QuickCRM)" for n in unknown[:20]], len(unknown))
    marked = {n for n, (_, m) in marks.items() if m}
    current = _current(session, row)
    unmarked = set(marks) - marked
    change = _apply(session, actor, now, row, sorted(marked - current),
                    sorted(current & unmarked), f"Excel: {path.name}", "upload")
    change.summary = summarize(session, row, max_per_rm=max_per_rm)
    return change
