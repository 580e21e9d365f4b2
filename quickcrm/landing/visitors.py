"""The visitor's side of a landing page as use cases: register (details + consent),
answer, complete (which sends the confirmation link), confirm (which creates or links
the relation and sends the report). The routes in ``quickcrm.landing.web`` only call
these.

Double opt-in: completing queues only the confirmation e-mail; the report goes out in
the transaction that records the confirmation, so an address nobody confirmed never
receives a report. A GET never writes (mail scanners open links): confirming is a POST
from the page the link opens.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from quickcrm.crm import search_keys
from quickcrm.events import (
    LANDING_COMPLETED,
    LANDING_COMPLETED_UNCONFIRMED,
    RELATION_CREATED,
    record,
)
from quickcrm.landing.models import LandingPage, LandingVisitor
from quickcrm.quickscans.answers import Respondent, load_answers, write_answers
from quickcrm.quickscans.definitions import definition_of
from quickcrm.quickscans.guards import csrf_ok, csrf_token, new_token, well_formed
from quickcrm.quickscans.mail import html_message
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.schema import Definition
from quickcrm.quickscans.steps import find_by_token
from quickcrm.runtime import Runtime
from quickcrm.store.models import Person, Relation, User
from quickcrm.store.secrets import VISITOR_ADDRESS, keyed_hash

# Abuse limits: registrations per e-mail address and per client address.
PER_EMAIL = 3
PER_EMAIL_WINDOW = timedelta(hours=24)
PER_ADDRESS = 10
PER_ADDRESS_WINDOW = timedelta(hours=1)
FORM_MAX_AGE = 24 * 3600  # seconds a landing form's CSRF token stays valid
CONFIRM_DAYS = 30
FIELD_MAX = {"voornaam": 100, "achternaam": 150, "bedrijf": 300, "email": 320}


def address_hash(session: Session, address: str) -> str:
    """The visitor's IP address as kept: HMAC-SHA256 under the installation's own secret
    (issue 29), so the stored value cannot be reversed by hashing every address."""
    return keyed_hash(session, VISITOR_ADDRESS, address)


def form_csrf(page: LandingPage, issued: int) -> str:
    mac = hmac.new(page.secret.encode(), f"landing:{page.slug}:{issued}".encode(),
                   hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def form_csrf_ok(page: LandingPage, given: str | None, now: datetime) -> bool:
    if not given or "." not in given:
        return False
    issued, _, _mac = given.partition(".")
    if not (issued.isascii() and issued.isdigit()) or len(issued) > 12 \
            or not 0 <= now.timestamp() - int(issued) <= FORM_MAX_AGE:
        return False
    return hmac.compare_digest(given.encode(), form_csrf(page, int(issued)).encode())


def visitor_csrf(visitor: LandingVisitor) -> str:
    return csrf_token(visitor.token, visitor.secret)


def visitor_csrf_ok(visitor: LandingVisitor, given: str | None) -> bool:
    return csrf_ok(given, visitor.token, visitor.secret)


@dataclass
class Page:
    page: LandingPage
    quickscan: QuickScan
    definition: Definition
    contact: Any = None  # quickscans.contacts.Contact of the page's RM, read for some pages

    @property
    def closed(self) -> bool:
        return self.page.closed_at is not None


@dataclass
class Visit:
    page: Page
    visitor: LandingVisitor
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        v = self.visitor
        if v.confirmed_at is not None:
            return "confirmed"
        return "completed" if v.completed_at is not None else "started"

    @property
    def definition(self) -> Definition:
        return self.page.definition

    def takes_answers(self) -> bool:
        return self.status == "started" and not self.page.closed

    def must_write(self) -> bool:
        return False

    def store(self, session: Session, changes: dict[str, str | None], *,
              now: datetime) -> bool:
        return store_answers(session, self, changes, now=now)


def find_page(session: Session, slug: str) -> Page | None:
    """The page at /l/{slug}; None for an unknown slug or one no page can have (which
    never reaches the database: a NUL in a path is a PostgreSQL error)."""
    from quickcrm.landing.service import SLUG_RE

    if not SLUG_RE.match(slug.lower()):
        return None
    row = session.execute(
        select(LandingPage, QuickScan).join(QuickScan, col(QuickScan.id) ==
                                            col(LandingPage.quickscan_id))
        .where(col(LandingPage.slug) == slug.lower())).first()
    if row is None:
        return None
    page, qs = row
    return Page(page, qs, definition_of(qs))


def og_image_of(session: Session, page: Page) -> bytes | None:
    """The page's own Open Graph image (PNG), None for a page created without one."""
    from quickcrm.landing.models import LandingImage

    image = session.get(LandingImage, page.page.id)
    return image.data if image is not None else None


