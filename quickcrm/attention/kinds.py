"""Which events are contact moments: the one table of the attention monitor.

Seed 003: "Als contactmoment worden geteld alle toevoegingen in Historie, Notities,
Correspondentie (e-mails In/Uit), Sales (incl. Suspects en excl. Facturen) en service
calls die in de Helpdesk zijn vastgelegd." Every kind of the event catalogue
(``quickcrm.events.KINDS``) has a row here, so a new kind is a decision, not an
accident (``tests/test_attention_rules.py`` fails for a kind missing here):

- **counted**: a contact moment of one of the TYPES (historie, notitie,
  correspondentie, sales, helpdesk);
- **timeline**: shown in a relation's timeline but not counted: invoices, reactions to
  mailings (and an opt-out from them), data changes (an appointment moved or cancelled,
  a prospect status changed), a helpdesk call being solved;
- **ignored**: neither (the firm's own administration: users, campaigns, landing pages).

A ``procedure.step`` is historie or correspondentie by its ``details.step_kind``: an
e-mail step is correspondence, a plain step or an appointment history
(``step_type``). A campaign's invitation and reminders count for the relationship
manager on whose behalf they went (the event's ``user_id``).

The kinds are catalogue constants, never strings of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from quickcrm import events as e

HISTORIE, NOTITIE, CORRESPONDENTIE, SALES, HELPDESK = (
    "historie", "notitie", "correspondentie", "sales", "helpdesk")
TYPES = (HISTORIE, NOTITIE, CORRESPONDENTIE, SALES, HELPDESK)
# what a timeline-only row is
INVOICE, REACTION, DATA_CHANGE, SOLVED = "factuur", "reactie", "wijziging", "opgelost"
READ = "inzage"  # audit (issue 29): someone was shown a person's sensitive parts


@dataclass(frozen=True)
class KindRule:
    """What one event kind is to the monitor: ``counted`` (a contact moment of
    ``type``), or shown in the timeline as ``type``, or ``ignored``; ``channel`` is the
    channel it has when the event names none."""

    use: str  # "counted", "timeline" or "ignored"
    type: str | None = None
    channel: str | None = None

    @property
    def counted(self) -> bool:
        return self.use == "counted"

    @property
    def shown(self) -> bool:
        return self.use != "ignored"


def _c(type_: str, channel: str | None = None) -> KindRule:
    return KindRule("counted", type_, channel)


def _t(type_: str, channel: str | None = None) -> KindRule:
    return KindRule("timeline", type_, channel)


IGNORED = KindRule("ignored")

TABLE: dict[str, KindRule] = {
    # counted: historie
    e.CONTACT_HISTORIE: _c(HISTORIE),
    e.PROCEDURE_STEP: _c(HISTORIE),  # or correspondentie: see step_type
    # counted: notitie
    e.PERSON_NOTE_ADDED: _c(NOTITIE),
    e.CONTACT_NOTITIE: _c(NOTITIE),
    # counted: correspondentie
    e.CONTACT_EMAIL_IN: _c(CORRESPONDENTIE, "e-mail"),
    e.CONTACT_EMAIL_UIT: _c(CORRESPONDENTIE, "e-mail"),
    e.PERSON_EMAIL_SENT: _c(CORRESPONDENTIE, "e-mail"),
    e.PERSON_EMAIL_RECEIVED: _c(CORRESPONDENTIE, "e-mail"),
    e.INVITATION_SENT: _c(CORRESPONDENTIE, "e-mail"),
    e.REMINDER1_SENT: _c(CORRESPONDENTIE, "e-mail"),
    e.REMINDER2_SENT: _c(CORRESPONDENTIE, "e-mail"),
    # counted: sales (suspects, quotes, orders; not invoices)
    e.SALES_SUSPECT: _c(SALES),
    e.PROCEDURE_SUSPECT_ADDED: _c(SALES),
    e.SALES_SUSPECT_OFFERTE: _c(SALES),
    e.SALES_OFFERTE: _c(SALES),
    e.SALES_OFFERTE_ORDER: _c(SALES),
    e.SALES_ORDER: _c(SALES),
    e.SALES_OFFERTE_VERVALLEN: _c(SALES),
    # counted: helpdesk
    e.HELPDESK_CALL: _c(HELPDESK, "telefoon"),
    # shown in the timeline, not counted
    e.SALES_FACTUUR: _t(INVOICE),
    e.HELPDESK_SOLVED: _t(SOLVED),
    e.QUICKSCAN_LOGGED_IN: _t(REACTION, "web"),
    e.QUICKSCAN_FINISHED: _t(REACTION, "web"),
    e.QUICKSCAN_NOT_INTERESTED: _t(REACTION, "web"),
    e.LANDING_COMPLETED: _t(REACTION, "web"),
    e.CLIENT_OPTED_OUT: _t(REACTION, "e-mail"),  # one-click unsubscribe (issue 24)
    e.QUICKSCAN_NOT_INTERESTED_UNDONE: _t(REACTION, "web"),  # "ongedaan maken" (issue 25)
    e.PRIVACY_OPTED_OUT: _t(DATA_CHANGE),  # privacy opt-out (issue 29)
    e.PRIVACY_OPT_OUT_UNDONE: _t(DATA_CHANGE),
    e.RELATION_REASSIGNED: _t(DATA_CHANGE),  # another RM after user deactivate
    e.PERSON_UPDATED: _t(DATA_CHANGE),
    e.RELATION_UPDATED: _t(DATA_CHANGE),
    e.FACES_SET: _t(DATA_CHANGE),
    e.CLIENTS_IMPORTED: _t(DATA_CHANGE),
    e.ACTIVITIES_IMPORTED: _t(DATA_CHANGE),  # import activities' summary (issue 26)
    e.ATTENTION_GROUP_CHANGED: IGNORED,  # a monitor setting, not about one relation
    # a moved or cancelled appointment, a changed prospect status: shown to a colleague
    # back from leave (the appointment step itself is the contact moment)
    e.APPOINTMENT_MOVED: _t(DATA_CHANGE),
    e.APPOINTMENT_CANCELLED: _t(DATA_CHANGE),
    e.PROJECT_CONTACT_STATUS: _t(DATA_CHANGE),
    # ignored: the firm's own administration and mail mechanics
    e.USER_CREATED: IGNORED,
    e.USER_RIGHTS_GRANTED: IGNORED,
    e.USER_RIGHTS_REVOKED: IGNORED,
    e.USER_UPDATED: IGNORED,
    e.RELATION_CREATED: IGNORED,
    e.QUICKSCANS_LOADED: IGNORED,
    e.FACES_COMPUTED: IGNORED,
    e.FACES_IMPORTED: IGNORED,
    e.CAMPAIGN_CREATED: IGNORED,
    e.CAMPAIGN_SELECTED: IGNORED,
    e.CAMPAIGN_EXCLUSIONS_CHANGED: IGNORED,
    e.CAMPAIGN_FINALIZED: IGNORED,
    e.CAMPAIGN_CLOSED: IGNORED,
    e.INVITATION_DELIVERED: IGNORED,
    e.INVITATION_REJECTED: IGNORED,
    e.INVITATION_BOUNCED: IGNORED,
    # mail mechanics of issue 24: a failed or refused copy is no contact moment
    e.INVITATION_FAILED: IGNORED,
    e.RM_COPY_REFUSED: IGNORED,
    # the procedures' own administration (a step taken is the contact moment)
    e.PROCEDURE_DEFINED: IGNORED,
    e.PROCEDURE_MATRIX_CHANGED: IGNORED,
    e.PROJECT_CREATED: IGNORED,
    e.PROJECT_CLOSED: IGNORED,
    e.PROJECT_MEMBER_ADDED: IGNORED,
    e.LANDING_CREATED: IGNORED,
    e.LANDING_CLOSED: IGNORED,
    e.LANDING_COMPLETED_UNCONFIRMED: IGNORED,
    e.PERSON_CREATED: IGNORED,
    e.PERSON_DELETED: IGNORED,
    e.PERSON_MERGED: IGNORED,
    e.PERSON_NOTE_EDITED: IGNORED,
    e.PERSON_SIGNAL_ADDED: IGNORED,
    e.PERSON_SIGNAL_DONE: IGNORED,
    e.PERSON_RISK_CLASSIFIED: IGNORED,
    e.PERSON_IDENTIFIED: IGNORED,
    e.PERSON_FILE_ADDED: IGNORED,
    e.DOSSIER_CREATED: IGNORED,
    e.DOSSIER_CLOSED: IGNORED,
    # users and retention (issue 29)
    e.USER_DEACTIVATED: IGNORED,
    e.USER_ACTIVATED: IGNORED,
    e.USER_IMPERSONATED: IGNORED,
    e.PRIVACY_PURGED: IGNORED,
    # audit (issue 29, item 7): who was shown a person's sensitive parts, shown in the
    # timeline (a colleague sees who looked), never a contact moment
    e.PRIVACY_READ: _t(READ),
    # access and erasure (issue 29)
    e.PRIVACY_EXPORTED: IGNORED,
    e.PRIVACY_FORGOTTEN: IGNORED,
}

COUNTED: tuple[str, ...] = tuple(k for k, r in TABLE.items() if r.counted)
SHOWN: tuple[str, ...] = tuple(k for k, r in TABLE.items() if r.shown)
# Sales dgn: suspects, quotes and orders added (not lapsed quotes, not invoices)
SALES_DAYS: tuple[str, ...] = (e.SALES_SUSPECT, e.PROCEDURE_SUSPECT_ADDED,
                               e.SALES_SUSPECT_OFFERTE, e.SALES_OFFERTE,
                               e.SALES_OFFERTE_ORDER, e.SALES_ORDER)
ORDERS: tuple[str, ...] = (e.SALES_ORDER, e.SALES_OFFERTE_ORDER)
INVOICES: tuple[str, ...] = (e.SALES_FACTUUR,)
REVENUE = {"orders": ORDERS, "invoices": INVOICES, "both": ORDERS + INVOICES}
CALLS, SOLVES = e.HELPDESK_CALL, e.HELPDESK_SOLVED
STEP = e.PROCEDURE_STEP
EMAIL_STEP = "email"


def step_type(details: Mapping[str, Any]) -> str:
    """The type of a ``procedure.step`` by its ``details.step_kind``: an e-mail step is
    correspondence; a plain step, an appointment (or an unknown kind) history."""
    return CORRESPONDENTIE if details.get("step_kind") == EMAIL_STEP else HISTORIE


def type_of(kind: str, details: Mapping[str, Any] | None = None) -> str | None:
    """The contact type (or timeline type) of one event; None for an ignored kind."""
    if kind == STEP:
        return step_type(details or {})
    rule = TABLE.get(kind)
    return None if rule is None else rule.type


# Imports: "Soort" -> kind, "Kanaal" -> channel (Dutch names; English aliases)
SOORTEN: dict[str, str] = {
    "historie": e.CONTACT_HISTORIE, "history": e.CONTACT_HISTORIE,
    "notitie": e.CONTACT_NOTITIE, "note": e.CONTACT_NOTITIE,
    "email-in": e.CONTACT_EMAIL_IN, "e-mail-in": e.CONTACT_EMAIL_IN,
    "email-uit": e.CONTACT_EMAIL_UIT, "e-mail-uit": e.CONTACT_EMAIL_UIT,
    "email-out": e.CONTACT_EMAIL_UIT,
    "suspect": e.SALES_SUSPECT,
    "suspect-offerte": e.SALES_SUSPECT_OFFERTE, "suspect-quote": e.SALES_SUSPECT_OFFERTE,
    "offerte": e.SALES_OFFERTE, "quote": e.SALES_OFFERTE,
    "offerte-order": e.SALES_OFFERTE_ORDER, "quote-order": e.SALES_OFFERTE_ORDER,
    "order": e.SALES_ORDER,
    "offerte-vervallen": e.SALES_OFFERTE_VERVALLEN, "quote-lapsed": e.SALES_OFFERTE_VERVALLEN,
    "factuur": e.SALES_FACTUUR, "invoice": e.SALES_FACTUUR,
    "helpdesk": e.HELPDESK_CALL,
}
SOORT_NAMES = ("historie", "notitie", "email-in", "email-uit", "suspect", "suspect-offerte",
               "offerte", "offerte-order", "order", "offerte-vervallen", "factuur",
               "helpdesk")
CHANNELS = ("telefoon", "e-mail", "bezoek", "web", "chat", "social", "post", "balie")
_CHANNEL_ALIASES = {
    "telefoon": "telefoon", "phone": "telefoon", "tel": "telefoon", "mobile": "telefoon",
    "mobiel": "telefoon", "e-mail": "e-mail", "email": "e-mail", "mail": "e-mail",
    "bezoek": "bezoek", "visit": "bezoek", "meeting": "bezoek", "web": "web",
    "portal": "web", "chat": "chat", "social": "social", "post": "post", "postal": "post",
    "brief": "post", "letter": "post", "balie": "balie", "counter": "balie", "desk": "balie",
}
# kinds with an amount (Bedrag)
AMOUNT_KINDS = frozenset({*ORDERS, *INVOICES, e.SALES_OFFERTE, e.SALES_SUSPECT_OFFERTE,
                          e.SALES_SUSPECT, e.SALES_OFFERTE_VERVALLEN})


def parse_soort(text: str) -> str | None:
    """The event kind a "Soort" names (any case, spaces or underscores for dashes)."""
    key = "-".join(text.strip().lower().replace("_", "-").split())
    return SOORTEN.get(key)


def parse_channel(text: str) -> str | None:
    """The channel a "Kanaal" names (Dutch or English), or None when unknown."""
    return _CHANNEL_ALIASES.get(text.strip().lower())


def channel_of(kind: str, channel: str | None, details: Mapping[str, Any]) -> str:
    """The channel of one contact moment: its own, else its details', else its kind's,
    else "onbekend"."""
    if channel:
        return parse_channel(channel) or channel
    given = details.get("channel")
    if isinstance(given, str) and given:
        return parse_channel(given) or given
    rule = TABLE.get(kind)
    return (rule.channel if rule is not None and rule.channel else "onbekend")
