"""The procedures area's tables (seed 002).

A *procedure* is an ordered list of *step types* (bellen, informatie opsturen, afspraak
inplannen); its *transitions* say, per *project role*, which step may follow which (the
authorization matrix; ``after_step_type_id`` NULL is the start). A *project* works its
*contacts* (a person of a suspect relation) through one procedure; its *members* are
users, each with one role in that project. Project roles are not firm-wide rights
(``user_right`` is untouched). Times are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, text
from sqlmodel import Field, SQLModel

from quickcrm.store.models import utc_column

KINDS = ("plain", "email", "appointment")
PREPARING, RUNNING, CLOSED = "preparing", "running", "closed"
STATUSES = (PREPARING, RUNNING, CLOSED)
PLANNED, CANCELLED = "planned", "cancelled"


class ProjectRole(SQLModel, table=True):
    __tablename__ = "project_role"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)


class StepType(SQLModel, table=True):
    """A kind of step: plain (a call, a visit), an e-mail (its templates) or an
    appointment (its default duration)."""

    __tablename__ = "step_type"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    kind: str = Field(default="plain", max_length=12)
    channel: str | None = Field(default=None, max_length=40)
    subject: str = Field(default="", sa_type=Text)
    body: str = Field(default="", sa_type=Text)
    minutes: int = 60


class Procedure(SQLModel, table=True):
    __tablename__ = "procedure"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    description: str = Field(default="", sa_type=Text)


class ProcedureStep(SQLModel, table=True):
    """One step type of a procedure, at its place (1, 2, ...)."""

    __tablename__ = "procedure_step"

    procedure_id: int = Field(foreign_key="procedure.id", primary_key=True, ondelete="CASCADE")
    step_type_id: int = Field(foreign_key="step_type.id", primary_key=True)
    position: int


class ProcedureTransition(SQLModel, table=True):
    """A tick of the matrix: in ``procedure``, ``role`` may take ``next`` after
    ``after`` (NULL: at the start, before any step). Unique, the start included: a
    NULL is never equal in a unique constraint, so the start has a partial index."""

    __tablename__ = "procedure_transition"
    __table_args__ = (
        Index("ux_transition_after", "procedure_id", "role_id", "after_step_type_id",
              "next_step_type_id", unique=True,
              sqlite_where=text("after_step_type_id IS NOT NULL"),
              postgresql_where=text("after_step_type_id IS NOT NULL")),
        Index("ux_transition_start", "procedure_id", "role_id", "next_step_type_id",
              unique=True, sqlite_where=text("after_step_type_id IS NULL"),
              postgresql_where=text("after_step_type_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", ondelete="CASCADE")
    role_id: int = Field(foreign_key="project_role.id", ondelete="CASCADE")
    after_step_type_id: int | None = Field(default=None, foreign_key="step_type.id")
    next_step_type_id: int = Field(foreign_key="step_type.id")


class CloseReason(SQLModel, table=True):
    """A sub-status of closed ("niet geïnteresseerd", "heeft al een accountant")."""

    __tablename__ = "close_reason"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True)
    principal_relation_id: int | None = Field(default=None, foreign_key="relation.id",
                                              ondelete="SET NULL")
    created_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class ProjectMember(SQLModel, table=True):
    """A user's one role in a project."""

    __tablename__ = "project_member"

    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True,
                         ondelete="CASCADE")
    role_id: int = Field(foreign_key="project_role.id")


class ProjectContact(SQLModel, table=True):
    """A contact person of a suspect (or prospect) in a project, with its prospect
    status and, kept here for the lists, its last step."""

    __tablename__ = "project_contact"
    __table_args__ = (
        Index("ux_project_contact", "project_id", "person_id", unique=True),
        Index("ix_project_contact_status", "project_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    relation_id: int = Field(foreign_key="relation.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    status: str = Field(default=PREPARING, max_length=12)
    close_reason_id: int | None = Field(default=None, foreign_key="close_reason.id")
    last_step_type_id: int | None = Field(default=None, foreign_key="step_type.id")
    last_step_by: int | None = Field(default=None, foreign_key="app_user.id",
                                     ondelete="SET NULL")
    last_step_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class StepTaken(SQLModel, table=True):
    __tablename__ = "step_taken"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="project_contact.id", index=True, ondelete="CASCADE")
    step_type_id: int = Field(foreign_key="step_type.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=utc_column(nullable=False))
    note: str = Field(default="", sa_type=Text)


class Appointment(SQLModel, table=True):
    """An appointment of a user with a contact person; ``uid`` and ``sequence`` are its
    iCalendar identity (an update or a cancellation reuses the UID, one higher)."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_user_start", "user_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=120, unique=True)
    sequence: int = 0
    user_id: int = Field(foreign_key="app_user.id")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="project_contact.id",
                                   index=True, ondelete="SET NULL")
    step_id: int | None = Field(default=None, foreign_key="step_taken.id", ondelete="SET NULL")
    title: str = Field(default="", max_length=300)
    start: datetime = Field(sa_column=utc_column(nullable=False))
    minutes: int = 60
    place: str = Field(default="", max_length=300)
    status: str = Field(default=PLANNED, max_length=12)
    cancel_reason: str = Field(default="", sa_type=Text)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=utc_column())
