"""A QuickScan definition as typed values, and the one parser that validates it.

Pure: no files, no database. ``parse_definition(data, source)`` takes the TOML document
as a dict (or the JSON the store keeps, which has the same shape) and either returns a
``Definition`` or raises ``FileProblems`` naming the file, the place
(``sections[2].questions[3].max``) and what is wrong, so a firm that edits its own
definitions learns exactly where it went wrong. The format is described in
docs/quickscans.md.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from quickcrm import codes
from quickcrm.errors import FileProblems

KINDS = ("personal", "update")
QUESTION_TYPES = ("slider", "choice", "text", "rating")
SLIDER_RANGES = ((-100, 100), (0, 100), (0, 5))  # seed 000, "Toelichting vragen en antwoorden"
RATING_MINS, RATING_MAXES = (0, 1), (5, 10)
MAIL_KINDS = ("invitation", "reminder1", "reminder2", "no_response", "report")
MAIL_VARIABLES = frozenset({"client", "rm", "firm", "quickscan", "campaign", "link", "deadline"})
RULE_CRITERIA: dict[str, codes.CodeTable] = {
    "industry": codes.INDUSTRY, "ownership": codes.OWNERSHIP, "size": codes.SIZE,
    "client_group": codes.CLIENT_GROUP,
}
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")

QuestionType = Literal["slider", "choice", "text", "rating"]


@dataclass(frozen=True)
class Question:
    """One question; which of the optional fields apply depends on ``type``."""

    id: str
    type: QuestionType
    text: str
    explanation: str = ""  # for staff: the explanation document, the RM's preview
    client_text: str = ""  # for the client: shown under the question on their pages
    min: float | None = None  # slider, rating
    max: float | None = None  # slider, rating
    step: float | None = None  # slider
    left: str = ""  # slider: label at the minimum
    right: str = ""  # slider: label at the maximum
    labels: tuple[str, ...] = ()  # slider: labels between left and right, evenly spaced
    options: tuple[str, ...] = ()  # choice: stored as 'ke1', 'ke2', ...
    max_length: int | None = None  # text

    def choice_values(self) -> list[tuple[str, str]]:
        return [(f"ke{i}", text) for i, text in enumerate(self.options, start=1)]


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]
    introduction: str = ""


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True)
class ProfileRule:
    """Matches when every named criterion holds (an empty tuple matches anything)."""

    face: str
    industry: tuple[str, ...] = ()
    ownership: tuple[str, ...] = ()
    size: tuple[str, ...] = ()
    client_group: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """First matching rule wins; ``default`` when none matches."""

    default: str
    rules: tuple[ProfileRule, ...] = ()


@dataclass(frozen=True)
class Score:
    """Points of one update question: per choice ('ke1' -> 2) or value x weight."""

    question: str
    points: dict[str, float] = field(default_factory=dict)
    weight: float = 0.0


@dataclass(frozen=True)
class UpdateRule:
    positive_from: float
    negative_below: float
    scores: tuple[Score, ...]


@dataclass(frozen=True)
class Condition:
    """One answer condition of an attention point: ``answer`` (choice: the stored codes
    'ke1'..), ``at_least``/``at_most`` (slider, rating: inclusive bounds) or ``answered``
    (any question: given or not). An unanswered question meets only ``answered = false``."""

    question: str
    answer: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None
    answered: bool | None = None


@dataclass(frozen=True)
class AttentionRule:
    """An attention point of the report: shown when every condition holds."""

    text: str
    when: tuple[Condition, ...]
    title: str = ""


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    kind: str
    introduction: str
    sections: tuple[Section, ...]
    mails: dict[str, Mail]
    profile: Profile
    update: str | None = None  # personal: the key of its update QuickScan
    update_rule: UpdateRule | None = None
    landing_introduction: str = ""  # a landing page's default intro, for prospects
    attention: tuple[AttentionRule, ...] = ()  # issue 25: the report's attention points
    next_step: str = ""  # issue 25: the report's closing text (empty: the default)

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions() if q.id == qid), None)

    def to_data(self) -> dict[str, Any]:
        """The plain dict stored as JSON; ``parse_definition`` reads it back."""
        return _drop_empty(asdict(self))


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, "", (), [])}
    if isinstance(value, list | tuple):
        return [_drop_empty(v) for v in value]
    return value


class _Check:
    """Collects problems as ``file: place: message`` while walking the document."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def bad(self, place: str, message: str) -> None:
        self.problems.append(f"{self.source}: {place}: {message}")

    def text(self, data: dict[str, Any], key: str, place: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.bad(_at(place, key), "is missing")
            return ""
        if not isinstance(value, str):
            self.bad(_at(place, key), f"must be text, not {value!r}")
            return ""
        return value.strip()

    def number(self, data: dict[str, Any], key: str, place: str) -> float | None:
        value = data.get(key)
        if value is None:
            self.bad(_at(place, key), "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(_at(place, key), f"must be a number, not {value!r}")
            return None
        return int(value) if float(value).is_integer() else float(value)

    def table(self, data: Any, place: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.bad(place, "must be a table")
            return {}
        return data

    def tables(self, data: dict[str, Any], key: str, place: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            self.bad(_at(place, key), "must be a non-empty list of tables")
            return []
        return [self.table(v, f"{_at(place, key)}[{i}]") for i, v in enumerate(value, 1)]

    def unknown(self, data: dict[str, Any], allowed: set[str], place: str) -> None:
        for key in data:
            if key not in allowed:
                self.bad(_at(place, key), "unknown key")

    def face(self, value: Any, place: str) -> str:
        try:
            face = codes.FACE.parse(value)
        except Exception as exc:  # noqa: BLE001 - reported as a problem
            self.bad(place, str(exc))
            return "2"
        if face is None:
            self.bad(place, "is missing")
            return "2"
        return face


def _at(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def parse_definition(data: dict[str, Any], source: str) -> Definition:
    """Validate ``data`` (a parsed TOML file) into a Definition or raise FileProblems."""
    ck = _Check(source)
    ck.unknown(data, {"key", "title", "kind", "introduction", "sections", "mails", "profile",
                      "update", "update_rule", "landing_introduction", "attention",
                      "next_step"}, "")
    key = ck.text(data, "key", "")
    if key and not KEY_RE.match(key):
        ck.bad("key", f"{key!r} must be lower-case letters, digits, '-' or '_'")
    kind = ck.text(data, "kind", "")
    if kind and kind not in KINDS:
        ck.bad("kind", f"must be 'personal' or 'update', not {kind!r}")
    sections = tuple(_section(ck, s, f"sections[{i}]")
                     for i, s in enumerate(ck.tables(data, "sections", ""), 1))
    seen: set[str] = set()
    for si, section in enumerate(sections, 1):
        for qi, q in enumerate(section.questions, 1):
            if q.id and q.id in seen:
                ck.bad(f"sections[{si}].questions[{qi}].id", f"{q.id!r} is used twice")
            seen.add(q.id)
    update = data.get("update")
    if kind == "personal" and not update:
        ck.bad("update", "is missing: a personal QuickScan names its update QuickScan")
    if kind == "update" and (update or "update_rule" in data):
        ck.bad("update" if update else "update_rule", "only a personal QuickScan has this")
    if update is not None and not isinstance(update, str):
        ck.bad("update", f"must be text, not {update!r}")
        update = None
    rule = _update_rule(ck, data["update_rule"]) if "update_rule" in data else None
    if kind == "personal" and rule is None:
        ck.bad("update_rule", "is missing: a personal QuickScan holds the update face's rule")
    definition = Definition(
        key=key, title=ck.text(data, "title", ""), kind=kind,
        introduction=ck.text(data, "introduction", ""), sections=sections,
        mails=_mails(ck, data.get("mails")), profile=_profile(ck, data.get("profile")),
        update=update or None, update_rule=rule,
        landing_introduction=ck.text(data, "landing_introduction", "", required=False),
        attention=_attention(ck, data.get("attention"), sections),
        next_step=ck.text(data, "next_step", "", required=False),
    )
    if ck.problems:
        raise FileProblems(ck.problems)
    return definition


def _section(ck: _Check, data: dict[str, Any], place: str) -> Section:
    ck.unknown(data, {"title", "introduction", "questions"}, place)
    questions = tuple(_question(ck, q, f"{place}.questions[{i}]")
                      for i, q in enumerate(ck.tables(data, "questions", place), 1))
    return Section(title=ck.text(data, "title", place), questions=questions,
                   introduction=ck.text(data, "introduction", place, required=False))


_FIELDS = {
    "slider": {"min", "max", "step", "left", "right", "labels"},
    "choice": {"options"},
    "text": {"max_length"},
    "rating": {"min", "max"},
}


def _question(ck: _Check, data: dict[str, Any], place: str) -> Question:
    qtype = ck.text(data, "type", place)
    if qtype and qtype not in QUESTION_TYPES:
        ck.bad(f"{place}.type", f"must be one of {', '.join(QUESTION_TYPES)}, not {qtype!r}")
        qtype = ""
    ck.unknown(data, {"id", "type", "text", "explanation", "client_text",
                      *_FIELDS.get(qtype, set())}, place)
    qid = ck.text(data, "id", place)
    if qid and not ID_RE.match(qid):
        ck.bad(f"{place}.id", f"{qid!r} must start with a letter (letters, digits, '-', '_')")
    extra: dict[str, Any] = {}
    if qtype == "slider":
        extra = _slider(ck, data, place)
    elif qtype == "rating":
        low, high = ck.number(data, "min", place), ck.number(data, "max", place)
        if low is not None and low not in RATING_MINS:
            ck.bad(f"{place}.min", f"a rating starts at 0 or 1, not {low}")
        if high is not None and high not in RATING_MAXES:
            ck.bad(f"{place}.max", f"a rating ends at 5 or 10, not {high}")
        extra = {"min": low, "max": high}
    elif qtype == "choice":
        options = data.get("options")
        if (not isinstance(options, list) or len(options) < 2
                or not all(isinstance(o, str) and o.strip() for o in options)):
            ck.bad(f"{place}.options", "must be a list of at least two answer texts")
            options = []
        extra = {"options": tuple(o.strip() for o in options)}
    elif qtype == "text":
        length = data.get("max_length", 1000)
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 10000:
            ck.bad(f"{place}.max_length", f"must be a whole number from 1 to 10000, not {length!r}")
            length = 1000
        extra = {"max_length": length}
    return Question(id=qid, type=qtype or "text", text=ck.text(data, "text", place),  # type: ignore[arg-type]
                    explanation=ck.text(data, "explanation", place, required=False),
                    client_text=ck.text(data, "client_text", place, required=False), **extra)


def _slider(ck: _Check, data: dict[str, Any], place: str) -> dict[str, Any]:
    low, high = ck.number(data, "min", place), ck.number(data, "max", place)
    if low is not None and high is not None and (low, high) not in SLIDER_RANGES:
        ranges = ", ".join(f"{a}..{b}" for a, b in SLIDER_RANGES)
        ck.bad(f"{place}.max", f"a slider runs over {ranges}, not {low}..{high}")
    step = ck.number(data, "step", place)
    if step is not None and (step <= 0 or (low is not None and high is not None
                                           and not float((high - low) / step).is_integer())):
        ck.bad(f"{place}.step", f"must be positive and divide the range {low}..{high}, not {step}")
    labels = data.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(t, str) and t.strip() for t in labels):
        ck.bad(f"{place}.labels", "must be a list of label texts (between left and right)")
        labels = []
    elif labels and low is not None and high is not None and step \
            and len(labels) > (high - low) / step - 1:
        ck.bad(f"{place}.labels", f"{len(labels)} labels do not fit between the "
               f"{int((high - low) / step) + 1} values of {low}..{high}")
    return {"min": low, "max": high, "step": step,
            "left": ck.text(data, "left", place, required=False),
            "right": ck.text(data, "right", place, required=False),
            "labels": tuple(t.strip() for t in labels)}


def _mails(ck: _Check, data: Any) -> dict[str, Mail]:
    from jinja2 import TemplateSyntaxError, meta

    from quickcrm.templating import parse, text_environment

    env = text_environment()
    mails: dict[str, Mail] = {}
    table = ck.table(data, "mails") if data is not None else {}
    if data is None:
        ck.bad("mails", f"is missing (needs {', '.join(MAIL_KINDS)})")
    ck.unknown(table, set(MAIL_KINDS), "mails")
    for kind in MAIL_KINDS:
        if data is not None and kind not in table:
            ck.bad(f"mails.{kind}", "is missing")
            continue
        mail = ck.table(table.get(kind, {}), f"mails.{kind}")
        ck.unknown(mail, {"subject", "body"}, f"mails.{kind}")
        parts = {}
        for part in ("subject", "body"):
            text = ck.text(mail, part, f"mails.{kind}")
            try:
                names = meta.find_undeclared_variables(parse(env, text))
            except TemplateSyntaxError as exc:
                ck.bad(f"mails.{kind}.{part}", f"template error on line {exc.lineno}: {exc.message}")
                names = set()
            for name in sorted(names - MAIL_VARIABLES):
                ck.bad(f"mails.{kind}.{part}", f"unknown variable {name!r} "
                       f"(known: {', '.join(sorted(MAIL_VARIABLES))})")
            parts[part] = text
        mails[kind] = Mail(**parts)
    return mails


def _profile(ck: _Check, data: Any) -> Profile:
    if data is None:
        ck.bad("profile", "is missing: every QuickScan holds its profile rule table")
        return Profile(default="2")
    table = ck.table(data, "profile")
    ck.unknown(table, {"default", "rules"}, "profile")
    rules = []
    for i, raw in enumerate(table.get("rules") or [], 1):
        place = f"profile.rules[{i}]"
        rule = ck.table(raw, place)
        ck.unknown(rule, {"face", *RULE_CRITERIA}, place)
        criteria: dict[str, tuple[str, ...]] = {}
        for name, code_table in RULE_CRITERIA.items():
            values = rule.get(name, [])
            values = [values] if isinstance(values, str | int) else values
            if not isinstance(values, list):
                ck.bad(f"{place}.{name}", "must be a code, a label or a list of them")
                continue
            found = []
            for value in values:
                try:
                    found.append(code_table.parse(value))
                except Exception as exc:  # noqa: BLE001 - reported as a problem
                    ck.bad(f"{place}.{name}", str(exc))
            criteria[name] = tuple(c for c in found if c)
        rules.append(ProfileRule(face=ck.face(rule.get("face"), f"{place}.face"), **criteria))
    return Profile(default=ck.face(table.get("default"), "profile.default"), rules=tuple(rules))


def _update_rule(ck: _Check, data: Any) -> UpdateRule | None:
    table = ck.table(data, "update_rule")
    ck.unknown(table, {"positive_from", "negative_below", "scores"}, "update_rule")
    pos = ck.number(table, "positive_from", "update_rule")
    neg = ck.number(table, "negative_below", "update_rule")
    if pos is not None and neg is not None and neg > pos:
        ck.bad("update_rule.negative_below", f"must not exceed positive_from ({neg} > {pos})")
    scores = []
    for i, raw in enumerate(ck.tables(table, "scores", "update_rule"), 1):
        place = f"update_rule.scores[{i}]"
        ck.unknown(raw, {"question", "points", "weight"}, place)
        points = raw.get("points", {})
        weight = raw.get("weight", 0)
        if not isinstance(points, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in points.values()):
            ck.bad(f"{place}.points", "must map answers ('ke1' ...) to numbers")
            points = {}
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            ck.bad(f"{place}.weight", f"must be a number, not {weight!r}")
            weight = 0
        if bool(points) == bool(weight):
            ck.bad(place, "needs either points (choice questions) or weight (slider, rating)")
        scores.append(Score(question=ck.text(raw, "question", place),
                            points={str(k).lower(): v for k, v in points.items()}, weight=weight))
    return UpdateRule(positive_from=pos or 0, negative_below=neg or 0, scores=tuple(scores))


def check_update_rule(personal: Definition, update: Definition, source: str) -> None:
    """The personal scan's rule must name questions and answers its update scan has."""
    ck = _Check(source)
    if update.kind != "update":
        ck.bad("update", f"{update.key!r} is a {update.kind} QuickScan, not an update")
    for i, score in enumerate(personal.update_rule.scores if personal.update_rule else (), 1):
        place = f"update_rule.scores[{i}]"
        q = update.question(score.question)
        if q is None:
            ck.bad(f"{place}.question", f"{update.key!r} has no question {score.question!r}")
        elif score.points:
            valid = {v for v, _ in q.choice_values()}
            if q.type != "choice":
                ck.bad(f"{place}.points", f"{q.id!r} is a {q.type} question: use weight")
            for answer in sorted(set(score.points) - valid):
                ck.bad(f"{place}.points", f"{q.id!r} has no answer {answer!r}")
        elif q.type not in ("slider", "rating"):
            ck.bad(f"{place}.weight", f"{q.id!r} is a {q.type} question: use points")
    if ck.problems:
        raise FileProblems(ck.problems)


# Attention points (issue 25): answer conditions -> a short Dutch text in the report.
ATTENTION_TEXT_MAX, ATTENTION_TITLE_MAX = 400, 80
_CONDITION_KEYS = {"question", "answer", "at_least", "at_most", "answered"}


def _attention(ck: _Check, data: Any, sections: tuple[Section, ...]) -> tuple[AttentionRule, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        ck.bad("attention", "must be a list of tables ([[attention]])")
        return ()
    questions = {q.id: q for s in sections for q in s.questions}
    rules = []
    for i, raw in enumerate(data, 1):
        place = f"attention[{i}]"
        rule = ck.table(raw, place)
        ck.unknown(rule, {"title", "text", "when"}, place)
        text, title = ck.text(rule, "text", place), ck.text(rule, "title", place, required=False)
        if len(text) > ATTENTION_TEXT_MAX:
            ck.bad(f"{place}.text", f"is {len(text)} characters; an attention point is short "
                   f"(at most {ATTENTION_TEXT_MAX})")
        if len(title) > ATTENTION_TITLE_MAX:
            ck.bad(f"{place}.title", f"is {len(title)} characters (at most {ATTENTION_TITLE_MAX})")
        when = rule.get("when")
        if isinstance(when, dict):
            when = [when]
        if not isinstance(when, list) or not when:
            ck.bad(f"{place}.when", "must be a condition or a non-empty list of conditions, "
                   "e.g. { question = \"termijn\", answer = [\"ke1\"] }")
            when = []
        conditions = tuple(_condition(ck, c, f"{place}.when[{j}]", questions)
                           for j, c in enumerate(when, 1))
        rules.append(AttentionRule(text=text, title=title,
                                   when=tuple(c for c in conditions if c is not None)))
    return tuple(rules)


def _condition(ck: _Check, raw: Any, place: str, questions: dict[str, Question]
               ) -> Condition | None:
    cond = ck.table(raw, place)
    if not cond:
        return None
    ck.unknown(cond, _CONDITION_KEYS, place)
    qid = ck.text(cond, "question", place)
    q = questions.get(qid)
    if qid and q is None:
        ck.bad(f"{place}.question", f"the QuickScan has no question {qid!r}")
    tests = sorted(k for k in ("answer", "at_least", "at_most", "answered") if k in cond)
    if not tests:
        ck.bad(place, "needs answer (choice), at_least / at_most (slider, rating) or answered")
        return None
    if "answered" in tests and len(tests) > 1:
        ck.bad(place, "answered stands alone: write another condition for the answer")
    out = Condition(question=qid)
    if "answered" in cond:
        if not isinstance(cond["answered"], bool):
            ck.bad(f"{place}.answered", f"must be true or false, not {cond['answered']!r}")
        return Condition(question=qid, answered=bool(cond["answered"]))
    if "answer" in cond:
        if q is not None and q.type != "choice":
            ck.bad(f"{place}.answer", f"{qid!r} is a {q.type} question: use "
                   + ("at_least / at_most" if q.type in ("slider", "rating") else "answered"))
        if "at_least" in cond or "at_most" in cond:
            ck.bad(place, "answer and at_least / at_most do not go together")
        values = cond["answer"]
        values = [values] if isinstance(values, str) else values
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) and v.strip() for v in values):
            ck.bad(f"{place}.answer", "must be an answer ('ke1' or the option's text) "
                   "or a list of them")
            return out
        codes_ = []
        options = q.choice_values() if q is not None and q.type == "choice" else []
        by_text = {text.strip().lower(): code for code, text in options}
        for value in values:
            v = value.strip().lower()
            if not options or v in dict(options):
                codes_.append(v)
            elif v in by_text:
                codes_.append(by_text[v])
            else:
                known = ", ".join(f"{c} ({t})" for c, t in options)
                ck.bad(f"{place}.answer", f"{qid!r} has no answer {value!r} (known: {known})")
        return replace(out, answer=tuple(dict.fromkeys(codes_)))
    bounds: dict[str, float | None] = {}
    for key in ("at_least", "at_most"):
        bounds[key] = ck.number(cond, key, place) if key in cond else None
    if q is not None and q.type not in ("slider", "rating"):
        ck.bad(f"{place}.{tests[0]}", f"{qid!r} is a {q.type} question: "
               + ("use answer" if q.type == "choice" else "use answered"))
    elif q is not None and q.min is not None and q.max is not None:
        for key, value in bounds.items():
            if value is not None and not q.min <= value <= q.max:
                ck.bad(f"{place}.{key}", f"{value:g} is outside {qid!r}'s range "
                       f"{q.min:g}..{q.max:g}")
    low, high = bounds["at_least"], bounds["at_most"]
    if low is not None and high is not None and low > high:
        ck.bad(f"{place}.at_most", f"is below at_least ({high:g} < {low:g}): nothing matches")
    return replace(out, at_least=low, at_most=high)


def condition_holds(condition: Condition, question: Question | None, stored: str | None) -> bool:
    """Whether one stored answer (None or '': not answered) meets ``condition``."""
    raw = (stored or "").strip()
    if condition.answered is not None:
        return bool(raw) == condition.answered
    if not raw or question is None:
        return False
    if condition.answer:
        return raw.lower() in condition.answer
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return False
    if value != value:  # NaN
        return False
    return ((condition.at_least is None or value >= condition.at_least)
            and (condition.at_most is None or value <= condition.at_most))


def attention_points(definition: Definition, answers: dict[str, str]) -> list[AttentionRule]:
    """The definition's attention points that ``answers`` meet, in the file's order."""
    return [rule for rule in definition.attention
            if rule.when and all(condition_holds(c, definition.question(c.question),
                                                 answers.get(c.question)) for c in rule.when)]
