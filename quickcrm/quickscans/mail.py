"""The e-mails of a filled QuickScan, for both flows: the QuickScan's own texts (its
subjects and bodies, plain-text templates a firm can edit) and the one HTML layout every
respondent e-mail uses, whose link paragraph becomes a button.

Templates are compiled once per text (``quickcrm.templating``), because a send renders
two messages for each of thousands of clients.
"""

from __future__ import annotations

from functools import lru_cache
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
                 notice: str = "", always: bool = False, brand: Any = None,
                 base_url: str = "") -> str:
    """The HTML alternative of a plain-text e-mail: its paragraphs in the firm's layout,
    ``link`` as one ``button`` with the plain link under it (``always``: even when the
    text does not hold the link), ``notice`` in a band on top. With ``brand``
    (``quickcrm.branding.Branding``): the firm's colours, its logo (from the web app at
    ``base_url``, the firm's name as its alt text for mail programs that hold back
    images), and a footer with the contact details and the privacy statement.

    The layout (``message.html``) is rendered once per subject, firm, notice and brand
    (``_frame``): a send or a marketeer's steps mail many clients the same subject, and
    the layout was most of the rendering. The paragraphs go into it as
    ``_paragraphs`` writes them, every value escaped."""
    body = _paragraphs(blocks(text, link, notice, always=always), _colors(brand), button)
    frame = _frame(subject, firm, notice, brand, base_url)
    if frame is None:  # a value holds the mark: this message's layout as it is
        return _layout(subject, firm, notice, brand, base_url, body)
    return frame[0] + body + frame[1]


_BODY = "\x00quickcrm:body\x00"  # where the paragraphs go in a rendered frame

# a paragraph, and a link as a button with the plain link under it (mail programs that
# show no buttons): inline styles only, as mail programs read them
_PARAGRAPH = '<p style="margin:0 0 14px 0">{}</p>\n'
_BUTTON = (
    '<p style="margin:24px 0 8px 0;text-align:center"><a href="{link}" class="button" '
    'style="display:inline-block;padding:12px 28px;background:{primary};color:{on_primary};'
    'text-decoration:none;border-radius:4px;font-weight:bold">{button}</a></p>\n'
    '<p style="margin:0 0 20px 0;text-align:center;font-size:12px;color:#5b6672">'
    'Werkt de knop niet? Open dan deze link:<br><a href="{link}" style="color:{color};'
    'word-break:break-all">{link}</a></p>\n')


def _paragraphs(found: list[dict[str, Any]], colors: dict[str, str], button: str) -> str:
    """The HTML of ``blocks``' paragraphs and button, every value escaped (a "<b>" in a
    company name is shown, never interpreted). Written here rather than as a template:
    a jinja render per message cost more than the paragraphs themselves."""
    from markupsafe import escape

    out = []
    for block in found:
        if block["link"]:
            out.append(_BUTTON.format(
                link=escape(block["link"]), primary=escape(colors["primary"]),
                on_primary=escape(colors["on_primary"]), color=escape(colors["link"]),
                button=escape(button or "Openen")))
        else:
            out.append(_PARAGRAPH.format("<br>".join([escape(ln) for ln in block["lines"]])))
    return "".join(out)


@lru_cache(maxsize=64)
def _frame(subject: str, firm: str, notice: str, brand: Any, base_url: str
           ) -> tuple[str, str] | None:
    """``message.html`` rendered, as the text before and after its paragraphs; None
    when a value holds the mark that shows where they go."""
    page = _layout(subject, firm, notice, brand, base_url, _BODY)
    head, _, tail = page.partition(_BODY)
    return (head, tail) if page.count(_BODY) == 1 else None


def _layout(subject: str, firm: str, notice: str, brand: Any, base_url: str,
            body: str) -> str:
    from markupsafe import Markup

    logo = f"{base_url}/huisstijl/logo" if brand is not None and brand.logo_path and base_url \
        else ""
    return html_files("mail").get_template("message.html").render(
        subject=subject, firm=firm, notice=notice, brand=brand, colors=_colors(brand),
        logo=logo, body=Markup(body))


def _colors(brand: Any) -> dict[str, str]:
    from quickcrm.branding import ensure_contrast

    if brand is None:
        return {"primary": "#1f5fa8", "on_primary": "#ffffff", "link": "#1f5fa8"}
    return {"primary": brand.color_primary, "on_primary": brand.on_primary,
            "link": ensure_contrast(brand.color_primary)}


SIGN_OFF = "met vriendelijke groet"


def blocks(text: str, link: str, notice: str, *, always: bool = False) -> list[dict[str, Any]]:
    """Paragraphs of the text, with exactly one button when there is a ``link``: where
    the link stands on a line of its own (the lines before it stay a paragraph: "Start
    de QuickScan via deze link:"), else, when ``always``, before the sign-off (a firm's
    own template that left the link out still gets its button)."""
    body = text[len(notice):].strip() if notice and text.startswith(notice) else text
    out: list[dict[str, Any]] = []
    placed = False
    for para in body.strip().split("\n\n"):
        lines = [ln for ln in para.strip().splitlines()]
        if not lines:
            continue
        if link and not placed and link in (ln.strip() for ln in lines):
            at = [ln.strip() for ln in lines].index(link)
            if lines[:at]:
                out.append({"lines": lines[:at], "link": None})
            out.append({"link": link})
            if lines[at + 1:]:
                out.append({"lines": lines[at + 1:], "link": None})
            placed = True
            continue
        out.append({"lines": [ln for ln in lines if not (link and ln.strip() == link)],
                    "link": None})
    if link and always and not placed:
        at = next((i for i, b in enumerate(out)
                   if b["lines"] and b["lines"][0].strip().lower().startswith(SIGN_OFF)),
                  len(out))
        out.insert(at, {"link": link})
    return [b for b in out if b["link"] or b["lines"]]


def with_link(body: str, link: str) -> str:
    """The plain-text body with ``link`` on a line of its own: a firm's template that
    left it out gets it before the sign-off."""
    if not link or link in body:
        return body
    paras = body.strip().split("\n\n")
    at = next((i for i, p in enumerate(paras) if p.strip().lower().startswith(SIGN_OFF)),
              len(paras))
    paras.insert(at, link)
    return "\n\n".join(paras) + "\n"
