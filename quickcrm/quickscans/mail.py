"""The e-mails of a filled QuickScan, for both flows: the QuickScan's own texts (its
subjects and bodies, plain-text templates a firm can edit) and the one HTML layout every
respondent e-mail uses, whose link paragraph becomes a button.

Templates are compiled once per text (``quickcrm.templating``), because a send renders
two messages for each of thousands of clients.
"""

from __future__ import annotations

from typing import Any

from quickcrm.quickscans.schema import Definition
from quickcrm.templating import html_files, text_template


def render_mail(definition: Definition, kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of one of the QuickScan's e-mails; plain text, so no escaping
    (``quickcrm.templating``). ``context`` holds the names of schema.MAIL_VARIABLES."""
    mail = definition.mails[kind]
    subject = text_template(mail.subject).render(context)
    return " ".join(subject.split()), text_template(mail.body).render(context)


def html_message(subject: str, firm: str, text: str, *, link: str = "", button: str = "",
                 notice: str = "", brand: Any = None, base_url: str = "") -> str:
    """The HTML alternative of a plain-text e-mail: its paragraphs in the firm's layout,
    the paragraph that is only ``link`` as a ``button``, ``notice`` in a band on top.
    With ``brand`` (``quickcrm.branding.Branding``): the firm's colours, its logo (from
    the web app at ``base_url``, the firm's name as its alt text for mail programs that
    hold back images), and a footer with the contact details and the privacy statement."""
    from quickcrm.branding import ensure_contrast

    colors = {"primary": "#1f5fa8", "on_primary": "#ffffff", "link": "#1f5fa8"}
    if brand is not None:
        colors = {"primary": brand.color_primary, "on_primary": brand.on_primary,
                  "link": ensure_contrast(brand.color_primary)}
    logo = f"{base_url}/huisstijl/logo" if brand is not None and brand.logo_path and base_url \
        else ""
    return html_files("mail").get_template("message.html").render(
        subject=subject, firm=firm, notice=notice, button=button,
        blocks=blocks(text, link, notice), brand=brand, colors=colors, logo=logo)


def blocks(text: str, link: str, notice: str) -> list[dict[str, Any]]:
    """Paragraphs of the text; the paragraph that is only the link becomes the button."""
    body = text[len(notice):].strip() if notice and text.startswith(notice) else text
    out: list[dict[str, Any]] = []
    for para in body.strip().split("\n\n"):
        lines = [ln for ln in para.strip().splitlines()]
        if not lines:
            continue
        if link and [ln.strip() for ln in lines] == [link]:
            out.append({"link": link})
        else:
            out.append({"lines": lines, "link": None})
    return out
