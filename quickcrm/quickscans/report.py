"""The report of a filled QuickScan, for both flows: the PDF for the respondent and the
PowerPoint for the relationship manager, with their file names. The drawing is in
``report_pdf`` / ``report_pptx``, from the plain values of ``report_data``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from quickcrm.quickscans.report_data import ClientInfo
from quickcrm.quickscans.schema import Definition

PDF = "application/pdf"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@dataclass(frozen=True)
class Documents:
    pdf: bytes
    pptx: bytes
    pdf_name: str
    pptx_name: str


def _safe(text: str) -> str:
    """A file-name part without path separators or characters Windows refuses."""
    return re.sub(r"[^\w .,&()-]+", "", text, flags=re.UNICODE).strip(" .")[:80] or "rapportage"


def render_documents(*, definition: Definition, answers: dict[str, str], client: ClientInfo,
                     firm_name: str, report_date: date) -> Documents:
    """The PDF and the PPTX of one respondent's answers."""
    from quickcrm.quickscans.report_data import report_data_from
    from quickcrm.quickscans.report_pdf import render_report_pdf
    from quickcrm.quickscans.report_pptx import render_report_pptx

    data = report_data_from(definition, answers, firm_name=firm_name, report_date=report_date,
                            client=client)
    stem = _safe(f"Rapportage {definition.title} - {client.company or client.last_name}")
    return Documents(render_report_pdf(data), render_report_pptx(data), f"{stem}.pdf",
                     f"{stem}.pptx")
