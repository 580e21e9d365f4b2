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
from quickcrm.quickscans.mail import html_message, render_mail
from quickcrm.quickscans.schema import Definition

BUTTONS = {
    "invitation": "Start de QuickScan",
    "reminder1": "Ga verder met de QuickScan",
    "reminder2": "Ga verder met de QuickScan",
    "rm_copy": "Bekijk de pagina van de klant",
    "no_response": "Bekijk de pagina van de klant",
}
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
        text = body.strip() + "\n"
        if notice:
            text = notice + "\n\n" + text
        html = html_message(subject, self.firm_name, text, link=link, notice=notice,
                            button=BUTTONS.get(button_kind or kind, "Open"),
                            brand=self.brand, base_url=self.base_url)
        return subject, text, html

    def draft(self, kind: str, *, ref: str, to: Person | Manager, client: Person,
              rm: Manager, link: str, mail_kind: str | None = None,
              notice: str = "", subject_prefix: str = "") -> Draft:
        """A message From the relationship manager, sent by the platform."""
        template = mail_kind or kind
        subject, text, html = self.render(template, client=client, rm=rm, link=link,
                                          notice=notice, button_kind=kind)
        return Draft(kind=kind, ref=ref, to=address(to.name, to.email),
                     from_=address(rm.name, rm.email), sender=self.sender,
                     subject=subject_prefix + subject, text=text, html=html)

    def client_link(self, token: str) -> str:
        return f"{self.base_url}/q/{token}"

    def preview_link(self, token: str) -> str:
        return f"{self.base_url}/p/{token}"
