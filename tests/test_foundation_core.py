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


SECRET_URLS = {
    "QUICKCRM_DATABASE_URL": "postgresql+psycopg://crm@db.example/crm?password=Geheim1&sslmode=require",
    "QUICKCRM_SMTP_URL": "smtp://mailer:Geheim2@smtp.example:587?starttls=1&token=Geheim3",
    "QUICKCRM_IMAP_URL": "imaps://bounces@imap.example/INBOX?pass=Geheim4;auth_token=Geheim5",
}


def test_config_show_masks_every_secret_wherever_it_sits_in_a_url():
    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    env = {**SECRET_URLS, "QUICKCRM_ADMIN_EMAIL": "admin@quickcrm.example"}
    settings = load_settings(None, env=env).masked()
    assert settings["database.url"] == ("postgresql+psycopg://crm@db.example/crm"
                                        "?password=********&sslmode=require")
    assert settings["mail.url"] == "smtp://mailer:********@smtp.example:587?starttls=1&token=********"
    assert settings["mail.imap_url"] == "imaps://bounces@imap.example/INBOX?pass=********;auth_token=********"
    for args in (["config", "show"], ["config", "show", "--json"]):
        # the acting user is checked on the (unreachable) database first: use SQLite for that
        shown = CliRunner().invoke(app, [*args, "--db", "sqlite:///x.db?password=Geheim6"], env=env)
        assert shown.exit_code == 0, shown.output
        assert "Geheim" not in shown.output and "password=********" in shown.output


def test_errors_that_repeat_a_url_mask_its_secrets():
    from quickcrm.mail.transports import make_transport
    from quickcrm.store.db import make_engine

    with pytest.raises(ConfigError) as err:
        make_transport("http://mailer@smtp.example?password=Geheim1")
    assert "Geheim" not in str(err.value) and "password=********" in str(err.value)
    with pytest.raises(ConfigError) as err:
        make_engine("not a url://u:Geheim2@h?password=Geheim3")
    assert "Geheim" not in str(err.value)


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
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "unknown user 'nobody@k.example'"


NO_DB = {"QUICKCRM_DATABASE_URL": None}  # the default, ./quickcrm.db in the test's cwd


@pytest.mark.parametrize("args", [
    ("db", "upgrade"), ("db", "status"), ("config", "show"), ("quickscan", "list"),
    ("outbox", "status"), ("sample", "generate", "-n", "3", "--out", "s.csv"),
    ("clients", "list"), ("clients", "count"),
])
def test_every_command_refuses_an_unknown_or_deactivated_user_before_it_runs(cli, tmp_path, args):
    from sqlalchemy import create_engine, text

    assert cli("user", "add", "rm@k.example", "-r", "rm").exit_code == 0
    assert cli("user", "add", "gone@k.example", "-r", "admin").exit_code == 0
    db = tmp_path / "test.db"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET active = false WHERE email = 'gone@k.example'"))
    engine.dispose()
    before = db.read_bytes()
    for who, message in (("nobody@k.example", "not permitted: unknown user 'nobody@k.example'"),
                         ("gone@k.example", "not permitted: user 'gone@k.example' is deactivated")):
        result = cli(*args, "--as", who)
        assert (result.exit_code, result.stdout, result.stderr.strip()) == (1, "", message)
    assert not (tmp_path / "s.csv").exists()
    assert db.read_bytes() == before
    assert cli(*args, "--as", "rm@k.example").exit_code == (1 if args == ("db", "upgrade") else 0)


def test_commands_that_need_no_database_create_none_and_a_new_one_knows_only_the_admin(cli, tmp_path):
    for args in (("config", "show"), ("db", "status"), ("sample", "generate", "-n", "2", "-o", "a.csv")):
        result = cli(*args, env=NO_DB)
        assert result.exit_code == 0, result.output
        assert "note:" not in result.stderr
    assert json.loads(cli("db", "status", "--json", env=NO_DB).stdout)["current"] is None
    result = cli("config", "show", "--as", "rm@k.example", env=NO_DB)
    assert result.exit_code == 1
    assert result.stderr.strip() == ("not permitted: unknown user 'rm@k.example' (the database has "
                                     "no users yet; only the administrator admin@quickcrm.example "
                                     "is known)")
    assert not (tmp_path / "quickcrm.db").exists()
    demo = cli("demo", "--dir", "d", "--as", "rm@k.example", env=NO_DB)
    assert demo.exit_code == 1 and "unknown user 'rm@k.example'" in demo.stderr
    assert not (tmp_path / "d").exists()


def test_db_upgrade_checks_its_right_before_migrating_and_status_shows_the_old_revision(db_url):
    """A database left at the first migration, with a relationship manager in it."""
    from sqlalchemy import text
    from typer.testing import CliRunner

    from quickcrm.cli.main import app
    from quickcrm.store.db import make_engine
    from quickcrm.store.migrate import head_revision, upgrade

    engine = make_engine(db_url, migrate=False)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO app_user (email, first_name, last_name, initials, signature, "
                          "active) VALUES ('rm@k.example', 'Rita', 'Meer', 'R.M.', '', true)"))
        conn.execute(text("INSERT INTO user_right (user_id, \"right\") SELECT id, "
                          "'relationship-manager' FROM app_user"))
    engine.dispose()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, [*args, "--db", db_url], env={})

    status = run("db", "status", "--json", "--as", "rm@k.example")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout) == {"current": "0001", "head": head_revision()}
    refused = run("db", "upgrade", "--as", "rm@k.example")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == "not permitted: upgrade the database needs admin"
    assert json.loads(run("db", "status", "--json").stdout)["current"] == "0001"
    done = run("db", "upgrade", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"from": "0001", "to": head_revision(), "head": head_revision()}


def test_a_command_that_creates_the_database_says_so_once(cli, tmp_path):
    first = cli("clients", "list", env=NO_DB)
    assert first.exit_code == 0, first.output
    assert first.stderr == "note: created a new database: quickcrm.db\n"
    again = cli("clients", "list", env=NO_DB)
    assert again.exit_code == 0 and again.stderr == ""


def test_unknown_campaign_on_a_database_just_created_points_at_the_demo(cli, tmp_path):
    result = cli("report", "Demo Bedrijfsopvolging", env=NO_DB)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "note: created a new database: quickcrm.db",
        "unknown campaign 'Demo Bedrijfsopvolging': quickcrm.db is a new, empty database; the "
        "demo's database is ./quickcrm-demo/quickcrm.db (add --db sqlite:///quickcrm-demo/quickcrm.db)",
    ]
    again = cli("report", "Demo Bedrijfsopvolging", env=NO_DB)
    assert again.stderr.strip() == "unknown campaign 'Demo Bedrijfsopvolging'"


def test_version_is_the_installed_packages(cli):
    from importlib.metadata import version

    result = cli("--version")
    assert (result.exit_code, result.stdout) == (0, f"quickcrm {version('quickcrm')}\n")
