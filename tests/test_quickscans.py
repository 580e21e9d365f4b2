"""QuickScan definitions: validation with file and place, loading, the CLI, answers,
e-mail texts and the explanation PDF (read back with pdftotext)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from quickcrm.errors import FileProblems, InvalidInput, NotPermitted
from quickcrm.quickscans.definitions import (
    load_quickscans,
    read_file,
    shipped_dir,
)
from quickcrm.quickscans.mail import render_mail
from quickcrm.quickscans.models import QuickScan
from quickcrm.quickscans.schema import MAIL_KINDS
from quickcrm.quickscans.validation import validate_answer

PERSONAL = shipped_dir() / "bedrijfsopvolging.toml"
UPDATE = shipped_dir() / "bedrijfsopvolging-update.toml"


def test_shipped_quickscans_are_valid_and_realistic():
    personal, update = read_file(PERSONAL), read_file(UPDATE)
    assert (personal.kind, personal.update) == ("personal", update.key)
    assert update.kind == "update"
    for d in (personal, update):
        assert 10 <= len(d.questions()) <= 20
        assert {q.type for q in d.questions()} == {"slider", "choice", "text", "rating"}
        assert set(d.mails) == set(MAIL_KINDS)
        assert d.profile.rules


def _broken(tmp_path: Path, old: str, new: str, source: Path = UPDATE) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "place", "what"), [
    ("min = 0\nmax = 100\nstep = 5", "min = 0\nmax = 50\nstep = 5",
     "sections[1].questions[3].max", "a slider runs over -100..100, 0..100, 0..5, not 0..50"),
    ("min = 0\nmax = 100\nstep = 5", "min = 0\nmax = 100\nstep = 7",
     "sections[1].questions[3].step", "must be positive and divide the range"),
    ("min = 0\nmax = 10\n", "min = 2\nmax = 10\n",
     "sections[1].questions[9].min", "a rating starts at 0 or 1, not 2"),
    ('options = ["Ja", "Nee"]\nexplanation = "Een ja/nee-vraag; bij',
     'options = ["Ja"]\nexplanation = "Een ja/nee-vraag; bij',
     "sections[1].questions[8].options", "at least two answer texts"),
    ('type = "text"', 'type = "essay"', "sections[1].questions[10].type", "must be one of"),
    ('id = "opmerking"', 'id = "plannen"', "sections[1].questions[10].id", "is used twice"),
    ("max_length = 500", "max_length = 0", "sections[1].questions[10].max_length",
     "whole number from 1 to 10000"),
    ('[mails.reminder2]\nsubject = "Laatste', '[mails.reminder9]\nsubject = "Laatste',
     "mails.reminder2", "is missing"),
    ("Beste {{ client.first_name }}", "Beste {{ klant.voornaam }}", "mails.invitation.body",
     "unknown variable 'klant'"),
    ("{{ link }}", "{{ link }", "mails.invitation.body", "template error on line"),
    ('ownership = ["Publiek", "Stichting"]', 'ownership = ["Publiek", "Vereniging"]',
     "profile.rules[1].ownership", "unknown eigendom 'Vereniging'"),
    ('face = "Positief"', 'face = "Blij"', "profile.rules[2].face", "unknown happy face 'Blij'"),
    ('kind = "update"', 'kind = "personlijk"', "kind", "must be 'personal' or 'update'"),
])
def test_malformed_definition_names_file_place_and_problem(tmp_path, old, new, place, what):
    path = _broken(tmp_path, old, new)
    with pytest.raises(FileProblems) as err:
        read_file(path)
    assert f"{path}: {place}: " in str(err.value)
    assert what in str(err.value)


def test_personal_without_update_rule_and_bad_toml_are_refused(tmp_path):
    text = PERSONAL.read_text(encoding="utf-8")
    path = tmp_path / "p.toml"
    path.write_text(text.split("# Update face:")[0] + "[mails" + text.split("[mails", 1)[1],
                    encoding="utf-8")
    with pytest.raises(FileProblems, match=r"p\.toml: update_rule: is missing"):
        read_file(path)
    path.write_text('key = "x"\ntitle = ', encoding="utf-8")
    with pytest.raises(FileProblems, match=r"p\.toml: not valid TOML"):
        read_file(path)


def test_update_rule_must_fit_the_update_quickscan(tmp_path, rt):
    path = _broken(tmp_path, 'question = "gesprek"', 'question = "afspraak"', PERSONAL)
    update_copy = tmp_path / "bedrijfsopvolging-update.toml"
    update_copy.write_text(UPDATE.read_text(encoding="utf-8"), encoding="utf-8")
    with rt.session() as s, pytest.raises(FileProblems) as err:
        load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=tmp_path)
    assert (f"{path}: update_rule.scores[4].question: 'bedrijfsopvolging-update' has no "
            "question 'afspraak'") in str(err.value)
    with rt.session() as s:  # nothing was loaded, not even the valid update file
        assert s.exec(select(QuickScan)).all() == []


def test_load_upserts_by_key_on_both_databases(rt, tmp_path):
    with rt.session() as s:
        first = load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=shipped_dir())
    assert [(r.key, r.status) for r in first] == [
        ("bedrijfsopvolging-update", "new"), ("bedrijfsopvolging", "new")]
    changed = tmp_path / "mine.toml"
    changed.write_text(UPDATE.read_text(encoding="utf-8").replace(
        "Met deze korte update", "Met deze korte vragenlijst"), encoding="utf-8")
    with rt.session() as s:
        again = load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=changed)
        assert [(r.key, r.status) for r in again] == [("bedrijfsopvolging-update", "changed")]
        again = load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=changed)
        assert again[0].status == "unchanged"


def test_loading_needs_the_right(rt, tmp_path):
    from quickcrm.crm.users import add_user

    with rt.session() as s:
        add_user(session=s, actor=rt.actor, now=rt.clock.now(), email="rm@k.example",
                 rights=["rm"])
    rt.acting_as, rt._actor = "rm@k.example", None
    with rt.session() as s, pytest.raises(NotPermitted, match="load quickscans needs admin"):
        load_quickscans(session=s, actor=rt.actor, now=rt.clock.now(), path=PERSONAL)


def test_personal_scan_needs_its_update_loaded_first(cli):
    result = cli("quickscan", "load", str(PERSONAL))
    assert result.exit_code == 1
    assert "update: QuickScan 'bedrijfsopvolging-update' is not loaded" in result.stderr


def test_cli_list_loads_the_shipped_quickscans_into_a_fresh_database(cli):
    listed = json.loads(cli("quickscan", "list", "--json").stdout)
    assert {(q["key"], q["kind"], q["questions"]) for q in listed} == {
        ("bedrijfsopvolging", "personal", 14), ("bedrijfsopvolging-update", "update", 10)}
    shown = cli("quickscan", "show", "bedrijfsopvolging")
    assert shown.exit_code == 0
    for expected in ("ke1=Jonger dan 45 jaar", "0..100 step 5", "-100..100 step 10",
                     "1..10", "max 1000 characters", "Uw situatie"):
        assert expected in shown.stdout
    data = json.loads(cli("quickscan", "show", "bedrijfsopvolging-update", "--json").stdout)
    assert data["sections"][0]["questions"][2] == {
        "id": "voortgang", "type": "slider", "text": data["sections"][0]["questions"][2]["text"],
        "explanation": data["sections"][0]["questions"][2]["explanation"], "min": 0,
        "max": 100, "step": 5, "left": "Nog niet begonnen", "right": "Volledig voorbereid",
        "client_text": "Uw eigen inschatting: 0 is nog niet begonnen, 100 is alles geregeld.",
        "labels": ["Net begonnen", "Halverwege", "Grotendeels voorbereid"]}
    missing = cli("quickscan", "show", "belasting")
    assert missing.exit_code == 1
    assert "unknown quickscan 'belasting' (loaded: bedrijfsopvolging," in missing.stderr


def test_cli_load_reports_every_problem_and_loads_nothing(cli, tmp_path):
    bad = _broken(tmp_path, "max_length = 500", "max_length = 0")
    result = cli("quickscan", "load", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"{bad}: sections[1].questions[10].max_length: must be a "
                                      "whole number from 1 to 10000, not 0")


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def test_doc_pdf_lists_every_question_with_its_values(cli, tmp_path):
    out = tmp_path / "toelichting.pdf"
    result = cli("quickscan", "doc", "bedrijfsopvolging", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = _pdf_text(out)
    d = read_file(PERSONAL)
    for q in d.questions():
        assert " ".join(q.text.split()) in text
        if q.explanation:
            assert " ".join(q.explanation.split())[:60] in text
    assert "'ke1' Jonger dan 45 jaar" in text
    assert "'ke5' Ik weet het nog niet" in text
    assert "Numerieke waarde van 0 tot en met 100, in stappen van 5" in text
    assert "Numerieke waarde van -100 tot en met 100, in stappen van 10" in text
    assert "een heel getal van 1 tot en met 10" in text
    assert "ten hoogste 1000 tekens" in text


def test_validate_answer_per_question_type():
    d = read_file(UPDATE)
    q = {q.id: q for q in d.questions()}
    assert validate_answer(q["voortgang"], "35") == 35
    assert validate_answer(q["resultaat"], -40) == -40
    assert validate_answer(q["plannen"], "KE2") == "ke2"
    assert validate_answer(q["tevredenheid"], "0") == 0
    assert validate_answer(q["opmerking"], "  Bel me maar.  ") == "Bel me maar."
    for question, raw, message in [
        (q["voortgang"], "33", "not on a step of 5"),
        (q["voortgang"], "120", "outside 0..100"),
        (q["resultaat"], "veel", "expected a number from -100 to 100"),
        (q["plannen"], "ke5", "expected one of ke1, ke2, ke3, ke4"),
        (q["tevredenheid"], "7.5", "not a whole number"),
        (q["tevredenheid"], "11", "outside 0..10"),
        (q["opmerking"], "x" * 501, "at most 500 characters"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            validate_answer(question, raw)


def test_mail_texts_render_for_a_client():
    d = read_file(PERSONAL)
    context = {
        "client": {"first_name": "Bas", "last_name": "Wolters", "company": "Bakker Beheer B.V.",
                   "relation_number": "000103"},
        "rm": {"name": "Samira El Amrani", "first_name": "Samira", "signature": "",
               "signoff": "Samira El Amrani\nRelatiemanager"},
        "firm": {"name": "Voorbeeld Accountants"}, "quickscan": {"title": d.title},
        "campaign": {"name": "Najaar"}, "link": "https://q.example/q/abc", "deadline": "",
    }
    for kind in MAIL_KINDS:
        subject, body = render_mail(d, kind, context)
        assert subject and "\n" not in subject
    subject, body = render_mail(d, "invitation", context)
    assert "Bakker Beheer B.V." in subject
    assert "Beste Bas Wolters," in body and "https://q.example/q/abc" in body
    assert "Samira El Amrani\nRelatiemanager" in body
