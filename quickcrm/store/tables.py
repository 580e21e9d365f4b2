"""The foundation tables the light read path reads, as SQLAlchemy Core table clauses.

A small read command (``clients count``, who is acting) runs on SQLAlchemy Core alone:
importing SQLModel, Pydantic models and the ORM with ``store/models.py`` costs such a
command more than the rest of its start-up together (issue 30 item 11, see
docs/architecture.md). These clauses name only the columns those reads use; the tables
themselves are defined (and migrated) by ``store/models.py``, and
``tests/test_ops_startup.py`` checks every column named here against them. Booleans are
typed, so SQLite's 0/1 come back as ``bool`` as they do through the models.
"""

from __future__ import annotations

from sqlalchemy import Boolean, column, table

team = table("team", column("id"), column("name"))

app_user = table(
    "app_user", column("id"), column("email"), column("first_name"), column("last_name"),
    column("active", Boolean), column("os_user"),
)

user_right = table("user_right", column("user_id"), column("right"))

relation = table(
    "relation", column("id"), column("number"), column("company"), column("address"),
    column("postcode"), column("city"), column("industry"), column("size"),
    column("ownership"), column("client_group"), column("life_cycle"),
    column("entrepreneur_type"), column("team_id"), column("rm_id"), column("stage"),
    column("latitude"), column("longitude"),
)

person = table(
    "person", column("id"), column("relation_id"), column("first_name"), column("last_name"),
    column("email"), column("phone"), column("opted_out", Boolean),
    column("campaign_contact", Boolean),
)
