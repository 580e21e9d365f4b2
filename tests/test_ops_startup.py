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


def test_a_read_command_on_a_current_database_does_not_load_alembic(sqlite_url, tmp_path):
    make_engine(sqlite_url).dispose()
    code = ("import sys, runpy; sys.argv = ['quickcrm', 'clients', 'count', '--db', "
            f"{sqlite_url!r}]\n"
            "try:\n    runpy.run_module('quickcrm', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('alembic' in sys.modules, 'quickcrm.campaigns.models' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    assert out.stdout.strip().splitlines()[-1] == "False False"  # nor another area's models
