"""The respondent core (quickcrm/quickscans) sits below both flows that fill in a
QuickScan: it imports neither flow nor the campaigns, the landing pages import nothing
of the invited client's pages, documents import nothing of campaigns. (The import
direction of every package, and the private-name rule, is tests/test_architecture.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import quickcrm

PACKAGE = Path(quickcrm.__file__).parent


def _imports() -> list[tuple[str, str, str]]:
    """(importing package, imported module, imported name) for every quickcrm import."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] == "store" and "migrations" in parts:
            continue
        package = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("quickcrm."):
                found += [(package, node.module or "", a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                found += [(package, a.name, "") for a in node.names
                          if a.name.startswith("quickcrm.")]
    return found


def _package(module: str) -> str:
    return module.split(".")[1]


def test_the_respondent_core_imports_no_flow_and_no_campaign():
    above = {"campaigns", "web", "landing", "crm", "cli"}
    wrong = sorted({m for pkg, m, _ in _imports() if pkg == "quickscans" and _package(m) in above})
    assert wrong == []


def test_the_import_circles_between_flows_and_documents_are_gone():
    edges = {(pkg, _package(m)) for pkg, m, _ in _imports()}
    assert ("landing", "web") not in edges
    assert ("documents", "campaigns") not in edges
    assert ("landing", "campaigns") not in edges  # a visitor is not a campaign's client
