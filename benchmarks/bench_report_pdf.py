"""Report documents per second (issue 17: at least 20 PDF reports a second).

Renders N reports of a realistic 15-question QuickScan (the shipped "Bedrijfsopvolging"
plus one more open question, every question answered, a few lines of open text, a
different client each time) in one process, and prints reports per second for:
  - the PDF of a Dutch client (the common case: built-in fonts, nothing to embed);
  - the PDF of a client whose name needs an embedded font: a Latin one (Łukasz, Şişli:
    the Latin cut of DejaVu Sans) and a Greek one (the whole DejaVu Sans);
  - the relationship manager's PowerPoint.

Usage: python benchmarks/bench_report_pdf.py [-n 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from quickcrm.quickscans.definitions import read_file, shipped_dir
from quickcrm.quickscans.report_data import ClientInfo, ReportData, report_data_from
from quickcrm.quickscans.report_pdf import render_report_pdf
from quickcrm.quickscans.report_pptx import render_report_pptx
from quickcrm.quickscans.schema import Question

TARGET_PDF = 20.0
OPEN_TEXT = (
    "Wij willen de onderneming over vijf jaar overdragen aan onze zoon, maar hij twijfelt "
    "nog. Daarnaast maken we ons zorgen over de financiële positie na de overdracht en de "
    "rol van de ëxterne investeerder. Graag bespreken we dit in een persoonlijk gesprek.\n"
    "Met vriendelijke groet, ook namens mijn compagnon."
)


NAMES = {"dutch": ("Anneloes", "Bakkerij Ïjsselmonde B.V."),
         "latin": ("Łukasz", "Şişli Ticaret B.V."),
         "greek": ("Γιώργος", "Παπαδόπουλος Α.Ε.")}


def reports(n: int, names: str = "dutch") -> list[ReportData]:
    definition = read_file(shipped_dir() / "bedrijfsopvolging.toml")
    extra = Question(id="extra", type="text", text="Welke vragen heeft u nog voor ons?")
    last = definition.sections[-1]
    definition = replace(definition, sections=(
        *definition.sections[:-1], replace(last, questions=(*last.questions, extra))))
    assert len(definition.questions()) == 15, len(definition.questions())
    out = []
    for i in range(n):
        answers: dict[str, str] = {}
        for j, q in enumerate(definition.questions()):
            if q.type == "choice":
                answers[q.id] = f"ke{1 + (i + j) % len(q.options)}"
            elif q.type == "text":
                answers[q.id] = OPEN_TEXT
            else:
                low, high = q.min or 0, q.max or 0
                answers[q.id] = str(low + (i * 7 + j) % int(high - low + 1))
        first, company = NAMES[names]
        client = ClientInfo(first, f"de Vries {i}", company, f"{i:06d}")
        out.append(report_data_from(definition, answers, client=client,
                                    firm_name="Voorbeeld Accountants",
                                    report_date=date(2026, 11, 23)))
    return out


def per_second(render: Callable[[ReportData], bytes], items: list[ReportData]) -> tuple[float, int]:
    render(items[0])  # warm-up: imports and the once-per-process font lookup
    start = time.perf_counter()
    size = sum(len(render(item)) for item in items)
    return len(items) / (time.perf_counter() - start), size // len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="reports per measurement")
    n = parser.parse_args().n
    dutch = reports(n)
    few = max(n // 4, 1)
    rows = [
        ("PDF, Dutch client (built-in fonts)", *per_second(render_report_pdf, dutch)),
        ("PDF, Polish name (Latin font cut)", *per_second(render_report_pdf,
                                                         reports(few, "latin"))),
        ("PDF, Greek name (whole DejaVu Sans)", *per_second(render_report_pdf,
                                                            reports(few, "greek"))),
        ("PowerPoint", *per_second(render_report_pptx, dutch)),
    ]
    print(f"{'15-question QuickScan report':40} {'per second':>11} {'bytes':>8}")
    for name, rate, size in rows:
        print(f"{name:40} {rate:11.1f} {size:8d}")
    rate = rows[0][1]
    verdict = "meets" if rate >= TARGET_PDF else "MISSES"
    print(f"PDF reports per second: {rate:.1f} ({verdict} the target of {TARGET_PDF:g}; "
          f"{rate / TARGET_PDF:.1f}x)")


if __name__ == "__main__":
    main()