def count_visit(session: Session, page_id: int) -> None:
    session.execute(update(LandingPage).where(col(LandingPage.id) == page_id)
                    .values(visits=LandingPage.visits + 1))
    session.commit()


def _find(session: Session, slug: str, column: Any, token: str, *,
          lock: bool) -> Visit | None:
    """The visit of the page ``slug`` whose ``column`` holds ``token``."""
    page = find_page(session, slug) if well_formed(token) else None
    if page is None:
        return None
    row = find_by_token(session, select(LandingVisitor).where(
        col(LandingVisitor.page_id) == page.page.id), column, token, lock=lock)
    if row is None:
        return None
    visitor = row[0]
    return Visit(page, visitor, load_answers(session, Respondent(landing_visitor_id=visitor.id)))


def find_visit(session: Session, slug: str, visitor_token: str, *,
               lock: bool = False) -> Visit | None:
    return _find(session, slug, col(LandingVisitor.token), visitor_token, lock=lock)


def check_details(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(cleaned details, Dutch errors per field)."""
    from quickcrm.crm.users import EMAIL_RE

    clean = {k: " ".join((form.get(k) or "").split()) for k in FIELD_MAX}
    clean["email"] = clean["email"].lower()
    errors: dict[str, str] = {}
    for key, label in (("voornaam", "uw voornaam"), ("achternaam", "uw achternaam"),
                       ("bedrijf", "de naam van uw bedrijf"), ("email", "uw e-mailadres")):
        if not clean[key]:
            errors[key] = f"Vul {label} in."
        elif len(clean[key]) > FIELD_MAX[key]:
            errors[key] = f"Hoogstens {FIELD_MAX[key]} tekens."
    if "email" not in errors and not EMAIL_RE.match(clean["email"]):
        errors["email"] = "Dit is geen geldig e-mailadres."
    if form.get("toestemming") != "ja":
        errors["toestemming"] = "Zonder uw toestemming kunnen wij u geen rapportage sturen."
    return clean, errors


def too_many_starts(session: Session, *, address: str, now: datetime) -> bool:
    """True when this client address started too many visits lately."""
    v = LandingVisitor
    by_address = session.execute(select(func.count(col(v.id))).where(
        col(v.address_hash) == address_hash(session, address),
        col(v.started_at) >= now - PER_ADDRESS_WINDOW)).scalar_one()
    return bool(by_address >= PER_ADDRESS)


def too_many_reports(session: Session, *, email: str, now: datetime) -> bool:
    """True when this e-mail address asked for too many reports lately."""
    v = LandingVisitor
    by_email = session.execute(select(func.count(col(v.id))).where(
        col(v.email) == email, col(v.consent_at) >= now - PER_EMAIL_WINDOW)).scalar_one()
    return bool(by_email >= PER_EMAIL)


def start(session: Session, page: Page, answers: dict[str, str | None], *, address: str,
          now: datetime) -> LandingVisitor:
    """A visitor who answered the landing page's first questions: no details yet (they
    are asked with the report, ``give_details``); committed with those answers."""
    visitor = LandingVisitor(
        page_id=page.page.id or 0, token=new_token(), secret=new_token(),
        confirm_token=new_token(), address_hash=address_hash(session, address), started_at=now)
    session.add(visitor)
    session.flush()
    write_answers(session, Respondent(landing_visitor_id=visitor.id), {}, answers, now=now)
    session.commit()
    return visitor


def register(session: Session, page: Page, details: dict[str, str], *, consent_text: str,
             address: str, now: datetime) -> LandingVisitor:
    """A visitor with details and consent before any answer (imports, tests); committed."""
    visitor = start(session, page, {}, address=address, now=now)
    give_details(visitor, details, consent_text=consent_text, now=now)
    session.add(visitor)
    session.commit()
    return visitor


def give_details(visitor: LandingVisitor, details: dict[str, str], *, consent_text: str,
                 now: datetime) -> None:
    """Set the checked details and the consent on the visitor (the caller commits)."""
    visitor.first_name, visitor.last_name = details["voornaam"], details["achternaam"]
    visitor.company, visitor.email = details["bedrijf"], details["email"]
    visitor.consent_text, visitor.consent_at = consent_text, now


def store_answers(session: Session, visit: Visit, changes: dict[str, str | None], *,
                  now: datetime) -> bool:
    """Write checked answers and commit; False when the visitor already completed."""
    vid = visit.visitor.id
    done = session.execute(select(col(LandingVisitor.completed_at))
                           .where(col(LandingVisitor.id) == vid).with_for_update()).scalar_one()
    if done is not None:
        return False
    write_answers(session, Respondent(landing_visitor_id=vid), visit.answers, changes, now=now)
    session.commit()
    return True


def _brand(settings: Any) -> dict[str, Any]:
    """The firm's branding for ``html_message``."""
    from quickcrm.branding import for_settings

    return {"brand": for_settings(settings), "base_url": settings.base_url}


