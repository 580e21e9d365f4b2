"""The migration to one answer table, on real data in both databases: a store at the
revision before it holds invited clients' and landing visitors' answers; after the
upgrade every answer is in ``answer`` under its respondent, ``landing_answer`` is gone,
the table refuses a row without exactly one respondent, and a downgrade gives the
landing answers back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from quickcrm.store.db import make_engine
from quickcrm.store.migrate import MIGRATIONS, downgrade, upgrade

AT = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def _revisions() -> tuple[str, str]:
    """(the revision before the one-answer-table migration, that migration)."""
    script = ScriptDirectory(str(MIGRATIONS))
    rev = next(r for r in script.walk_revisions() if r.path.endswith("_one_answer_table.py"))
    assert isinstance(rev.down_revision, str)
    return rev.down_revision, rev.revision


def _insert(conn: sa.Connection, table: str, **given: Any) -> int | None:
    """Insert one row into the table as the database has it now; NOT NULL columns not
    given get an empty value of their type, so the rows survive columns added later."""
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = dict(given)
    for c in t.columns:
        if c.name in row or c.nullable or c.primary_key and c.name == "id":
            continue
        row[c.name] = (False if isinstance(c.type, sa.Boolean) else
                       0 if isinstance(c.type, sa.Integer) else
                       AT if isinstance(c.type, sa.DateTime) else "")
    result = conn.execute(t.insert().values(row))
    return result.inserted_primary_key[0] if "id" in t.columns else None


def _old_store(conn: sa.Connection) -> dict[str, int]:
    """Two invited clients and two landing visitors with answers (the old tables)."""
    ids: dict[str, int] = {}
    user = _insert(conn, "app_user", email="coord@kantoor.example")
    qs = _insert(conn, "quickscan", key="bedrijfsopvolging", title="Bedrijfsopvolging",
                 kind="personal", definition="{}")
    campaign = _insert(conn, "campaign", name="Najaar", quickscan_id=qs, coordinator_id=user)
    for n in (1, 2):
        rel = _insert(conn, "relation", number=f"00010{n}", stage="client")
        cc = _insert(conn, "campaign_client", campaign_id=campaign, relation_id=rel,
                     relation_number=f"00010{n}")
        ids[f"invitation{n}"] = _insert(conn, "invitation", campaign_id=campaign,
                                        campaign_client_id=cc, relation_id=rel,
                                        token=f"client-token-{n}-" + "x" * 30,
                                        preview_token=f"preview-token-{n}-" + "x" * 30)
    page = _insert(conn, "landing_page", slug="opvolging", quickscan_id=qs, secret="s")
    for n in (1, 2):
        ids[f"visitor{n}"] = _insert(conn, "landing_visitor", page_id=page,
                                     token=f"visitor-token-{n}-" + "x" * 30,
                                     confirm_token=f"confirm-token-{n}-" + "x" * 30)
    for inv, qid, value in (("invitation1", "leeftijd", "ke2"), ("invitation1", "toelichting",
                            "Mijn dochter neemt het over."), ("invitation2", "leeftijd", "ke1")):
        _insert(conn, "answer", invitation_id=ids[inv], question_id=qid, value=value,
                answered_at=AT)
    for vis, qid, value in (("visitor1", "leeftijd", "ke3"), ("visitor1", "voortgang", "35"),
                            ("visitor2", "leeftijd", "ke2")):
        _insert(conn, "landing_answer", visitor_id=ids[vis], question_id=qid, value=value,
                answered_at=AT)
    return ids


def _answers(conn: sa.Connection) -> set[tuple[Any, ...]]:
    rows = conn.execute(sa.text(
        "SELECT invitation_id, landing_visitor_id, question_id, value FROM answer"))
    return {tuple(r) for r in rows}


def test_landing_answers_move_into_the_one_answer_table_and_back(db_url: str) -> None:
    before, revision = _revisions()
    engine = make_engine(db_url, migrate=False)
    try:
        upgrade(engine, before)
        with engine.begin() as conn:
            ids = _old_store(conn)
        upgrade(engine, revision)
        with engine.connect() as conn:
            assert _answers(conn) == {
                (ids["invitation1"], None, "leeftijd", "ke2"),
                (ids["invitation1"], None, "toelichting", "Mijn dochter neemt het over."),
                (ids["invitation2"], None, "leeftijd", "ke1"),
                (None, ids["visitor1"], "leeftijd", "ke3"),
                (None, ids["visitor1"], "voortgang", "35"),
                (None, ids["visitor2"], "leeftijd", "ke2"),
            }
            assert not sa.inspect(conn).has_table("landing_answer")
            assert conn.execute(sa.text("SELECT count(DISTINCT id) FROM answer")).scalar() == 6
        for bad in ({"invitation_id": None, "landing_visitor_id": None},  # nobody's answer
                    {"invitation_id": ids["invitation1"], "landing_visitor_id": ids["visitor1"]},
                    {"invitation_id": ids["invitation1"], "landing_visitor_id": None}):  # twice
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                _insert(conn, "answer", question_id="leeftijd", value="ke1", **bad)
        with engine.begin() as conn:  # a new landing answer gets its own id
            _insert(conn, "answer", landing_visitor_id=ids["visitor2"], question_id="voortgang",
                    value="60")

        downgrade(engine, before)
        with engine.connect() as conn:
            landing = conn.execute(sa.text(
                "SELECT visitor_id, question_id, value FROM landing_answer")).all()
            assert set(landing) == {(ids["visitor1"], "leeftijd", "ke3"),
                                    (ids["visitor1"], "voortgang", "35"),
                                    (ids["visitor2"], "leeftijd", "ke2"),
                                    (ids["visitor2"], "voortgang", "60")}
            invited = conn.execute(sa.text("SELECT count(*) FROM answer")).scalar()
            assert invited == 3
    finally:
        engine.dispose()
