"""The report of a filled QuickScan, for both flows: the PDF for the respondent and the
PowerPoint for the relationship manager, with their file names. The drawing is in
``report_pdf`` / ``report_pptx``, from the plain values of ``report_data``.

``brand_of(settings)`` turns the firm's branding settings (``firm.*``) into what the
documents show, ``contact_of(user)`` the relationship manager into the report's next
step; a caller that passes neither gets the firm's name in the default colours and the
firm as the contact.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from quickcrm.quickscans.report_data import Brand, ClientInfo, Contact
from quickcrm.quickscans.schema import Definition

if TYPE_CHECKING:
    from quickcrm.settings import Settings
    from quickcrm.store.models import User

log = logging.getLogger(__name__)

PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
LOGO_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Documents:
    pdf: bytes
    pptx: bytes
    pdf_name: str
    pptx_name: str


def _safe(text: str) -> str:
    """A file-name part without path separators or characters Windows refuses."""
    return re.sub(r"[^\w .,&()-]+", "", text, flags=re.UNICODE).strip(" .")[:80] or "rapportage"


@functools.lru_cache(maxsize=4)
def _logo_bytes(path: str, mtime: float, size: int) -> bytes | None:
    """The logo file's bytes, read once per version of the file; None for what is no
    PNG or JPEG (the report then shows the firm's name)."""
    if size > LOGO_MAX_BYTES:
        return None
    data = Path(path).read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        return data
    return None


def read_logo(path: str) -> bytes | None:
    """``firm.logo_file`` as bytes, or None when unset, missing or not an image."""
    if not path.strip():
        return None
    file = Path(path.strip()).expanduser()
    try:
        stat = file.stat()
    except OSError:
        return None
    if not file.is_file():
        return None
    return _logo_bytes(str(file), stat.st_mtime, stat.st_size)


def brand_of(settings: Settings) -> Brand:
    """The documents' view of the firm's branding (issue 25 item 4): the checked
    ``quickcrm.branding.from_settings`` plus ``firm.pptx_template``. A setting that does
    not pass those checks (a logo file gone since the web app started) does not stop a
    client's report: it is drawn with what is usable (the name for a missing logo, the
    default colours for a bad one) and the problem is logged."""
    from quickcrm.branding import from_settings
    from quickcrm.errors import ConfigError

    template = pptx_template(settings)
    try:
        firm = from_settings(settings)
        logo = firm.logo_bytes
    except ConfigError as exc:
        log.warning("report drawn without part of the firm's branding: %s", exc)
        return _lenient_brand(settings, template)
    return Brand(name=firm.name, logo=logo, primary=firm.color_primary,
                 accent=firm.color_accent, phone=firm.phone, email=firm.email,
                 website=firm.website, address=firm.address, pptx_template=template)


def pptx_template(settings: Settings) -> str:
    """``firm.pptx_template`` as a path; a relative one given in ``quickcrm.toml`` is
    taken relative to that file's folder (as ``firm.logo_file`` is), '' when unset."""
    raw = str(settings["firm.pptx_template"] or "").strip()
    if not raw:
        return ""
    path = Path(raw).expanduser()
    config = getattr(settings, "config_path", None)
    sources = getattr(settings, "sources", {})
    if not path.is_absolute() and config is not None \
            and sources.get("firm.pptx_template") == str(config):
        path = Path(config).parent / path
    return str(path)


def _lenient_brand(settings: Settings, template: str) -> Brand:
    def get(name: str) -> str:
        return str(settings[name] or "").strip()

    return Brand(name=get("firm.name"), logo=read_logo(get("firm.logo_file")),
                 primary=get("firm.color_primary"), accent=get("firm.color_accent"),
                 phone=get("firm.phone"), email=get("firm.email"), website=get("firm.website"),
                 address=get("firm.address"), pptx_template=template)


def contact_of(user: User | None) -> Contact | None:
    """The relationship manager as the report's next step names them; None for no (or a
    deactivated) manager: the firm is then the contact."""
    if user is None or not user.active:
        return None
    email = user.email if "@" in user.email else ""
    return Contact(name=user.name, function=user.function, phone=user.phone, email=email)


class ContactLike(Protocol):
    """What the report reads of a contact: this module's ``Contact`` or the pages' one
    (``quickscans.contacts.Contact``)."""

    @property
    def name(self) -> str: ...
    @property
    def function(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def email(self) -> str: ...


def render_documents(*, definition: Definition, answers: dict[str, str], client: ClientInfo,
                     firm_name: str, report_date: date, brand: Brand | None = None,
                     contact: ContactLike | None = None) -> Documents:
    """The PDF and the PPTX of one respondent's answers; ``brand`` from ``brand_of``,
    ``contact`` the relationship manager (``contact_of``, or the pages' contact)."""
    if contact is not None and not isinstance(contact, Contact):
        contact = Contact(name=contact.name, function=contact.function, phone=contact.phone,
                          email=contact.email)
    from quickcrm.quickscans.report_data import report_data_from
    from quickcrm.quickscans.report_pdf import render_report_pdf
    from quickcrm.quickscans.report_pptx import render_report_pptx

    data = report_data_from(definition, answers, firm_name=firm_name, report_date=report_date,
                            client=client, brand=brand,
                            contact=contact if isinstance(contact, Contact) else None)
    stem = _safe(f"Rapportage {definition.title} - {client.company or client.last_name}")
    return Documents(render_report_pdf(data), render_report_pptx(data), f"{stem}.pdf",
                     f"{stem}.pptx")