def _mailer_parts(settings: Any) -> tuple[str, str]:
    from quickcrm.mail.compose import address

    return (address(str(settings["mail.sender_name"]), str(settings["mail.sender"])),
            str(settings["firm.name"]))


def confirm_link(base_url: str, visit: Visit) -> str:
    return f"{base_url}/l/{visit.page.page.slug}/bevestig/{visit.visitor.confirm_token}"


def complete(session: Session, visit: Visit, *, runtime: Runtime) -> bool:
    """"Rapportage": mark completed and queue the confirmation e-mail (only). True for
    the one call that completed; the caller then starts delivery. ``visit`` was found
    with ``lock=True``."""
    from quickcrm.mail.compose import address
    from quickcrm.mail.outbox import queue_message

    now, settings = runtime.clock.now(), runtime.settings
    v = visit.visitor
    done = session.execute(update(LandingVisitor).where(
        col(LandingVisitor.id) == v.id, col(LandingVisitor.completed_at).is_(None))
        .values(completed_at=now, confirm_sent_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    sender, firm = _mailer_parts(settings)
    link = confirm_link(settings.base_url, visit)
    title = visit.page.definition.title
    subject = f"Bevestig uw e-mailadres voor uw rapportage {title}"
    text = (f"Beste {v.first_name} {v.last_name},\n\n"
            f"Bedankt voor het invullen van de {title}. Bevestig uw e-mailadres via de "
            f"link hieronder; daarna sturen wij uw persoonlijke rapportage direct toe.\n\n"
            f"{link}\n\n"
            f"Heeft u de QuickScan niet zelf ingevuld? Dan kunt u deze e-mail negeren; "
            f"u ontvangt dan niets van ons.\n\nMet vriendelijke groet,\n{firm}\n")
    queue_message(session, kind="landing_confirm", ref=f"landing:{v.id}",
                  to=address(f"{v.first_name} {v.last_name}", v.email), from_=sender,
                  sender=sender, subject=subject, text=text,
                  html=html_message(subject, firm, text, link=link,
                                    button="Bevestig mijn e-mailadres",
                                    **_brand(settings)), now=now)
    record(session, kind=LANDING_COMPLETED_UNCONFIRMED, at=now, slug=visit.page.page.slug,
           visitor_id=v.id)
    session.commit()
    return True


def find_by_confirm(session: Session, slug: str, confirm_token: str, *,
                    lock: bool = False) -> Visit | None:
    visit = _find(session, slug, col(LandingVisitor.confirm_token), confirm_token, lock=lock)
    return visit if visit is not None and visit.visitor.completed_at is not None else None


def confirm_expired(visit: Visit, now: datetime) -> bool:
    from quickcrm.clock import as_utc

    sent = visit.visitor.confirm_sent_at
    return sent is not None and now - as_utc(sent) > timedelta(days=CONFIRM_DAYS)


def next_number(session: Session, prefix: str) -> str:
    """The next free relation number with ``prefix``: prefix + six digits."""
    numbers = session.execute(select(col(Relation.number)).where(
        func.substr(col(Relation.number), 1, len(prefix)) == prefix)).scalars().all()
    highest = max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()),
                  default=0)
    return f"{prefix}{highest + 1:06d}"


