"""The campaign's e-mails: the QuickScan's own texts (jinja2, per QuickScan, overridable
per installation) rendered for one client, as plain text with an HTML alternative whose
link line becomes a button (both rendered by ``quickcrm.quickscans.mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quickcrm.crm.users import signoff
from quickcrm.mail.compose import address
from quickcrm.mail.outbox import Draft
from quickcrm.quickscans.mail import html_message, render_mail, with_link
from quickcrm.quickscans.schema import Definition

BUTTONS = {
    "invitation": "Start de QuickScan",
    "reminder1": "Ga verder met de QuickScan",
    "reminder2": "Ga verder met de QuickScan",
    "rm_copy": "Bekijk de pagina van de klant",
    "no_response": "Bekijk de pagina van de klant",
}
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}  # RFC 3834: for notices, not clients
NOTICES = ("rm_copy", "no_response")


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the mail provider POSTs to ``url`` (which carries
    the client's own token) without cookies; a GET shows a confirm button."""
    return {"List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


COPY_NOTICE = ("Kopie voor de relatiemanager: deze e-mail is zo naar {client} verstuurd. "
               "De knop opent een voorbeeld van de pagina van de klant; "
               "uw bezoek wordt niet als reactie van de klant geteld.")


@dataclass(frozen=True)
class Person:
    """Who a message is about or addressed to, as plain template values."""

    first_name: str
    last_name: str
    email: str
    company: str = ""
    relation_number: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class Manager:
    """Who signs a campaign's e-mail: the client's relationship manager (or the firm)."""

    first_name: str
    last_name: str
    email: str
    signature: str = ""
    function: str = ""
    phone: str = ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @property
    def signoff(self) -> str:
        """The lines the e-mail is signed with (``crm.users.signoff``)."""
        return signoff(self)


def manager_of(user: Any) -> Manager:
    """The Manager a user (or a row with the user's columns) signs as."""
    return Manager(first_name=user.first_name, last_name=user.last_name, email=user.email,
                   signature=user.signature, function=user.function, phone=user.phone)


@dataclass
class CampaignMailer:
    definition: Definition
    campaign_name: str
    firm_name: str
    sender: str  # the platform: envelope sender and Sender:
    base_url: str
    brand: Any = None  # quickcrm.branding.Branding: the firm's colours, logo and contact

    def render(self, kind: str, *, client: Person, rm: Manager, link: str,
               notice: str = "", button_kind: str | None = None) -> tuple[str, str, str]:
        """(subject, text, html) of the QuickScan's ``kind`` e-mail for one client."""
        context = {"client": client, "rm": rm, "firm": {"name": self.firm_name},
                   "quickscan": {"title": self.definition.title, "key": self.definition.key},
                   "campaign": {"name": self.campaign_name}, "link": link, "deadline": ""}
        subject, body = render_mail(self.definition, kind, context)
        button = BUTTONS.get(button_kind or kind)
        text = body.strip() + "\n"
        if button:  # every invitation, reminder and RM copy: one button, and the link
            text = with_link(text, link)
        if notice:
            text = notice + "\n\n" + text
        html = html_message(subject, self.firm_name, text, link=link, notice=notice,
                            button=button or "Openen", always=bool(button),
                            brand=self.brand, base_url=self.base_url)
        return subject, text, html

    def draft(self, kind: str, *, ref: str, to: Person | Manager, client: Person,
              rm: Manager, link: str, mail_kind: str | None = None,
              notice: str = "", subject_prefix: str = "", optout: str = "") -> Draft:
        """A message From the relationship manager, sent by the platform. ``optout``:
        the client's one-click opt-out URL (List-Unsubscribe); notices to the RM are
        marked Auto-Submitted."""
        template = mail_kind or kind
        subject, text, html = self.render(template, client=client, rm=rm, link=link,
                                          notice=notice, button_kind=kind)
        headers = dict(AUTO_SUBMITTED) if kind in NOTICES else {}
        if optout:
            headers.update(unsubscribe_headers(optout))
        return Draft(kind=kind, ref=ref, to=address(to.name, to.email),
                     from_=address(rm.name, rm.email), sender=self.sender,
                     subject=subject_prefix + subject, text=text, html=html, headers=headers)

    def client_link(self, token: str) -> str:
        return f"{self.base_url}/q/{token}"

    def preview_link(self, token: str) -> str:
        return f"{self.base_url}/p/{token}"

    def optout_link(self, token: str) -> str:
        return f"{self.base_url}/u/{token}"
