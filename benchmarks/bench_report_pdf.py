"""Report documents per second, the new report beside the old answer list (issue 25).

Renders N reports of a realistic 15-question QuickScan (the shipped "Bedrijfsopvolging"
plus one more open question, every question answered, a few lines of open text, a
different client each time) in one process, and prints reports per second for:
  - the new report (issue 25: cover with the firm's logo, a summary with the attention
    points the answers meet and the scores per section, the answers, the next step with
    the relationship manager's contact) and the old answer-list layout (a heading and the
    answers, as QuickCRM drew it before issue 25, drawn with the same fonts) side by side,
    for a Dutch client (built-in fonts), a Turkish, a Polish, a Vietnamese and a Greek
    name (an embedded font: the European cut of DejaVu Sans);
  - the relationship manager's PowerPoint.
Targets: the new report within 2x of the answer list per report, and at least 20 new
reports a second for every name.

Usage: python benchmarks/bench_report_pdf.py [-n 200]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from io import BytesIO

from quickcrm.quickscans.definitions import read_file, shipped_dir
from quickcrm.quickscans.report_data import (
    Brand,
    ClientInfo,
    Contact,
    ReportData,
    dutch_date,
    report_data_from,
)
from quickcrm.quickscans.report_pdf import MARGIN, ReportPDF, draw_section, render_report_pdf
from quickcrm.quickscans.report_pptx import render_report_pptx
from quickcrm.quickscans.schema import Question

TARGET_PDF = 20.0
MAX_RATIO = 2.0
OPEN_TEXT = (
    "Wij willen de onderneming over vijf jaar overdragen aan onze zoon, maar hij twijfelt "
    "nog. Daarnaast maken we ons zorgen over de financiële positie na de overdracht en de "
    "rol van de ëxterne investeerder. Graag bespreken we dit in een persoonlijk gesprek.\n"
    "Met vriendelijke groet, ook namens mijn compagnon."
)
NAMES = {"Dutch": ("Anneloes", "de Vries", "Bakkerij Ïjsselmonde B.V."),
         "Turkish": ("Ayşe", "Şahin", "Şişli Ticaret B.V."),
         "Polish": ("Łukasz", "Wiśniewski", "Kraków Handel B.V."),
         "Vietnamese": ("Nguyễn", "Thị Hương", "Phở Hà Nội B.V."),
         "Greek": ("Γιώργος", "Παπαδόπουλος", "Παπαδόπουλος Α.Ε.")}


def logo() -> bytes:
    """A 600 x 180 PNG logo, as a firm would configure one."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 180), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 180, 180), fill=(0, 110, 80))
    draw.ellipse((40, 40, 140, 140), fill=(255, 255, 255))
    draw.text((210, 70), "Van Dijk & Partners", fill=(0, 80, 60))
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def reports(n: int, names: str = "Dutch") -> list[ReportData]:
    definition = read_file(shipped_dir() / "bedrijfsopvolging.toml")
    extra = Question(id="extra", type="text", text="Welke vragen heeft u nog voor ons?")
    last = definition.sections[-1]
    definition = replace(definition, sections=(
        *definition.sections[:-1], replace(last, questions=(*last.questions, extra))))
    assert len(definition.questions()) == 15, len(definition.questions())
    brand = Brand(name="Van Dijk & Partners Accountants", logo=logo(), primary="#006e50",
                  accent="#c05600", phone="020 123 45 67", email="info@vandijk.example",
                  website="https://www.vandijk.example", address="Herengracht 1, Amsterdam")
    contact = Contact("Marieke Jansen", "Senior relatiemanager", "06 1234 5678",
                      "m.jansen@vandijk.example")
    out = []
    for i in range(n):
        answers: dict[str, str] = {}
        for j, q in enumerate(definition.questions()):
            if q.type == "choice":
                answers[q.id] = f"ke{1 + (i + j) % len(q.options)}"
            elif q.type == "text":
                answers[q.id] = OPEN_TEXT
            else:
                low, high, step = q.min or 0, q.max or 0, q.step or 1
                answers[q.id] = str(low + step * ((i * 7 + j) % int((high - low) / step + 1)))
        first, last_name, company = NAMES[names]
        client = ClientInfo(first, f"{last_name} {i}", company, f"{i:06d}")
        out.append(report_data_from(definition, answers, client=client,
                                    firm_name=brand.name, report_date=date(2026, 11, 23),
                                    brand=brand, contact=contact))
    assert all(r.attention for r in out[:3]), "the sample answers meet attention points"
    return out


