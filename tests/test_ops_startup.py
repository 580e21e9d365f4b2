"""Start-up of the commands scripts call in loops (issue 30 item 11): the revision is
checked with one query and Alembic is imported only when a migration is due; a small
read command (`clients count`) runs on SQLAlchemy Core, without the ORM or the models."""

from __future__ import annotations

import json
import subprocess
import sys

from quickcrm.store.db import make_engine

OPEN = """
import json, sys
from quickcrm.bootstrap import bootstrap
rt = bootstrap(database_url=sys.argv[1], env={})
rt.engine  # noqa: B018
print(json.dumps({"alembic": "alembic" in sys.modules, "created": rt.created_database}))
"""


def opened(url: str) -> dict[str, bool]:
    out = subprocess.run([sys.executable, "-c", OPEN, url], capture_output=True, text=True,
                         check=True)
    return dict(json.loads(out.stdout))


def test_alembic_is_imported_only_when_a_migration_is_due(db_url):
    assert opened(db_url) == {"alembic": True, "created": True}  # a new database: migrated
    assert opened(db_url) == {"alembic": False, "created": False}  # at head: one query


def test_the_head_read_from_the_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    from quickcrm.store.migrate import MIGRATIONS, head_revision

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


# what the commands scripts call in loops must not import (issue 30 item 11): the
# migration machinery, the libraries of other paths (templates, workbooks, documents,
# the web server, the scheduler, the PostgreSQL driver on SQLite) and the progress bar
# nobody sees when stderr is not a terminal
NOT_ON_A_READ_PATH = ("alembic", "jinja2", "openpyxl", "python_calamine", "fpdf", "pptx",
                      "apscheduler", "starlette", "uvicorn", "psycopg", "dns", "PIL")
AREAS_MODELS = ("quickcrm.crm.models", "quickcrm.quickscans.models", "quickcrm.mail.models",
                "quickcrm.campaigns.models", "quickcrm.landing.models",
                "quickcrm.procedures.models", "quickcrm.attention.models",
                "quickcrm.privacy.models")

RUN = """\
import json, sys, runpy
sys.argv = ['quickcrm', *json.loads(sys.argv[1])]
try:
    runpy.run_module('quickcrm', run_name='__main__')
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(args: list[str], cwd) -> tuple[int, set[str]]:  # type: ignore[no-untyped-def]
    """The exit code and the modules imported by ``quickcrm ARGS`` (stderr not a tty)."""
    out = subprocess.run([sys.executable, "-c", RUN, json.dumps(args)], capture_output=True,
                         text=True, check=True, cwd=cwd, stdin=subprocess.DEVNULL)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return found["exit"], set(found["modules"])


def imported(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


# a bare Typer command with one option: what Typer itself imports to parse it (Typer
# 0.29 coerces every option through a Pydantic TypeAdapter)
BARE_TYPER = """\
import json, sys, typer
app = typer.Typer()
@app.command()
def count(db: str | None = typer.Option(None, "--db")) -> None:
    pass
try:
    app(["--db", "x"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def typer_imports() -> set[str]:
    out = subprocess.run([sys.executable, "-c", BARE_TYPER], capture_output=True, text=True,
                         check=True, stdin=subprocess.DEVNULL)
    return set(json.loads(out.stdout))


def test_a_read_command_on_a_current_database_loads_only_what_it_reads(sqlite_url, tmp_path):
    make_engine(sqlite_url).dispose()
    # the first command creates the configured administrator (a write, through the ORM)
    assert loaded_by(["clients", "count", "--db", sqlite_url], tmp_path)[0] in (0, None)
    code, modules = loaded_by(["clients", "count", "--db", sqlite_url, "--json"], tmp_path)
    assert code in (0, None)
    assert imported(modules, NOT_ON_A_READ_PATH) == []
    # the light read path: SQLAlchemy Core, no ORM, no models (docs/architecture.md)
    assert imported(modules, ("sqlmodel", "sqlalchemy.orm", "quickcrm.store.models",
                              "quickcrm.crm.users", "quickcrm.events")) == []
    assert imported(modules, AREAS_MODELS) == []
    pydantic = {m for m in modules if m == "pydantic" or m.startswith("pydantic.")}
    assert pydantic <= typer_imports()  # only what Typer itself loads to parse options
    assert imported(modules, ("rich",)) == []  # the count is printed plainly


def test_the_light_read_paths_tables_are_the_models_tables():
    """``store/tables.py`` names columns of tables the models define: each exists there,
    and the booleans are typed as booleans (SQLite's 0/1 read as bool)."""
    from sqlalchemy import Boolean

    from quickcrm.areas import metadata
    from quickcrm.store import tables

    light = [t for t in vars(tables).values() if getattr(t, "__visit_name__", "") == "table"]
    assert {t.name for t in light} == {"team", "app_user", "user_right", "relation", "person"}
    for clause in light:
        model = metadata().tables[clause.name]
        for c in clause.c:
            assert c.name in model.c, f"{clause.name}.{c.name} is not a column of the model"
            assert isinstance(c.type, Boolean) == isinstance(model.c[c.name].type, Boolean), \
                f"{clause.name}.{c.name}"


def test_remind_with_nothing_due_loads_no_progress_bar_off_a_terminal(sqlite_url, tmp_path):
    make_engine(sqlite_url).dispose()
    for output in (["--json"], []):  # as scripts read it, and the line cron mails
        code, modules = loaded_by(["remind", "--db", sqlite_url, *output], tmp_path)
        assert code in (0, None)
        assert imported(modules, NOT_ON_A_READ_PATH) == []
        assert imported(modules, ("rich",)) == []


def test_clients_count_on_the_light_path_answers_and_refuses_as_before(db_url, tmp_path):
    """In a process of its own, on SQLite and PostgreSQL: the first run creates the
    administrator; later runs, on the light read path, count and refuse an unknown or
    deactivated user with the same one line."""
    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.persons import add_relation
    from quickcrm.crm.users import add_user, deactivate_user

    make_engine(db_url).dispose()

    def count(*args: str) -> tuple[int, str, str]:
        out = subprocess.run([sys.executable, "-m", "quickcrm", "clients", "count",
                              "--db", db_url, *args], capture_output=True, text=True,
                             cwd=tmp_path, stdin=subprocess.DEVNULL)
        return out.returncode, out.stdout.strip(), out.stderr.strip()

    assert count("--json") == (0, '{\n  "count": 0\n}', "")  # the administrator is created
    rt = bootstrap(database_url=db_url, env={})
    with rt.session() as s:
        now = rt.clock.now()
        add_user(session=s, actor=rt.actor, now=now, email="rm@k.example", rights=["rm"])
        add_user(session=s, actor=rt.actor, now=now, email="gone@k.example", rights=["rm"])
        deactivate_user(session=s, actor=rt.actor, now=now, email="gone@k.example")
        add_relation(session=s, actor=rt.actor, now=now, number="000001", company="A B.V.")
    rt.close()
    assert count() == (0, "1", "")
    assert count("--as", "RM@k.example", "--rm", "rm@k.example") == (0, "0", "")
    assert count("--as", "nobody@k.example") == (
        1, "", "not permitted: unknown user 'nobody@k.example'")
    assert count("--as", "gone@k.example") == (
        1, "", "not permitted: user 'gone@k.example' is deactivated")
    assert count("--rm", "nobody@k.example") == (
        1, "", "unknown relationship manager 'nobody@k.example' (known relationship managers: "
               "gone@k.example, rm@k.example)")
