"""The import direction docs/architecture.md draws, checked on every module of the package
(imports inside functions included): the core imports no area, an area imports only the
core, the documents library and the areas listed before it in ``quickcrm.areas.AREAS``,
and no private name crosses a package boundary.

The order of ``AREAS`` is the picture: adding an area is one folder plus one line in that
list, placed after the areas it builds on."""

from __future__ import annotations

import ast
from pathlib import Path

import quickcrm
from quickcrm.areas import AREAS

PACKAGE = Path(quickcrm.__file__).parent
CORE = 0
LIBRARY = 1
ENTRY = 10_000

# package (or top-level module) -> its layer; a module may import its own package, the
# core, and packages of a strictly lower layer. Entry points may import anything.
LAYER: dict[str, int] = {
    # core: knows no area
    **dict.fromkeys(("errors", "clock", "codes", "settings", "permissions", "events", "store",
                     "runtime", "area", "resources", "templating"), CORE),
    "branding": CORE,  # issue 25: the firm's logo, colours and contact details
    "documents": LIBRARY,  # readers and writers of files (xlsx/csv, ics) for the areas
    # the areas, in the order of AREAS
    **{module.split(".")[1]: LIBRARY + 1 + i for i, module in enumerate(AREAS)},
    # entry points: the composition root
    **dict.fromkeys(("areas", "bootstrap", "daemon", "cli", "ops", "demo", "demo_campaign",
                     "demo_clients", "sample", "sample_names", "__main__", "__init__"), ENTRY),
}
ENTRY_MODULES = {"web/app.py"}  # the web app mounts every area's routes


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "store" and "migrations" in rel.parts:
            continue  # Alembic's env.py reads the areas list: an entry point
        found.append((rel.parts[0].removesuffix(".py"), path))
    return found


def _imports(path: Path) -> list[tuple[str, str]]:
    """(imported module, imported name or "") for each quickcrm import in ``path``."""
    out: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "quickcrm":
                out += [(f"quickcrm.{a.name}", "") for a in node.names]
            elif node.module.startswith("quickcrm."):
                out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("quickcrm.")]
    return out


def _layer(package: str, path: Path) -> int:
    if path.relative_to(PACKAGE).as_posix() in ENTRY_MODULES:
        return ENTRY
    return LAYER[package]


def test_every_package_has_its_place_in_the_picture():
    unplaced = sorted({pkg for pkg, _ in _modules()} - LAYER.keys())
    assert unplaced == [], (f"{unplaced}: declare the area in quickcrm/areas.py (after the "
                            "areas it builds on), or place it in LAYER here")


def test_imports_go_downwards_only():
    wrong = []
    for pkg, path in _modules():
        mine = _layer(pkg, path)
        for module, _ in _imports(path):
            target = module.split(".")[1]
            if target == pkg or mine == ENTRY or LAYER.get(target) == CORE:
                continue
            if target not in LAYER or LAYER[target] >= mine:
                rel = path.relative_to(PACKAGE).as_posix()
                wrong.append(f"{rel} imports {module}")
    assert wrong == [], "imports against the direction of docs/architecture.md:\n" + "\n".join(wrong)


def test_the_core_imports_no_area():
    wrong = [f"{path.relative_to(PACKAGE).as_posix()} imports {module}"
             for pkg, path in _modules() if LAYER.get(pkg) == CORE
             for module, _ in _imports(path) if LAYER.get(module.split(".")[1]) != CORE]
    assert wrong == []


def test_no_private_name_is_imported_from_another_package():
    wrong = sorted(f"{path.relative_to(PACKAGE).as_posix()} <- {module}.{name}"
                   for pkg, path in _modules() for module, name in _imports(path)
                   if name.startswith("_") and module.split(".")[1] != pkg)
    assert wrong == []


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The walk above would catch a lazy import upwards and a private name."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from quickcrm.campaigns.sending import _batch\n")
    assert _imports(bad) == [("quickcrm.campaigns.sending", "_batch")]


def test_benchmarks_and_scripts_import_only_modules_that_exist():
    """Benchmarks and scripts run outside the suite: a module moved by a refactoring must
    not leave them importing its old path (imports inside functions included)."""
    import importlib
    import importlib.util

    root = PACKAGE.parent
    wrong = []
    for path in sorted([*root.glob("benchmarks/*.py"), *root.glob("scripts/*.py")]):
        for module, name in _imports(path):
            if importlib.util.find_spec(module) is None:
                wrong.append(f"{path.relative_to(root)}: {module}")
            elif name and not name.startswith("*"):
                target = importlib.import_module(module)
                if not hasattr(target, name) and importlib.util.find_spec(
                        f"{module}.{name}") is None:
                    wrong.append(f"{path.relative_to(root)}: {module}.{name}")
    assert wrong == []
