"""Seed 000: "Als het e-mailadres van de klant incorrect is, zal het e-mailbericht
'bouncen'. Dit zal door ons gemeld worden aan de coördinator van de collectieve actie."

One digest per campaign per run lists, since the last digest, the clients whose
invitation bounced, whose invitation failed after the retry lifetime (4xx for
``mail.retry_max_age_hours``), and whose relationship manager's copy was refused (5xx),
each with what to do (issue 24 item 7). The ``*_reported_at`` columns are set with the
digest in one transaction, so every problem is reported once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from quickcrm.campaigns.invitation import Invitation
from quickcrm.campaigns.models import Campaign, CampaignClient
from quickcrm.mail.compose import address
from quickcrm.mail.outbox import queue_message
from quickcrm.runtime import Delivered, Runtime
from quickcrm.settings import Settings
from quickcrm.store.models import User

I = Invitation.__table__  # type: ignore[attr-defined]  # noqa: E741
CC = CampaignClient.__table__  # type: ignore[attr-defined]
U = User.__table__  # type: ignore[attr-defined]

# Each problem: the invitation's columns (when, why, reported), the section's heading,
# and what the coordinator is to do (seed 000: "gemeld aan de coördinator").
PROBLEMS: tuple[tuple[str, str, str, str, str], ...] = (
    ("bounced", "bounced_at", "bounce_reason", "bounce_reported_at",
     "Bounce: de uitnodiging kon niet worden afgeleverd. Wat te doen: controleer het "
     "e-mailadres met de relatiemanager en verbeter het in het klantbestand; de klant krijgt "
     "geen herinneringen."),
    ("failed", "failed_at", "failed_reason", "failed_reported_at",
     "Niet afgeleverd na {hours} uur: de mailserver van de klant weigerde de uitnodiging "
     "steeds tijdelijk (4xx). Wat te doen: controleer het e-mailadres met de "
     "relatiemanager; klopt het, zet de uitnodiging dan opnieuw klaar met "
     "`quickcrm outbox retry` (de nummers staan erbij); anders verbeter het adres."),
    ("copy_refused", "copy_refused_at", "copy_refused_reason", "copy_reported_at",
     "Kopie voor de relatiemanager geweigerd (5xx): de klant heeft de uitnodiging wel "
     "gekregen, de relatiemanager weet het niet. Wat te doen: controleer het e-mailadres "
     "van de relatiemanager (`quickcrm user show`) en laat de relatiemanager weten dat deze "
     "klant is uitgenodigd."),
)

_HTML = """<!doctype html><html lang="nl"><body style="font-family:Arial,sans-serif">
<p>Beste {{ coordinator }},</p>
<p>In de collectieve actie <b>{{ campaign }}</b> ging de e-mail bij {{ total }} klant(en)
niet goed.</p>
{% for section in sections %}
<h3 style="font-size:15px">{{ section.title }} ({{ section.rows|length }})</h3>
<p>{{ section.todo }}</p>
<table cellpadding="4" style="border-collapse:collapse" border="1">
<tr><th>Relatienummer</th><th>Klant</th><th>Bedrijf</th><th>E-mail</th><th>Relatiemanager</th><th>Reden</th></tr>
{% for r in section.rows %}<tr><td>{{ r.number }}</td><td>{{ r.name }}</td><td>{{ r.company }}</td>
<td>{{ r.email }}</td><td>{{ r.rm }}</td><td>{{ r.reason }}</td></tr>{% endfor %}
</table>
{% endfor %}
<p>{{ firm }}</p></body></html>"""

TITLES = {"bounced": "Bounces", "failed": "Niet afgeleverd",
          "copy_refused": "Kopie relatiemanager geweigerd"}


def _rows(session: Session) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Per campaign, per problem: the unreported invitations, with their client and RM."""
    from quickcrm.mail.models import FAILED, OutboxMessage

    M = OutboxMessage.__table__  # type: ignore[attr-defined]
    grouped: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for problem, at, reason, reported, _todo in PROBLEMS:
        query = (select(I.c.id, I.c.campaign_id, I.c[reason].label("reason"),
                        CC.c.relation_number, CC.c.first_name, CC.c.last_name, CC.c.company,
                        CC.c.email, U.c.first_name.label("rm_first"),
                        U.c.last_name.label("rm_last"), U.c.email.label("rm_email"))
                 .select_from(I.join(CC, CC.c.id == I.c.campaign_client_id)
                              .outerjoin(U, U.c.id == CC.c.rm_id))
                 .where(I.c[at].is_not(None), I.c[reported].is_(None))
                 .order_by(I.c.campaign_id, CC.c.relation_number))
        for r in session.execute(query):
            row = {"id": r.id, "number": r.relation_number, "company": r.company,
                   "email": r.email, "name": f"{r.first_name} {r.last_name}".strip(),
                   "reason": r.reason,
                   "rm": f"{r.rm_first or ''} {r.rm_last or ''}".strip() or "-"}
            if problem == "copy_refused":
                row["email"] = r.rm_email or "-"
            if problem == "failed":
                ids = list(session.scalars(
                    select(M.c.id).where(M.c.kind == "invitation",
                                         M.c.ref == f"invitation:{r.id}",
                                         M.c.status == FAILED)))
                if ids:
                    row["reason"] = f"{r.reason} (outbox retry {' '.join(map(str, ids))})"
            grouped[r.campaign_id][problem].append(row)
    return grouped


