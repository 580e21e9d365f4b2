"""Seed 000: "Als het e-mailadres van de klant incorrect is, zal het e-mailbericht
'bouncen'. Dit zal door ons gemeld worden aan de coördinator van de collectieve actie."

One digest per campaign per run lists the clients whose invitation bounced since the
last digest, with their relationship manager. ``bounce_reported_at`` is set with the
digest in one transaction, so every bounce is reported once.
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

_HTML = """<!doctype html><html lang="nl"><body style="font-family:Arial,sans-serif">
<p>Beste {{ coordinator }},</p>
<p>De uitnodiging voor de collectieve actie <b>{{ campaign }}</b> kon bij de volgende
{{ rows|length }} klant(en) niet worden afgeleverd (bounce). Controleer het e-mailadres
en overleg met de relatiemanager.</p>
<table cellpadding="4" style="border-collapse:collapse" border="1">
<tr><th>Relatienummer</th><th>Klant</th><th>Bedrijf</th><th>E-mail</th><th>Relatiemanager</th><th>Reden</th></tr>
{% for r in rows %}<tr><td>{{ r.number }}</td><td>{{ r.name }}</td><td>{{ r.company }}</td>
<td>{{ r.email }}</td><td>{{ r.rm }}</td><td>{{ r.reason }}</td></tr>{% endfor %}
</table><p>{{ firm }}</p></body></html>"""


def _rows(session: Session) -> dict[int, list[dict[str, Any]]]:
    query = (select(I.c.id, I.c.campaign_id, I.c.bounce_reason, CC.c.relation_number,
                    CC.c.first_name, CC.c.last_name, CC.c.company, CC.c.email,
                    U.c.first_name.label("rm_first"), U.c.last_name.label("rm_last"))
             .select_from(I.join(CC, CC.c.id == I.c.campaign_client_id)
                          .outerjoin(U, U.c.id == CC.c.rm_id))
             .where(I.c.bounced_at.is_not(None), I.c.bounce_reported_at.is_(None))
             .order_by(I.c.campaign_id, CC.c.relation_number))
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in session.execute(query):
        grouped[r.campaign_id].append({
            "id": r.id, "number": r.relation_number, "company": r.company, "email": r.email,
            "name": f"{r.first_name} {r.last_name}".strip(), "reason": r.bounce_reason,
            "rm": f"{r.rm_first or ''} {r.rm_last or ''}".strip() or "-"})
    return grouped


def queue_bounce_digests(*, session: Session, now: datetime, settings: Settings) -> int:
    """Queue one digest per campaign with unreported bounces; returns how many.
    The caller commits."""
    from quickcrm.templating import html_template

    html_t = html_template(_HTML)
    digests = 0
    for campaign_id, rows in _rows(session).items():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        coordinator = session.get(User, campaign.coordinator_id)
        assert coordinator is not None
        lines = [f"- {r['number']} {r['name']} ({r['company']}), {r['email']}, "
                 f"relatiemanager {r['rm']}: {r['reason']}" for r in rows]
        text = (f"Beste {coordinator.name},\n\nDe uitnodiging voor de collectieve actie "
                f"{campaign.name} kon bij de volgende {len(rows)} klant(en) niet worden "
                "afgeleverd (bounce). Controleer het e-mailadres en overleg met de "
                "relatiemanager.\n\n" + "\n".join(lines) + f"\n\n{settings['firm.name']}\n")
        sender = address(str(settings["mail.sender_name"]), str(settings["mail.sender"]))
        queue_message(session, kind="bounce_digest", ref=f"campaign:{campaign_id}",
                      to=address(coordinator.name, coordinator.email), from_=sender,
                      sender=sender, now=now,
                      subject=f"Bounces in de collectieve actie {campaign.name}: {len(rows)}",
                      text=text, html=html_t.render(coordinator=coordinator.name, rows=rows,
                                                    campaign=campaign.name,
                                                    firm=settings["firm.name"]))
        session.execute(update(I).where(I.c.id.in_([r["id"] for r in rows]),
                                        I.c.bounce_reported_at.is_(None))
                        .values(bounce_reported_at=now))
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
