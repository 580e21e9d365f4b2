"""Settings, users, rights and migrations: the foundation every command stands on."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect as sa_inspect

from quickcrm.errors import ConfigError, InvalidState, UnknownUser
from quickcrm.settings import load_settings, mask_url


def test_settings_precedence_file_then_env_then_command_line(tmp_path):
    cfg = tmp_path / "q.toml"
    cfg.write_text('[database]\nurl = "sqlite:///from-file.db"\n[web]\nbase_url = "https://a.example"\n')
    s = load_settings(cfg, env={"QUICKCRM_BASE_URL": "https://env.example"})
    assert s.database_url == "sqlite:///from-file.db"
    assert s.base_url == "https://env.example"
    s = load_settings(cfg, env={}, overrides={"database.url": "sqlite:///cli.db"})
    assert s.database_url == "sqlite:///cli.db"
    assert s.sources["database.url"] == "command line"


def test_settings_reject_unknown_keys_and_bad_types(tmp_path):
    cfg = tmp_path / "q.toml"
    cfg.write_text("[mail]\nrate_per_minute = 'fast'\n")
    with pytest.raises(ConfigError, match="rate_per_minute must be int"):
        load_settings(cfg, env={})
    cfg.write_text("[mail]\nurll = 'x'\n")
    with pytest.raises(ConfigError, match="unknown setting 'mail.urll'"):
        load_settings(cfg, env={})


def test_secrets_are_masked():
    assert mask_url("smtp://user:s3cret@mail.example:587") == "smtp://user:********@mail.example:587"
    s = load_settings(None, env={"QUICKCRM_SMTP_URL": "smtps://u:pw@h:465",
                                 "QUICKCRM_IMAP_URL": "imaps://u:pw@h/INBOX"})
    shown = json.dumps(s.masked())
    assert "pw" not in shown.replace("********", "")


def test_new_database_is_migrated_and_matches_the_models(rt):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from quickcrm.areas import metadata
    from quickcrm.store.migrate import current_revision, head_revision

    assert current_revision(rt.engine) == head_revision()
    with rt.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata())
        assert diff == []
        assert {"relation", "person", "event", "app_user", "team"} <= set(
            sa_inspect(conn).get_table_names()
        )


def test_sqlite_pragmas(sqlite_url):
    from quickcrm.store.db import make_engine

    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_admin_created_on_first_use_and_unknown_user_refused(rt):
    from quickcrm.bootstrap import bootstrap

    assert rt.actor.email == "admin@quickcrm.example"
    assert "admin" in rt.actor.rights
    other = bootstrap(database_url=rt.settings.database_url, env={}, acting_as="who@x.example")
    with pytest.raises(UnknownUser, match="not permitted: unknown user 'who@x.example'"):
        _ = other.actor
    other.close()


def test_user_rights_grant_revoke_and_last_admin(rt):
    from quickcrm.crm.users import add_user, change_rights, list_users

    with rt.session() as s:
        u = add_user(session=s, actor=rt.actor, now=rt.clock.now(), email="M.Jansen@Kantoor.example",
                     first_name="Marieke", last_name="Jansen", rights=["rm"], team="Zwolle")
        assert u.email == "m.jansen@kantoor.example" and u.rights == ["relationship-manager"]
        u = change_rights(session=s, actor=rt.actor, now=rt.clock.now(), email=u.email,
                          rights=["coordinator"], grant=True)
        assert u.rights == ["coordinator", "relationship-manager"]
        with pytest.raises(InvalidState, match="last admin"):
            change_rights(session=s, actor=rt.actor, now=rt.clock.now(),
                          email="admin@quickcrm.example", rights=["admin"], grant=False)
        assert {x.email for x in list_users(session=s)} == {"admin@quickcrm.example", u.email}


def test_cli_refusal_is_one_line_and_changes_nothing(cli):
    assert cli("user", "add", "rm@k.example", "--name", "Rita Meer", "-r", "rm").exit_code == 0
    result = cli("user", "add", "x@k.example", "--as", "rm@k.example")
    assert result.exit_code == 1
    assert result.stderr.strip() == "not permitted: manage users needs admin"
    listed = json.loads(cli("user", "list", "--json").stdout)
    assert {u["email"] for u in listed} == {"admin@quickcrm.example", "rm@k.example"}


def test_common_options_after_the_command_name(cli, tmp_path):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = cli("user", "list", "--db", other, "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "other.db").exists()
    result = cli("user", "show", "nobody@k.example", "--json")
    assert result.exit_code == 1 and result.stderr.strip() == "unknown user 'nobody@k.example'"