def render_answer_list(data: ReportData) -> bytes:
    """The layout before issue 25: a heading with the client, then the answers."""
    pdf = ReportPDF(data)
    pdf.add_page()
    pdf.style(10)
    pdf.cell(0, 5, pdf.t(data.firm_name), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.style(24, bold=True, color=pdf.primary)
    pdf.cell(0, 11, "Rapportage", new_x="LMARGIN", new_y="NEXT")
    pdf.style(14, bold=True)
    pdf.paragraph(MARGIN, pdf.epw, 7, pdf.t(data.quickscan_title))
    pdf.ln(3)
    for label, value in (("Klant", data.client.name), ("Bedrijf", data.client.company),
                         ("Relatienummer", data.client.relation_number),
                         ("Datum", dutch_date(data.report_date))):
        pdf.style(10)
        pdf.cell(32, 6, label)
        pdf.style(11)
        pdf.paragraph(MARGIN + 32, pdf.epw - 32, 6, pdf.t(value) or "-")
    for section in data.sections:
        draw_section(pdf, section.title, section.questions)
    return bytes(pdf.output())


def per_second(render: Callable[[ReportData], bytes], items: list[ReportData]
               ) -> tuple[float, float, int]:
    """(per wall-clock second, per CPU second of this process, bytes per document)."""
    render(items[0])  # warm-up: imports and the once-per-process font and logo work
    wall, cpu = time.perf_counter(), time.process_time()
    size = sum(len(render(item)) for item in items)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(items) / wall, len(items) / cpu, size // len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="reports per measurement")
    n = parser.parse_args().n
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"15-question QuickScan, one process, {n} Dutch reports and {max(n // 4, 10)} per "
          f"other name; load average {load:.1f} on {os.cpu_count()} cores. On a shared "
          "machine the wall-clock rate depends on the others; the rate per CPU second of "
          "this process is what one core does, and the targets are judged on it.")
    print(f"{'PDF':24} {'new/s':>7} {'list/s':>7} {'new/cpu-s':>10} {'list/cpu-s':>11} "
          f"{'new/list':>9} {'new KB':>7}")
    ok = True
    for names in NAMES:
        items = reports(n if names == "Dutch" else max(n // 4, 10), names)
        old, old_cpu, _ = per_second(render_answer_list, items)
        new, new_cpu, size = per_second(render_report_pdf, items)
        ratio = old_cpu / new_cpu
        ok = ok and new_cpu >= TARGET_PDF and ratio <= MAX_RATIO
        first = NAMES[names][0]
        print(f"{names + ' (' + first + ')':24} {new:7.1f} {old:7.1f} {new_cpu:10.1f} "
              f"{old_cpu:11.1f} {ratio:8.2f}x {size / 1024:7.1f}")
    dutch = reports(max(n // 4, 10))
    rate, cpu, size = per_second(render_report_pptx, dutch)
    print(f"{'PowerPoint (Dutch)':24} {rate:7.1f} {'':7} {cpu:10.1f} {'':11} {'':9} "
          f"{size / 1024:7.1f}")
    print(f"Targets (per CPU second): new report >= {TARGET_PDF:g}/s for every name and "
          f"within {MAX_RATIO:g}x of the answer list: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
