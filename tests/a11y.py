"""Accessibility checks for the browser tests (issue 25 item 7): axe-core from npm
(scripts/test.sh installs it into the test venv's ``axe`` folder) injected into the
page, and what axe does not measure: reflow at 320 CSS px, visible keyboard focus, and
the 3:1 contrast of controls and borders read from the computed colours."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_path() -> Path:
    """axe.min.js: $QUICKCRM_AXE_JS, else <venv>/axe/node_modules/axe-core/axe.min.js."""
    candidates = [os.environ.get("QUICKCRM_AXE_JS", ""),
                  str(Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js")]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    message = ("axe-core not found: run `npm install --prefix <venv>/axe axe-core@4` "
               "(scripts/test.sh does) or set QUICKCRM_AXE_JS")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each (rule, impact,
    where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the page's CSP (script-src 'self')
        # stays in force for everything else
        page.evaluate(axe_path().read_text() + "\n;true")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           TAGS)
    assert len(result["passes"]) >= 10, "axe checked almost nothing: is the page empty?"
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"]]


def fits_width(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


# Reads each visible control's border (or, for filled ones, background) and the colour
# behind it; returns the pairs below 3:1 (WCAG 1.4.11 non-text contrast).
_CONTRAST_JS = r"""
(selectors) => {
  function rgb(s) {
    const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ratio(a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function behind(el) {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  }
  const out = [];
  for (const [selector, what] of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
      // a slider's track and thumb are pseudo-elements, which getComputedStyle does not
      // see: their colours are the custom properties app.css paints them with
      let value;
      if (what.startsWith('--')) {
        const probe = document.createElement('span');
        probe.style.color = getComputedStyle(el).getPropertyValue(what).trim();
        document.body.appendChild(probe);
        value = getComputedStyle(probe).color;
        probe.remove();
      } else {
        value = getComputedStyle(el)[what];
      }
      const c = rgb(value);
      if (!c || c.a === 0) { out.push({selector, what, color: value, ratio: 0, missing: true}); continue; }
      const r = ratio(c, behind(el));
      out.push({selector, what, color: value, ratio: Math.round(r * 100) / 100});
    }
  }
  return out;
}
"""
CONTROLS = [
    ("button:not(.link)", "borderTopColor"),
    ("label.option", "borderTopColor"),
    (".rating label", "borderTopColor"),
    ("input[type=number]", "borderTopColor"),
    ("textarea", "borderTopColor"),
    (".details input[type=text], .details input[type=email]", "borderTopColor"),
    ("input[type=range]", "--border"),  # the track (app.css)
    ("input[type=range]:not(.unset)", "--control"),  # the thumb (app.css)
    ("input[type=radio], input[type=checkbox]", "--control"),  # accent-color
]


def low_contrast_controls(page: Any) -> tuple[list[dict[str, Any]], int]:
    """(controls whose border or fill is below 3:1 against what is behind them, how many
    were measured)."""
    found = page.evaluate(_CONTRAST_JS, CONTROLS)
    return [f for f in found if f["ratio"] < 3.0], len(found)
