"""Start-up of the commands scripts call in loops (issue 30 item 11): the revision is
checked with one query and Alembic is imported only when a migration is due."""

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


def test_a_read_command_on_a_current_database_loads_only_what_it_reads(sqlite_url, tmp_path):
    make_engine(sqlite_url).dispose()
    code, modules = loaded_by(["clients", "count", "--db", sqlite_url, "--json"], tmp_path)
    assert code in (0, None)
    assert imported(modules, NOT_ON_A_READ_PATH) == []
    assert imported(modules, AREAS_MODELS) == []  # the foundation's tables only
    assert imported(modules, ("rich",)) == []  # the count is printed plainly


def test_remind_with_nothing_due_loads_no_progress_bar_off_a_terminal(sqlite_url, tmp_path):
    make_engine(sqlite_url).dispose()
    for output in (["--json"], []):  # as scripts read it, and the line cron mails
        code, modules = loaded_by(["remind", "--db", sqlite_url, *output], tmp_path)
        assert code in (0, None)
        assert imported(modules, NOT_ON_A_READ_PATH) == []
        assert imported(modules, ("rich",)) == []