def confirm(session: Session, visit: Visit, *, runtime: Runtime) -> bool:
    """The e-mail link was followed and confirmed: link to the known person or create a
    prospect relation and person, queue the report to the visitor and the RM (plus a
    notice to the RM), record the completion on the relation - one transaction. True
    only for the call that confirmed. ``visit`` was found with ``lock=True``."""
    now, settings = runtime.clock.now(), runtime.settings
    v, page = visit.visitor, visit.page.page
    done = session.execute(update(LandingVisitor).where(
        col(LandingVisitor.id) == v.id, col(LandingVisitor.confirmed_at).is_(None))
        .values(confirmed_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    person = session.execute(select(Person).where(
        func.lower(col(Person.email)) == v.email, col(Person.relation_id).is_not(None))
        .order_by(col(Person.campaign_contact).desc(), col(Person.id))).scalars().first()
    new = person is None
    relation: Relation | None
    if person is None:
        relation = Relation(number=next_number(session, str(settings["landing.number_prefix"])),
                            company=v.company, team_id=page.team_id, rm_id=page.rm_id,
                            stage="prospect", created_at=now, updated_at=now)
        session.add(relation)
        session.flush()
        person = Person(relation_id=relation.id, first_name=v.first_name,
                        last_name=v.last_name, email=v.email, campaign_contact=True,
                        created_at=now, updated_at=now)
        session.add(person)
        session.flush()
        assert person.id is not None
        search_keys.write_keys(session, [(person.id, person.first_name, person.last_name,
                                          person.email)], replace=False)  # issue 26
        record(session, kind=RELATION_CREATED, at=now, relation_id=relation.id,
               person_id=person.id, source="landing", slug=page.slug, stage="prospect")
    else:
        relation = session.get(Relation, person.relation_id)
    assert relation is not None
    session.execute(update(LandingVisitor).where(col(LandingVisitor.id) == v.id).values(
        relation_id=relation.id, person_id=person.id, new_prospect=new, report_sent_at=now))
    mails = queue_report(session, visit, relation=relation, new=new, runtime=runtime)
    record(session, kind=LANDING_COMPLETED, at=now, relation_id=relation.id,
           person_id=person.id, slug=page.slug, quickscan=visit.page.quickscan.key,
           new_prospect=new, answered=len(visit.answers), mails=mails)
    session.commit()
    return True


def queue_report(session: Session, visit: Visit, *, relation: Relation, new: bool,
                 runtime: Runtime) -> int:
    """The report (PDF) to the visitor, the same e-mail with the PPTX to the page's RM,
    and the RM's notice of the new prospect (or of the known relation)."""
    from dataclasses import replace

    from quickcrm.clock import local_date
    from quickcrm.mail.compose import address
    from quickcrm.mail.outbox import Draft, queue_many
    from quickcrm.quickscans.report import PDF, PPTX, brand_of, contact_of, render_documents
    from quickcrm.quickscans.report_data import ClientInfo

    now, settings = runtime.clock.now(), runtime.settings
    v, page = visit.visitor, visit.page.page
    sender, firm = _mailer_parts(settings)
    client = ClientInfo(first_name=v.first_name, last_name=v.last_name, company=v.company,
                        relation_number=relation.number)
    rm = session.get(User, page.rm_id) if page.rm_id else None
    docs = render_documents(definition=visit.page.definition, answers=dict(visit.answers),
                            client=client, firm_name=firm,
                            report_date=local_date(now, settings.timezone),
                            brand=brand_of(settings), contact=contact_of(rm))
    from quickcrm.crm.users import signoff

    from_ = address(rm.name, rm.email) if rm is not None else sender
    title = visit.page.definition.title
    name = f"{v.first_name} {v.last_name}"
    subject = f"Uw rapportage {title}"
    text = (f"Beste {name},\n\nBedankt voor het bevestigen van uw e-mailadres. In de "
            f"bijlage vindt u uw persoonlijke rapportage van de {title}.\n\n"
            f"Wij nemen graag contact met u op om de uitkomsten te bespreken.\n\n"
            f"Met vriendelijke groet,\n{signoff(rm) if rm else firm}\n")
    ref = f"landing:{v.id}"
    pdf = (docs.pdf_name, docs.pdf, PDF)
    drafts = [Draft(kind="landing_report", ref=ref, to=address(name, v.email), from_=from_,
                    sender=sender, subject=subject, text=text,
                    html=html_message(subject, firm, text, **_brand(settings)),
                    attachments=[pdf])]
    if rm is not None and "@" in rm.email:
        copy = (f"Kopie voor de relatiemanager: {name} ({v.company}) heeft de QuickScan "
                f"van landingpage {page.slug} afgerond en deze rapportage ontvangen.")
        drafts.append(Draft(kind="landing_report", ref=ref, to=address(rm.name, rm.email),
                            from_=from_, sender=sender, subject=subject,
                            text=copy + "\n\n" + text,
                            html=html_message(subject, firm, copy + "\n\n" + text, notice=copy,
                                              **_brand(settings)),
                            attachments=[pdf, (docs.pptx_name, docs.pptx, PPTX)]))
        what = "Nieuwe prospect" if new else "Bestaande relatie"
        ntext = (f"Beste {rm.first_name or rm.name},\n\n"
                 + (f"Via landingpage {page.slug} is een nieuwe prospect aan u toegewezen:"
                    if new else f"Een bekende relatie heeft landingpage {page.slug} "
                    f"ingevuld (levenscyclus ongewijzigd: {relation.stage}):")
                 + f"\n\n{name}\n{v.company}\n{v.email}\nRelatienummer: {relation.number}"
                 f"\n\nDe rapportage is in een aparte e-mail naar u verstuurd.\n\n{firm}\n")
        nsubject = f"{what}: {name} ({v.company}) via {page.slug}"
        drafts.append(Draft(kind="landing_prospect", ref=ref, to=address(rm.name, rm.email),
                            from_=sender, sender=sender, subject=nsubject, text=ntext,
                            html=html_message(nsubject, firm, ntext, **_brand(settings))))
    queue_many(session, [replace(d) for d in drafts], now=now)
    return len(drafts)
