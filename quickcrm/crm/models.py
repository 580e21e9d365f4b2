"""The person CRM's tables (issue 26, seed 001): search keys, properties, indicators,
notes, signals, links between persons and to relations, risk classifications,
identifications, stored files, card e-mails, saved queries and dossiers.

Everything hangs off ``person`` (``quickcrm.store.models.Person``); a row about one
person goes with it (ON DELETE CASCADE), except a dossier, which stays without the
applicant (seed: "in dit dossier is de aanvrager dan verwijderd"). Times are UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column

# Byte order on PostgreSQL too, whatever the database's collation: a prefix search is
# the range [key, key + 1) and must mean the same on both databases.
KEY_TYPE = String(120).with_variant(postgresql.VARCHAR(120, collation="C"), "postgresql")


class PersonKey(SQLModel, table=True):
    """A normalised search key of a person (``quickcrm.crm.search_keys``): each name word,
    the whole last name and the e-mail address, lower case without accents. A search
    is a range scan on the primary key."""

    __tablename__ = "person_key"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key: str = Field(sa_column=Column(KEY_TYPE, primary_key=True))
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True,
                           ondelete="CASCADE")


class PropertyDef(SQLModel, table=True):
    """A person property the admin made (seed: "Overige eigenschappen")."""

    __tablename__ = "property_def"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    type: str = Field(max_length=10)  # text, number, date, choice
    choices: str = Field(default="[]", sa_type=Text)  # JSON list, for choice
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class PropertyValue(SQLModel, table=True):
    """A person's value of a property, as typed text plus the number or date it is (the
    query manager compares those)."""

    __tablename__ = "property_value"
    __table_args__ = (Index("ix_property_value_num", "property_id", "number"),
                      Index("ix_property_value_text", "property_id", "value"))

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    property_id: int = Field(foreign_key="property_def.id", primary_key=True,
                             ondelete="CASCADE")
    value: str = Field(default="", max_length=500)
    number: float | None = None
    day: date | None = None


class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    show_in_dossier: bool = False


class PersonIndicator(SQLModel, table=True):
    __tablename__ = "person_indicator"
    __table_args__ = (Index("ix_person_indicator_indicator", "indicator_id", "person_id"),)

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True, ondelete="CASCADE")


class Note(SQLModel, table=True):
    __tablename__ = "note"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    text: str = Field(default="", sa_type=Text)
    priority: bool = False
    show_in_dossier: bool = False
    pinned: bool = False
    author_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=utc_column())


class Signal(SQLModel, table=True):
    """A follow-up for a user (the work queue, "werkvoorraad CRM"): due on a day, from a
    time when one is given (``due_at``: that moment in UTC; the day's start without)."""

    __tablename__ = "signal"
    __table_args__ = (Index("ix_signal_open", "user_id", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    due_date: date
    due_time: str = Field(default="", max_length=5)  # "HH:MM" or ""
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    ref: str = Field(default="", max_length=120)  # what made it: "risk:12", "identification:3"
    created_by: int | None = Field(default=None, foreign_key="app_user.id",
                                   ondelete="SET NULL")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    done_at: datetime | None = Field(default=None, sa_column=utc_column())
    done_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")


class PersonPair(SQLModel, table=True):
    """Two persons put in relation to each other (seed "Relaties": ouder/kind,
    collega/collega); one row per direction, so each card reads its own."""

    __tablename__ = "person_pair"

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    other_id: int = Field(foreign_key="person.id", primary_key=True, index=True,
                          ondelete="CASCADE")
    type: str = Field(max_length=60)


class PersonLink(SQLModel, table=True):
    """A person's role at a relation besides their primary one (``person.relation_id``):
    a DGA in a holding, a werkmaatschappij and a private file."""

    __tablename__ = "person_link"

    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE")
    relation_id: int = Field(foreign_key="relation.id", primary_key=True, index=True,
                             ondelete="CASCADE")
    role: str = Field(max_length=60)


class RiskClassification(SQLModel, table=True):
    """Append-only: the newest row is the person's class, the others its history."""

    __tablename__ = "risk_classification"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    risk_class: str = Field(max_length=20)  # laag, hoog, onacceptabel
    motivation: str = Field(default="", sa_type=Text)
    source: str = Field(default="handmatig", max_length=20)  # handmatig, brondata
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column(nullable=False))


class Identification(SQLModel, table=True):
    __tablename__ = "identification"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    method: str = Field(max_length=60)
    document: str = Field(max_length=60)
    number: str = Field(max_length=60)
    expires: date
    by_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column(nullable=False))


class StoredFile(SQLModel, table=True):
    """A file on a person's card or in a dossier; the bytes live once, under their
    SHA-256 in ``files.path`` (``quickcrm.crm.filestore``), so copying to a dossier (the
    seed's klembord) adds a row, not bytes."""

    __tablename__ = "stored_file"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True,
                                  ondelete="CASCADE")
    dossier_id: int | None = Field(default=None, foreign_key="dossier.id", index=True,
                                   ondelete="CASCADE")
    name: str = Field(max_length=255)  # the base name only, as shown
    sha256: str = Field(max_length=64, index=True)
    size: int
    added_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column(nullable=False))


class PersonEmail(SQLModel, table=True):
    """An e-mail on a person's card: sent from it (``direction`` out, the outbox row's
    Message-ID) or filed from a .eml (in); one per Message-ID per person."""

    __tablename__ = "person_email"
    __table_args__ = (UniqueConstraint("person_id", "message_id", name="uq_person_email"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    direction: str = Field(max_length=3)  # in, out
    message_id: str = Field(max_length=300)
    subject: str = Field(default="", max_length=500)
    sender: str = Field(default="", max_length=320)
    recipient: str = Field(default="", max_length=320)
    body: str = Field(default="", sa_type=Text)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column(nullable=False))


class SavedQuery(SQLModel, table=True):
    """A query manager search saved by one user, for that user only."""

    __tablename__ = "saved_query"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_query"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    conditions: str = Field(default="[]", sa_type=Text)  # JSON list of "FIELD OP VALUE"
    include_old: bool = False
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class Dossier(SQLModel, table=True):
    __tablename__ = "dossier"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=50, unique=True)
    created_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_by: int | None = Field(default=None, foreign_key="app_user.id",
                                   ondelete="SET NULL")


class DossierApplicant(SQLModel, table=True):
    """A person on a dossier: a reference, so an edit shows on the card and the dossier."""

    __tablename__ = "dossier_applicant"

    dossier_id: int = Field(foreign_key="dossier.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True,
                           ondelete="CASCADE")
    position: int = 1


class DossierProduct(SQLModel, table=True):
    __tablename__ = "dossier_product"
    __table_args__ = (Index("ix_dossier_product_type", "type", "dossier_id"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id", index=True, ondelete="CASCADE")
    type: str = Field(max_length=60)  # hypotheek, woonlastenverzekering, afspraak...
    status: str = Field(default="", max_length=60)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
