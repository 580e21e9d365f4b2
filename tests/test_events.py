"""The event catalogue: every kind QuickCRM records is named in ``quickcrm.events``,
written through ``record``/``record_many``, and documented in docs/events.md."""

from __future__ import annotations

import ast
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from quickcrm import events

PACKAGE = Path(events.__file__).parent
DOCS = PACKAGE.parent / "docs" / "events.md"


def events_of(rt: Any, kind: str) -> list[dict[str, Any]]:
    """The events of ``kind`` in order, each as its columns with ``details`` decoded."""
    from sqlmodel import select

    from quickcrm.store.models import Event

    with rt.session(read_only=True) as s:
        rows = s.exec(select(Event).where(Event.kind == kind).order_by(Event.id)).all()
        return [{"relation_id": e.relation_id, "person_id": e.person_id,
                 "user_id": e.user_id, "at": e.at, "details": json.loads(e.details)}
                for e in rows]


# --- the checker: code names kinds by the catalogue's constants -----------------------



class _Checker(ast.NodeVisitor):
    """Problems in one module: a kind spelled as a string, a kind position holding
    anything but a catalogue constant (or a variable carrying one), or a write to the
    event table that bypasses ``quickcrm.events``."""

    def __init__(self, name: str) -> None:
        self.name, self.problems = name, []
        self.constants: set[str] = set()  # names imported from quickcrm.events
        self.modules: set[str] = set()  # names bound to the quickcrm.events module
        self.models: set[str] = set()  # names bound to quickcrm.store.models.Event

    def report(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"{self.name}:{getattr(node, 'lineno', 0)}: {message}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module == "quickcrm.events":
                self.constants.add(alias.asname or alias.name)
                if alias.name not in vars(events):
                    self.report(node, f"quickcrm.events has no {alias.name}")
            elif node.module == "quickcrm" and alias.name == "events":
                self.modules.add(alias.asname or "events")
            elif node.module == "quickcrm.store.models" and alias.name == "Event":
                self.models.add(alias.asname or "Event")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "quickcrm.events" and alias.asname:
                self.modules.add(alias.asname)

    def is_catalogued(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id in self.constants:
            value = getattr(events, node.id, None)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id in self.modules):
            value = getattr(events, node.attr, None)
        else:
            return False
        return value in events.KINDS

    def check_kind(self, node: ast.expr) -> None:
        if isinstance(node, ast.IfExp):
            self.check_kind(node.body)
            self.check_kind(node.orelse)
        elif isinstance(node, ast.Name) and node.id not in self.constants:
            return  # a variable or parameter; what it carries is checked where it is set
        elif not self.is_catalogued(node):
            self.report(node, f"event kind {ast.unparse(node)} is not a constant of the "
                              "catalogue (quickcrm.events.KINDS)")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if isinstance(func, ast.Name) and func.id in self.models:
            self.report(node, "Event(...) built by hand: use quickcrm.events.record")
        if name in ("record", "Entry"):
            kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
            if kind is None and name == "Entry" and node.args:
                kind = node.args[0]
            if kind is not None:
                self.check_kind(kind)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "__table__" and isinstance(node.value, ast.Name) \
                and node.value.id in self.models:
            self.report(node, "Event.__table__ written by hand: use quickcrm.events.record_many")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value in events.KINDS:
                self.report(node, f"event kind {node.value!r} spelled as a string; use its "
                                  "constant from quickcrm.events")
            elif re.search(r"\binsert\s+into\s+event\b", node.value, re.IGNORECASE):
                self.report(node, "SQL inserting into the event table: use record_many")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        head = node.values[0] if node.values else None
        areas = {kind.partition(".")[0] + "." for kind in events.KINDS}
        if isinstance(head, ast.Constant) and str(head.value).startswith(tuple(areas)):
            self.report(node, "an event kind built with an f-string; use a constant")
        self.generic_visit(node)


def problems_in(source: str, name: str = "<test>") -> list[str]:
    checker = _Checker(name)
    checker.visit(ast.parse(source))
    return checker.problems


def test_every_module_names_event_kinds_by_catalogue_constants():
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "events.py" and path.parent == PACKAGE:
            continue
        found += problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    assert found == []


@pytest.mark.parametrize("source,expected", [
    ('record(s, kind="campaign.invitation_sent", at=now)', "spelled as a string"),
    ('from quickcrm.events import record\nrecord(s, kind="campaign.sent_twice", at=now)',
     "not a constant of the catalogue"),
    ('from quickcrm import events\nevents.record(s, kind=events.NO_SUCH_KIND, at=now)',
     "not a constant of the catalogue"),
    ('from quickcrm import events\nevents.Entry(f"campaign.{k}_sent")', "f-string"),
    ('from quickcrm.events import Entry\nEntry("user." + verb)', "not a constant"),
    ('from quickcrm.store.models import Event\ns.execute(insert(Event.__table__), rows)',
     "Event.__table__"),
    ('from quickcrm.store.models import Event as E\ns.add(E(kind=k, at=now))', "Event(...)"),
    ('c.exec_driver_sql("INSERT INTO event (kind) VALUES (?)", k)', "inserting into the event"),
    ('from quickcrm.events import USER_CREATED, USER_RIGHTS_GRANTED, record\n'
     'record(s, kind=USER_RIGHTS_GRANTED if g else "user.rights_gone", at=now)',
     "not a constant"),
])
def test_the_checker_catches_each_way_around_the_catalogue(source, expected):
    found = problems_in(source)
    assert any(expected in problem for problem in found), found


def test_the_checker_accepts_constants_conditionals_and_variables():
    source = ('from quickcrm import events\nfrom quickcrm.events import USER_CREATED, record\n'
              'record(s, kind=USER_CREATED, at=now)\n'
              'events.record(s, kind=events.FACES_SET if a else events.FACES_COMPUTED, at=now)\n'
              'events.Entry(kind, relation_id=1)\nstop = threading.Event()\n')
    assert problems_in(source) == []


def test_catalogue_kinds_fit_the_column_and_meanings_are_one_line():
    from quickcrm.store.models import Event

    width = Event.__table__.c.kind.type.length
    constants = {v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(events.KINDS)  # every constant is catalogued and vice versa
    for kind, meaning in events.KINDS.items():
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", kind) and len(kind) <= width, kind
        assert meaning and "\n" not in meaning and "|" not in meaning, kind


def test_docs_list_every_kind_with_its_meaning():
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 4 and re.fullmatch(r"`[a-z0-9_.]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1]
    assert rows == events.KINDS


def test_docs_are_linked_from_the_readme_and_the_architecture_page():
    root = PACKAGE.parent
    assert "(docs/events.md)" in (root / "README.md").read_text(encoding="utf-8")
    architecture = root / "docs" / "architecture.md"
    if architecture.exists():
        assert "](events.md)" in architecture.read_text(encoding="utf-8")


# --- the writer ------------------------------------------------------------------------

def test_record_and_record_many_write_in_the_callers_transaction(rt):
    from sqlalchemy import func, select

    from quickcrm.clock import as_utc
    from quickcrm.store.models import Event, Relation

    now, actor = rt.clock.now(), rt.actor
    when = now - timedelta(days=1)

    def write(s: Any) -> int:
        relation = Relation(number="000001", created_at=now, updated_at=now)
        s.add(relation)
        s.flush()
        events.record(s, kind=events.FACES_SET, at=now, relation_id=relation.id,
                      user_id=actor.id, note="Één café", when=when)
        shared = {"source": "import", "file": "klanten.csv"}
        assert events.record_many(s, [
            events.Entry(events.RELATION_CREATED, relation_id=relation.id, user_id=actor.id,
                         details=shared),
            events.Entry(events.RELATION_UPDATED, relation_id=relation.id, person_id=None,
                         user_id=actor.id,
                         details={**shared, "changes": {"city": ["Zwolle", "Zeist"]}}),
        ], at=now) == 2
        assert relation.id is not None
        return relation.id

    with rt.session() as s:
        before = s.scalar(select(func.count()).select_from(Event))
        write(s)
        s.rollback()  # the caller's transaction decides: nothing is kept
        assert s.scalar(select(func.count()).select_from(Event)) == before
    with rt.session() as s:
        rid = write(s)
        s.commit()
    (faces,) = events_of(rt, events.FACES_SET)
    assert (faces["relation_id"], faces["user_id"]) == (rid, actor.id)
    assert as_utc(faces["at"]) == now
    assert faces["details"] == {"note": "Één café", "when": str(when)}
    (created,) = events_of(rt, events.RELATION_CREATED)
    (updated,) = events_of(rt, events.RELATION_UPDATED)
    assert created["details"] == {"source": "import", "file": "klanten.csv"}
    assert updated["details"]["changes"] == {"city": ["Zwolle", "Zeist"]}
    assert (created["relation_id"], updated["relation_id"]) == (rid, rid)
    with rt.session(read_only=True) as s:
        raw = s.scalar(select(Event.details).where(Event.kind == events.FACES_SET))
    assert "Één" in raw  # not \u-escaped: one encoding for both writers


@pytest.mark.parametrize("count", [events.ROWS_PER_INSERT, 2 * events.ROWS_PER_INSERT + 201])
def test_record_many_writes_every_entry_in_order_across_its_statements(rt, count):
    now = rt.clock.now()
    with rt.session() as s:
        assert events.record_many(s, (events.Entry(events.RELATION_CREATED, details={"n": n})
                                      for n in range(count)), at=now) == count
        s.commit()
    written = events_of(rt, events.RELATION_CREATED)
    assert [e["details"]["n"] for e in written] == list(range(count))


@pytest.mark.parametrize("count", [2, 2 * events.ROWS_PER_INSERT + 201])
def test_events_alike_but_for_their_relation_are_written_for_each_relation(rt, count):
    from sqlalchemy import insert, select

    from quickcrm.store.models import Relation

    now, admin = rt.clock.now(), rt.actor.id
    with rt.session() as s:
        s.execute(insert(Relation), [{"number": f"{n:06d}"} for n in range(count)])
        ids = list(s.scalars(select(Relation.id).order_by(Relation.id)))
        shared = {"source": "import", "file": "klanten.csv"}
        events.record_many(s, [events.Entry(events.RELATION_CREATED, rid, None, admin, shared)
                               for rid in ids], at=now)
        s.commit()
    written = events_of(rt, events.RELATION_CREATED)
    assert [e["relation_id"] for e in written] == ids
    assert {(e["person_id"], e["user_id"], json.dumps(e["details"])) for e in written} == {
        (None, admin, json.dumps(shared))}


def test_a_kind_outside_the_catalogue_is_refused_and_nothing_is_written(rt):
    from sqlalchemy import func, select

    from quickcrm.store.models import Event

    now = rt.clock.now()
    with rt.session() as s:
        before = s.scalar(select(func.count()).select_from(Event))
        with pytest.raises(ValueError, match="campaign.sent_twice"):
            events.record_many(s, [events.Entry(events.RELATION_CREATED),
                                   events.Entry("campaign.sent_twice")], at=now)
        with pytest.raises(ValueError, match="not in quickcrm.events.KINDS"):
            events.record(s, kind="campaign.sent_twice", at=now)
        assert s.scalar(select(func.count()).select_from(Event)) == before
