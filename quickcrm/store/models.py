"""The foundation's tables: teams, users and their rights, relations, persons, events.

Every later area hangs off these: persons and projects off ``Relation``, contact moments
off ``Event`` (who, when, which relation). Times are stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary, Text, text
from sqlmodel import Field, SQLModel


def utc_column(*, index: bool = False, nullable: bool = True) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), index=index, nullable=nullable)


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class UserBase(SQLModel):
    email: str = Field(max_length=320, unique=True)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=150)
    initials: str = Field(default="", max_length=20)
    signature: str = Field(default="", sa_type=Text)
    function: str = Field(default="", max_length=100)  # "Relatiemanager MKB", under the name
    phone: str = Field(default="", max_length=40)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    active: bool = True


class User(UserBase, table=True):
    __tablename__ = "app_user"
    # privacy (issue 29): at most one user per operating-system account
    __table_args__ = (Index("ux_app_user_os_user", "os_user", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    # privacy (issue 29): the operating-system account this user runs commands as
    # (``user add|edit --os-user``); once any user has one, who acts follows the account
    os_user: str | None = Field(default=None, max_length=64)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class UserPhoto(SQLModel, table=True):
    """A user's photo (the relationship manager on the client's pages), kept in the
    database rather than as a file: every daemon and web server on a shared PostgreSQL
    sees it, backups carry it, and no path from a user ever reaches the file system.
    Apart from ``app_user`` so that reading a user never loads the image. Only an image
    QuickCRM re-encoded itself is stored (``quickcrm.crm.photos``)."""

    __tablename__ = "user_photo"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    content_type: str = Field(max_length=40)  # image/jpeg or image/png
    width: int
    height: int
    data: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime | None = Field(default=None, sa_column=utc_column())


class UserRight(SQLModel, table=True):
    """A firm-wide right of a user (``quickcrm.permissions.RIGHTS``).

    Per-project roles (marketeer, project leader) get a table of their own later.
    """

    __tablename__ = "user_right"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    right: str = Field(max_length=40, primary_key=True)


class Relation(SQLModel, table=True):
    """A client or other relation, identified by its relation number (text: "000123")."""

    __tablename__ = "relation"
    __table_args__ = (
        # the few relations that are not clients: the selection's step-1 totals count
        # every relation and subtract these (a query repeats ``stage <> 'customer'``,
        # bound or not, so both databases may use it); an index on every stage would
        # lure the many ``stage = 'customer'`` scans into a slower index search
        Index("ix_relation_not_client", "stage", "id",
              sqlite_where=text("stage <> 'customer'"),
              postgresql_where=text("stage <> 'customer'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=50, unique=True)
    company: str = Field(default="", max_length=300)
    address: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=120)
    industry: str | None = Field(default=None, max_length=4)
    size: str | None = Field(default=None, max_length=4)
    ownership: str | None = Field(default=None, max_length=4)
    client_group: str | None = Field(default=None, max_length=4)
    life_cycle: str | None = Field(default=None, max_length=4)
    entrepreneur_type: str | None = Field(default=None, max_length=4)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    rm_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    stage: str = Field(default="customer", max_length=20)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=utc_column())
    # when industry, ownership, size or client group (the profile rule's inputs) last
    # changed; indexed: compute_profile_faces compares the newest change with the
    # oldest face. A change of any other field leaves it, so it cannot unseat a face.
    segments_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    # attention (issue 28): where the relation is, for the map (no online geocoding)
    latitude: float | None = None
    longitude: float | None = None


class Person(SQLModel, table=True):
    """A person; ``campaign_contact`` marks the one who receives a relation's invitations."""

    __tablename__ = "person"
    __table_args__ = (
        Index(
            "ux_person_campaign_contact", "relation_id", unique=True,
            sqlite_where=text("campaign_contact = 1"),
            postgresql_where=text("campaign_contact"),
        ),
        # covering the selection's contact checks (step 1 reads these for every client)
        Index("ix_person_selection", "relation_id", "campaign_contact", "opted_out", "email"),
        # the duplicate check and "meer op dit adres" (issue 26): partial, so the many
        # persons without a birth date or address (every client import) cost no entry;
        # queries repeat the condition so both databases may use them
        Index("ix_person_date_of_birth", "date_of_birth",
              sqlite_where=text("date_of_birth IS NOT NULL"),
              postgresql_where=text("date_of_birth IS NOT NULL")),
        Index("ix_person_address_key", "address_key", sqlite_where=text("address_key <> ''"),
              postgresql_where=text("address_key <> ''")),
    )

    id: int | None = Field(default=None, primary_key=True)
    relation_id: int | None = Field(
        default=None, foreign_key="relation.id", index=True, ondelete="CASCADE"
    )
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=150)
    email: str = Field(default="", max_length=320, index=True)
    phone: str = Field(default="", max_length=40)
    opted_out: bool = False
    campaign_contact: bool = False
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=utc_column())
    # the person CRM (issue 26, seed 001): the card's personal data; party_type names
    # another party ("notaris", "geldverstrekker"), empty for leads and clients
    date_of_birth: date | None = Field(default=None)
    address: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=20)
    city: str = Field(default="", max_length=120)
    label: str = Field(default="", max_length=100)
    party_type: str = Field(default="", max_length=60)
    # "1234ab 12" (postcode + house number, normalised): "meer op dit adres" and the
    # duplicate check; filled with the search keys (quickcrm.crm.search_keys)
    address_key: str = Field(default="", max_length=40)


class Event(SQLModel, table=True):
    """Something that happened, appended by every area; the one place timelines and
    contact-moment counting read. ``details`` is a JSON text."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_relation_at", "relation_id", "at"),
        # attention (issue 28): contact moments per relation in a period, from the index
        Index("ix_event_attention", "at", "kind", "relation_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: ix_event_attention (issue 28) leads with ``at``
    at: datetime = Field(sa_column=utc_column(nullable=False))
    kind: str = Field(max_length=60, index=True)
    relation_id: int | None = Field(default=None, foreign_key="relation.id", ondelete="SET NULL")
    person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    details: str = Field(default="{}", sa_type=Text)
    # attention (issue 28): the contact's channel (telefoon, e-mail, ...) and an
    # order's or invoice's amount in euros, when known
    channel: str | None = Field(default=None, max_length=20)
    amount: float | None = None


class JobRun(SQLModel, table=True):
    """A claim on one period of a once-per-period daemon job (``Job(once_per="day")``):
    whoever inserts the row for (job, period) runs it; ``finished_at`` set: done for that
    period. A failed run deletes its row (retried next tick); a row whose worker stopped
    renewing it (``renewed_at``) is taken over (``quickcrm.store.claims``)."""

    __tablename__ = "job_run"

    job: str = Field(max_length=60, primary_key=True)
    period: str = Field(max_length=20, primary_key=True)  # "2026-11-23": a local day
    worker: str = Field(max_length=120)
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    renewed_at: datetime = Field(sa_column=utc_column(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column())


class InstallationSecret(SQLModel, table=True):
    """A secret of this installation, made by the migration that introduced it and never
    shown (privacy, issue 29): ``visitor_address`` keys the HMAC-SHA256 under which a
    landing visitor's IP address is kept, so the stored value cannot be reversed by
    hashing every address."""

    __tablename__ = "installation_secret"

    name: str = Field(max_length=40, primary_key=True)
    value: str = Field(max_length=128)
