"""A landing page's own Open Graph image: what a link to the page shows when it is
shared (LinkedIn, WhatsApp, Teams), drawn once when the page is created.

1200 x 630 PNG: the firm's logo (or name) on white at the top, the page's title large in
the firm's main colour band, the firm's name and the QuickScan's name below. Pure: takes
texts and a Branding, returns PNG bytes.
"""

from __future__ import annotations

import io
from typing import Any

WIDTH, HEIGHT = 1200, 630
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
MARGIN = 72


def _font(bold: bool, size: int) -> Any:
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        try:
            return ImageFont.truetype(f"{folder}/{name}", size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _wrap(draw: Any, text: str, font: Any, width: int, max_lines: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and draw.textlength(lines[-1] + " …", font=font) > width:
            lines[-1] = lines[-1].rsplit(" ", 1)[0] if " " in lines[-1] else lines[-1][:-1]
        lines[-1] += " …"
    return lines


def draw(*, title: str, quickscan: str, brand: Any) -> bytes:
    """The PNG for a page titled ``title`` of QuickScan ``quickscan`` for ``brand``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    pen = ImageDraw.Draw(image)
    band_top = 170
    pen.rectangle((0, band_top, WIDTH, HEIGHT), fill=brand.color_primary)
    pen.rectangle((0, HEIGHT - 18, WIDTH, HEIGHT), fill=brand.color_accent)
    on = brand.on_primary
    if brand.logo_bytes:
        with Image.open(io.BytesIO(brand.logo_bytes)) as raw:
            logo = raw.convert("RGBA")
            logo.thumbnail((WIDTH - 2 * MARGIN, band_top - 60))
            image.paste(logo, (MARGIN, (band_top - logo.height) // 2), logo)
    else:
        font = _font(True, 46)
        pen.text((MARGIN, band_top // 2), brand.name, font=font, fill=brand.color_primary,
                 anchor="lm")
    size = 68
    font = _font(True, size)
    lines = _wrap(pen, title, font, WIDTH - 2 * MARGIN, 3)
    y = band_top + 60
    for line in lines:
        pen.text((MARGIN, y), line, font=font, fill=on)
        y += int(size * 1.2)
    small = _font(False, 32)
    # the name is at the top unless a logo stands there
    footer = " · ".join(t for t in (brand.name if brand.logo_bytes else "", quickscan) if t)
    pen.text((MARGIN, HEIGHT - 70), _wrap(pen, footer, small, WIDTH - 2 * MARGIN, 1)[0],
             font=small, fill=on, anchor="ls")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
