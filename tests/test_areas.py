"""Adding an area is one folder plus one line in ``quickcrm.areas.AREAS``: a test area of
its own (written to a temporary folder) gets its command group, its `import` command, its
action, its daemon job, its mail hook and its web route, through the real entry points,
without any other file being edited. And the Alembic migrations keep a single head."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quickcrm import areas

FILES = {
    "widgets/__init__.py": '"""A test area."""\n',
    "widgets/area.py": """
        from quickcrm.area import Area, Job

        AREA = Area(
            name="widgets",
            groups={"widget": "widgets.cli"},
            importers=("widgets.cli",),
            jobs=(Job("count-widgets", run="widgets.jobs:count", every="daemon.deliver_every",
                      once_per="day"),),
            mail_hooks=("widgets.hooks",),
            web=("widgets.web:routes",),
            actions={"make widgets": ("admin",)},
        )
    """,
    "widgets/cli.py": '''
        from typing import Annotated

        import typer

        from quickcrm.cli.common import Ctx, command

        app = typer.Typer(help="Widgets.", no_args_is_help=True)
        importers = typer.Typer()


        @command(app, "make")
        def widget_make(c: Ctx) -> None:
            """Make a widget and mail it.

            Example: quickcrm widget make
            """
            from quickcrm import permissions
            from quickcrm.mail.outbox import queue_message

            rt = c.runtime()
            permissions.require(rt.actor, "make widgets")
            with rt.session() as s:
                queue_message(s, kind="widget", ref="widget:1", to="klant@example.nl",
                              from_="rm@kantoor.example", subject="Uw widget",
                              text="Hier is uw widget.", sender="noreply@kantoor.example",
                              now=rt.clock.now())
                s.commit()
            c.emit({"made": 1})


        @command(importers, "widgets")
        def import_widgets(c: Ctx, file: Annotated[str, typer.Argument(help="A file.")]) -> None:
            """Import widgets.

            Example: quickcrm import widgets widgets.csv
            """
            c.emit({"imported": file})
    ''',
    "widgets/jobs.py": """
        def count(ctx):
            return {"widgets": 1}
    """,
    "widgets/hooks.py": """
        from pathlib import Path

        from quickcrm.mail.hooks import on


        @on("sent", "widget")
        def _sent(session, event):
            Path("widget-delivered.txt").write_text(event.ref)
    """,
    "widgets/web.py": """
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route


        async def _page(request):
            return PlainTextResponse("widgets here")


        def routes():
            return [Route("/w", _page)]
    """,
}

RUN = """
import sys
import quickcrm.areas as areas
areas.AREAS = (*areas.AREAS, "widgets.area")  # the one line
if sys.argv[1] == "web":
    from starlette.testclient import TestClient
    from quickcrm.bootstrap import bootstrap
    from quickcrm.web.app import create_app
    print(TestClient(create_app(bootstrap())).get("/w").text)
else:
    from quickcrm.cli.main import app
    app(sys.argv[1:], prog_name="quickcrm")
"""


@pytest.fixture
def with_widgets(tmp_path: Path):  # type: ignore[no-untyped-def]
    for name, text in FILES.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update(PYTHONPATH=str(tmp_path / "src"),
               QUICKCRM_DATABASE_URL=f"sqlite:///{tmp_path / 'quickcrm.db'}")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", RUN, *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    return run


def test_a_new_area_is_one_folder_plus_one_line(with_widgets, tmp_path: Path):
    helped = with_widgets("--help")
    assert helped.returncode == 0, helped.stderr
    assert "widget" in helped.stdout
    made = with_widgets("widget", "make", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {"made": 1}
    assert with_widgets("user", "add", "rm@kantoor.example", "-r", "rm").returncode == 0
    refused = with_widgets("widget", "make", "--as", "rm@kantoor.example")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "not permitted: make widgets needs admin"
    imported = with_widgets("import", "widgets", "w.csv", "--json")
    assert json.loads(imported.stdout) == {"imported": "w.csv"}, imported.stderr
    assert "clients" in with_widgets("import", "--help").stdout  # beside the others'

    # a cron run (its day in the future, so the widget mail queued just now is due)
    ran = with_widgets("daemon", "--once", "--json", "--now", "2099-11-23T09:00")
    assert ran.returncode == 0, ran.stderr
    results = json.loads(ran.stdout)
    assert results["count-widgets"] == {"period": "2099-11-23", "widgets": 1}
    assert list(results)[-1] == "deliver" and results["deliver"]["delivered"] == 1
    assert (tmp_path / "widget-delivered.txt").read_text() == "widget:1"  # its mail hook
    again = json.loads(with_widgets("daemon", "--once", "--json", "--now",
                                    "2099-11-23T21:00").stdout)
    assert again["count-widgets"] == {"period": "2099-11-23", "skipped": True}

    page = with_widgets("web")
    assert page.returncode == 0, page.stderr
    assert page.stdout.strip() == "widgets here"


def test_a_name_declared_by_two_areas_is_refused(monkeypatch):
    monkeypatch.setattr(areas, "AREAS", (*areas.AREAS, "quickcrm.crm.area"))
    areas.declared.cache_clear()
    try:
        with pytest.raises(ValueError, match="area 'crm' is declared by two areas"):
            areas.declared()
    finally:
        monkeypatch.undo()
        areas.declared.cache_clear()


def test_every_declared_part_exists():
    """Each module and function the declarations name can be imported (a typo fails here,
    not when a user first runs the command or the daemon first runs the job)."""
    import importlib

    from quickcrm.settings import OPTIONS

    defaults = {o.name: o.default for o in OPTIONS}
    for area in areas.declared():
        for module in (*area.models, *area.groups.values(), *area.commands, *area.importers,
                       *area.mail_hooks):
            importlib.import_module(module)
        for ref in (*(j.run for j in area.jobs), *area.web):
            assert callable(areas.resolve(ref)), ref
        for job in area.jobs:
            assert isinstance(defaults[job.every], int), job.every  # its interval setting


def test_the_migrations_have_a_single_head():
    """Every migration's down_revision names the one before it: two branches that each
    added a migration with the same parent must be renumbered when they merge."""
    from alembic.script import ScriptDirectory

    from quickcrm.store.migrate import MIGRATIONS

    script = ScriptDirectory(str(MIGRATIONS))
    heads = script.get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}"
    chain = [rev.revision for rev in script.walk_revisions()]
    assert len(chain) == len({*chain}) and chain[-1] == "0001"


def test_the_architecture_page_shows_the_list_of_areas_as_it_stands():
    """docs/architecture.md shows adding an area with ``AREAS`` as it is, so a new area
    that forgets the page fails here."""
    import re
    from pathlib import Path

    from quickcrm.areas import AREAS

    page = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text(
        encoding="utf-8")
    shown = re.search(r"AREAS: tuple\[str, \.\.\.\] = \((.*?)\)", page, re.S)
    assert shown is not None
    assert tuple(re.findall(r'"([a-z_.]+)"', shown.group(1))) == AREAS
