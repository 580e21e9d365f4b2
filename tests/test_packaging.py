"""The wheel is what a user installs: it must carry the templates and the sample data,
and `quickcrm` must work from it outside the checkout. And `--help` stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _venv import build_wheel, venv_with_wheel  # noqa: E402

HEAVY = {"sqlalchemy", "sqlmodel", "alembic", "openpyxl", "python_calamine", "jinja2", "fpdf",
         "pptx", "apscheduler", "uvicorn", "starlette", "matplotlib", "holidays", "psycopg"}


def _shipped(folder: str) -> set[str]:
    base = ROOT / folder
    return {f"quickcrm/{folder}/{p.relative_to(base).as_posix()}" for p in base.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_wheel_ships_templates_and_sample_data_and_runs_outside_the_checkout(tmp_path):
    wheel = build_wheel(ROOT, tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "quickcrm/sample_data/clients.csv" in names
    missing = (_shipped("templates") | _shipped("sample_data")) - names
    assert not missing, f"not in the wheel: {sorted(missing)}"

    env_dir = tmp_path / "venv"
    bindir = venv_with_wheel(env_dir, wheel)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.pop("PYTHONPATH", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bindir / "quickcrm"), *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=300)

    where = subprocess.run([str(bindir / "python"), "-c", "import quickcrm; print(quickcrm.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), "the wheel's copy must be imported"

    helped = run("--help")
    assert helped.returncode == 0, helped.stderr
    assert "demo" in helped.stdout and "import" in helped.stdout

    demo = run("demo", "--dir", str(elsewhere / "demo"), "--json")
    assert demo.returncode == 0, demo.stderr
    report = json.loads(demo.stdout)
    steps = {s["name"]: s for s in report["steps"]}
    assert Path(steps["import clients"]["file"]).is_relative_to(env_dir)
    assert steps["summary"]["clients"] >= 500 and steps["summary"]["teams"] == 5
    assert (elsewhere / "demo" / "quickcrm.db").is_file()


def test_help_of_every_command_imports_only_the_cli():
    """Fast --help: services and heavy libraries are imported inside the commands; of the
    rest of QuickCRM only the areas' declarations (which name modules as strings)."""
    script = f"""
import json, sys
from quickcrm.cli.main import app
from quickcrm.cli.tree import walk
from quickcrm.areas import AREAS
paths = [p[1:] for p, _ in walk()]
for path in paths:
    try:
        app([*path, "--help"], prog_name="quickcrm")
    except SystemExit:
        pass
heavy = {sorted(HEAVY)!r}
declarations = {{"quickcrm.area", "quickcrm.areas", *AREAS}}
declarations |= {{m.rpartition(".")[0] for m in AREAS}}  # their (docstring-only) packages
loaded = [m for m in sys.modules if m.split(".")[0] in heavy
          or (m.startswith("quickcrm.") and not m.startswith("quickcrm.cli")
              and m not in declarations)]
print(json.dumps(sorted(loaded)), file=sys.stderr)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert loaded == [], f"imported by --help: {loaded}"
