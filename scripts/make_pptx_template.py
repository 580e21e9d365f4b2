"""Make the shipped PowerPoint master, templates/documents/rapportage.pptx (issue 25).

python-pptx's own default template, made 16:9 (13.33 x 7.5 in) with every master and
layout placeholder widened to match. It holds no
slides and no firm colours: the conversation PowerPoint draws those from the firm's
branding settings; a firm with its own house style names its .pptx in
``firm.pptx_template`` instead. Run again after changing this script:

    python scripts/make_pptx_template.py
"""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.util import Emu, Inches

OUT = Path(__file__).resolve().parent.parent / "templates" / "documents" / "rapportage.pptx"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)


def main() -> None:
    prs = Presentation()
    scale = WIDTH / prs.slide_width
    prs.slide_width, prs.slide_height = Emu(WIDTH), Emu(HEIGHT)
    master = prs.slide_master
    for owner in (master, *master.slide_layouts):
        for shape in owner.placeholders:
            if shape.left is None or shape.width is None:
                continue
            shape.left, shape.width = Emu(int(shape.left * scale)), Emu(int(shape.width * scale))
    prs.core_properties.title = "QuickCRM rapportage"
    prs.core_properties.author = "QuickCRM"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    prs.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
