"""The authorization matrix as pure rules: which step a project role may take after the
last one (seed 002, "procedure-autorisatie"), and the matrix file.

A transition is ``(role, after, next)`` with step type names; ``after`` None is the
start (the contact has had no step yet). ``TakeStep`` is the scope that
``permissions.require(actor, "take step", scope=...)`` checks: it carries the acting
user's role in the project, the contact's last step, the next step and the
procedure's transitions, so the check reads nothing.

The matrix file (TOML) names, per role, the steps that may follow each step::

    [matrix.marketeer]
    start = ["bellen"]
    bellen = ["terugbellen", "informatie opsturen", "afspraak inplannen"]

It may also declare what it needs (``roles = [...]``, ``[[steptype]]`` tables and a
``[procedure]`` with its ``steps``), as ``sample_data/procedure_standaard.toml`` does.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from quickcrm.errors import FileProblems, Problem
from quickcrm.permissions import Actor

START = "start"
Transition = tuple[str, str | None, str]  # role, after (None: start), next


def allowed_next(transitions: Iterable[Transition], role: str | None,
                 last: str | None) -> list[str]:
    """The steps ``role`` may take after ``last`` (None: at the start), as listed."""
    if role is None:
        return []
    return [n for r, a, n in transitions if r == role and a == last]


@dataclass(frozen=True)
class TakeStep:
    """May the actor take ``next_step`` after ``last_step`` in this project? Only as a
    member (``role``, None for a non-member) whose role's matrix has that tick."""

    project: str
    role: str | None
    last_step: str | None
    next_step: str
    transitions: frozenset[Transition] = field(default_factory=frozenset)

    @property
    def what(self) -> str:
        return (f"taking step {self.next_step!r} after {self.last_step or START!r} in "
                f"project {self.project!r}")

    @property
    def needs(self) -> str:
        if self.role is None:
            return "membership of the project"
        may = sorted(allowed_next(self.transitions, self.role, self.last_step))
        return (f"a project role whose matrix allows it (role {self.role!r} may take: "
                f"{', '.join(may) or 'no step'} here)")

    def permits(self, actor: Actor) -> bool:
        return (self.role is not None
                and (self.role, self.last_step, self.next_step) in self.transitions)


def ticks(steps: list[str], transitions: Iterable[Transition],
          role: str) -> list[list[str]]:
    """The matrix of one role as the seed's figures show it: a row per "after" (start
    first, then every step), a column per next step, "✓" where allowed."""
    allowed = {(a, n) for r, a, n in transitions if r == role}
    rows = []
    for after in [None, *steps]:
        rows.append([after or START, *("✓" if (after, n) in allowed else "·" for n in steps)])
    return rows


@dataclass
class MatrixFile:
    """A matrix file, read and checked against the steps and roles it may use."""

    roles: list[str]  # roles the file declares (created when missing)
    steptypes: list[dict[str, Any]]  # step types it declares
    procedure: dict[str, Any] | None  # {"name", "description", "steps"} when declared
    matrices: dict[str, set[tuple[str | None, str]]]  # role -> {(after, next)}


_TOML_LINE = re.compile(r"at line (\d+)")


def _line_of(lines: list[str], section: str, key: str | None = None) -> int | None:
    """Where ``[section]`` (and ``key`` inside it) is written: for file:line messages
    (tomllib keeps no positions)."""
    head = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(
        f'(?:"{re.escape(p)}"|{re.escape(p)})' for p in section.split(".", 1)) + r"\s*\]")
    for i, line in enumerate(lines):
        if head.match(line):
            if key is None:
                return i + 1
            keyre = re.compile(rf'^\s*(?:"{re.escape(key)}"|{re.escape(key)})\s*=')
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if keyre.match(lines[j]):
                    return j + 1
            return i + 1
    return None


def read_matrix_file(text: str, *, file: str, known_steps: Iterable[str],
                     known_roles: Iterable[str]) -> MatrixFile:
    """Parse and check a matrix file; every problem is reported (file:line) and nothing
    is returned when there is one. ``known_steps``: the procedure's steps in the
    database (the file's own ``[procedure] steps`` replace them when it declares one)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        raise FileProblems([Problem(file, int(m.group(1)) if m else None, None,
                                    f"not a valid TOML file: {exc}")]) from None
    lines = text.splitlines()
    problems: list[Problem] = []
    roles = [str(r) for r in data.get("roles", [])]
    steptypes = [dict(t) for t in data.get("steptype", [])]
    procedure = data.get("procedure")
    steps = list(known_steps)
    if procedure is not None:
        steps = [str(s) for s in procedure.get("steps", [])]
        declared = {str(t.get("name", "")) for t in steptypes}
        for step in steps:
            if step not in declared and step not in known_steps:
                problems.append(Problem(file, _line_of(lines, "procedure", "steps"), None,
                                        f"unknown step {step!r} in the procedure's steps"))
    matrices: dict[str, set[tuple[str | None, str]]] = {}
    all_roles = set(known_roles) | set(roles)
    raw = data.get("matrix", {})
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(file, None, None, "no [matrix.ROLE] table in the file"))
        raw = {}
    for role, table in raw.items():
        section = f"matrix.{role}"
        if role not in all_roles:
            problems.append(Problem(file, _line_of(lines, section), None,
                                    f"unknown role {role!r} (known roles: "
                                    f"{', '.join(sorted(all_roles)) or 'none'})"))
            continue
        ticks_: set[tuple[str | None, str]] = set()
        for after, nexts in table.items():
            line = _line_of(lines, section, after)
            if after != START and after not in steps:
                problems.append(Problem(file, line, None, f"unknown step {after!r} (steps of "
                                        f"the procedure: {', '.join(steps)})"))
                continue
            if not isinstance(nexts, list):
                problems.append(Problem(file, line, None,
                                        f"{after!r}: expected a list of steps"))
                continue
            for nxt in nexts:
                if nxt not in steps:
                    problems.append(Problem(file, line, None, f"unknown step {nxt!r} (steps "
                                            f"of the procedure: {', '.join(steps)})"))
                    continue
                ticks_.add((None if after == START else after, str(nxt)))
        matrices[role] = ticks_
    if problems:
        raise FileProblems(problems)
    return MatrixFile(roles=roles, steptypes=steptypes, procedure=procedure, matrices=matrices)


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace(
        "\\", "\\\\").replace('"', '\\"') + '"'


def write_matrix_file(steps: list[str], transitions: Iterable[Transition],
                      roles: Iterable[str]) -> str:
    """The matrices of ``roles`` as a matrix file (what ``--save`` writes; ``--load``
    reads it back)."""
    out = ["# authorization matrix: per role, the steps that may follow each step",
           "# (start: a contact that has had no step yet)"]
    by_role: dict[str, dict[str | None, list[str]]] = {}
    for r, a, n in transitions:
        by_role.setdefault(r, {}).setdefault(a, []).append(n)
    order = {s: i for i, s in enumerate(steps)}
    for role in roles:
        out.append("")
        out.append(f"[matrix.{_key(role)}]")
        rows = by_role.get(role, {})
        for after in [None, *steps]:
            nexts = sorted(rows.get(after, []), key=lambda s: order.get(s, 0))
            if nexts:
                names = ", ".join('"' + n.replace('"', '\\"') + '"' for n in nexts)
                out.append(f"{_key(after or START)} = [{names}]")
    return "\n".join(out) + "\n"