def queue_bounce_digests(*, session: Session, now: datetime, settings: Settings) -> int:
    """Queue one digest per campaign with unreported bounces, invitations that failed
    after the retry lifetime and refused RM copies; returns how many. The caller commits."""
    grouped = _rows(session)
    if not grouped:
        return 0
    from quickcrm.templating import html_template

    html_t = html_template(_HTML)
    hours = int(settings["mail.retry_max_age_hours"])
    digests = 0
    for campaign_id, problems in grouped.items():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        coordinator = session.get(User, campaign.coordinator_id)
        assert coordinator is not None
        sections: list[dict[str, Any]] = [{"key": key, "title": TITLES[key], "todo": todo.format(hours=hours),
                     "rows": problems[key]}
                    for key, _a, _r, _rep, todo in PROBLEMS if problems.get(key)]
        total = sum(len(sec["rows"]) for sec in sections)
        parts = [f"Beste {coordinator.name},\n\nIn de collectieve actie {campaign.name} ging "
                 f"de e-mail bij {total} klant(en) niet goed."]
        for sec in sections:
            lines = [f"- {r['number']} {r['name']} ({r['company']}), {r['email']}, "
                     f"relatiemanager {r['rm']}: {r['reason']}" for r in sec["rows"]]
            parts.append(f"{sec['title']} ({len(sec['rows'])})\n{sec['todo']}\n\n"
                         + "\n".join(lines))
        text = "\n\n".join(parts) + f"\n\n{settings['firm.name']}\n"
        only_bounces = [sec["key"] for sec in sections] == ["bounced"]
        subject = (f"Bounces in de collectieve actie {campaign.name}: {total}" if only_bounces
                   else f"Niet afgeleverd in de collectieve actie {campaign.name}: {total}")
        sender = address(str(settings["mail.sender_name"]), str(settings["mail.sender"]))
        queue_message(session, kind="bounce_digest", ref=f"campaign:{campaign_id}",
                      to=address(coordinator.name, coordinator.email), from_=sender,
                      sender=sender, now=now, subject=subject, text=text,
                      headers={"Auto-Submitted": "auto-generated"},
                      html=html_t.render(coordinator=coordinator.name, sections=sections,
                                         campaign=campaign.name, total=total,
                                         firm=settings["firm.name"]))
        for key, _a, _r, reported, _t in PROBLEMS:
            if problems.get(key):
                session.execute(update(I).where(I.c.id.in_([r["id"] for r in problems[key]]),
                                                I.c[reported].is_(None))
                                .values({reported: now}))
        digests += 1
    return digests


def deliver_digests(rt: Runtime) -> Delivered | None:
    """Queue the digests of what went wrong since the last one and deliver them (after a
    command's own delivery run, so SMTP-time refusals are reported at once)."""
    with rt.session() as session:
        if not queue_bounce_digests(session=session, now=rt.clock.now(), settings=rt.settings):
            return None
        session.commit()
    return rt.deliver()
