"""Sales procedures (issue 27, seed 002): the shipped standaard matrix sentence by
sentence, prospect statuses, who sees what, suspects imported, e-mail and appointment
steps mailed through a real SMTP server, the .ics read back with icalendar."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from quickcrm.errors import FileProblems, InvalidInput, InvalidState, NotFound, NotPermitted

PROJECT = "Acquisitie 2027"
M, OG, PL, C = ("m.devries@kantoor.example", "o.bakker@opdrachtgever.example",
               "p.leider@kantoor.example", "coordinator@kantoor.example")
HEADER = "Bedrijf klant;Voornaam klant;Achternaam klant;E-mail klant;Plaats klant;Afgemeld\n"
ROWS = ("Bakkerij De Vrïes;Jan;de Vries;jan@bakkerij.example;Utrecht;nee\n"
        "Garage Pieters;Piet;Pieters;piet@garage.example;Zwolle;nee\n"
        "Café Hoek;Anna;Hoek;anna@cafe.example;Zwolle;ja\n")


def write_csv(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("cp1252"))
    return path


def actor(rt: Any, email: str | None = None, first: bool = False) -> Any:
    """The user as a permissions.Actor (``first``: the administrator is created now)."""
    from quickcrm.crm.users import resolve_actor

    with rt.session(read_only=not first) as s:
        return resolve_actor(session=s, email=email, settings=rt.settings, now=rt.clock.now())


def add_user(rt: Any, email: str, name: str, rights: list[str] | None = None) -> None:
    from quickcrm.crm.users import add_user as add

    first, _, last = name.partition(" ")
    with rt.session() as s:
        add(session=s, actor=actor(rt), now=rt.clock.now(), email=email, first_name=first,
            last_name=last, phone="030 123 45 67", rights=rights or [])


def world(rt: Any, tmp_path: Path, *, release: bool = True) -> None:
    """The standaard procedure loaded from the shipped file, a project with a marketeer,
    an opdrachtgever (no firm-wide right), a project leader, three suspects."""
    from quickcrm.procedures import projects, setup
    from quickcrm.procedures.suspects import import_suspects

    admin = actor(rt, first=True)
    now = rt.clock.now()
    with rt.session() as s:
        setup.load_matrix(session=s, actor=admin, now=now, procedure="standaard",
                          path="procedure_standaard.toml")
    add_user(rt, M, "Marja de Vries")
    add_user(rt, OG, "Olga Bakker")
    add_user(rt, PL, "Paul Leider")
    add_user(rt, C, "Cor Dinator", ["coordinator"])
    with rt.session() as s:
        projects.create_project(session=s, actor=admin, now=now, name=PROJECT,
                                procedure="standaard")
        for email, role in ((M, "marketeer"), (OG, "opdrachtgever"), (PL, "projectleider")):
            projects.add_member(session=s, actor=admin, now=now, project=PROJECT, email=email,
                                role=role)
        import_suspects(session=s, actor=admin, now=now, project=PROJECT,
                        path=write_csv(tmp_path / "suspects.csv", HEADER + ROWS))
        if release:
            projects.release(session=s, actor=admin, now=now, project=PROJECT)


def step(rt: Any, who: str, contact: str, name: str, **kw: Any) -> dict[str, Any]:
    from quickcrm.procedures.working import take_step

    with rt.writing() as conn:
        return take_step(conn=conn, actor=actor(rt, who), now=rt.clock.now(),
                         settings=rt.settings, project=PROJECT, contact=contact, step=name,
                         **kw)


def may(rt: Any, who: str, contact: str) -> list[str]:
    from quickcrm.procedures.working import next_steps

    with rt.session() as s:
        return list(next_steps(session=s, actor=actor(rt, who), project=PROJECT,
                               contact=contact)["may"])


def count(rt: Any, table: str) -> int:
    from sqlalchemy import text

    with rt.session() as s:
        return int(s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def refused(rt: Any, who: str, contact: str, name: str, **kw: Any) -> str:
    before = (count(rt, "step_taken"), count(rt, "event"), count(rt, "outbox_message"))
    with pytest.raises((NotPermitted, InvalidState, InvalidInput)) as exc:
        step(rt, who, contact, name, **kw)
    assert (count(rt, "step_taken"), count(rt, "event"), count(rt, "outbox_message")) == before
    return str(exc.value)


JAN, PIET = "jan@bakkerij.example", "piet@garage.example"


def test_the_standaard_matrix_sentence_by_sentence(rt, tmp_path):
    world(rt, tmp_path)
    # marketeer: "bij een nog lege procedure een contactpersoon van een suspect bellen"
    assert may(rt, M, JAN) == ["bellen"]
    text = refused(rt, M, JAN, "terugbellen")
    assert text == ("not permitted: taking step 'terugbellen' after 'start' in project "
                    "'Acquisitie 2027' needs a project role whose matrix allows it (role "
                    "'marketeer' may take: bellen here)")
    refused(rt, M, JAN, "afspraak inplannen", start=rt.clock.now())
    step(rt, M, JAN, "bellen", note="Interesse, terugbellen volgende week")
    # "na de eerste keer bellen nog een keer terugbellen", "informatie opsturen",
    # "een afspraak inplannen" - and not calling "bellen" again
    assert sorted(may(rt, M, JAN)) == ["afspraak inplannen", "informatie opsturen",
                                      "terugbellen"]
    refused(rt, M, JAN, "bellen")
    step(rt, M, JAN, "terugbellen")
    # "na een terugbel actie steeds weer terugbellen"
    step(rt, M, JAN, "terugbellen")
    assert "informatie opsturen" in may(rt, M, JAN)
    # opdrachtgever: nothing before the appointment
    assert may(rt, OG, JAN) == []
    assert "role 'opdrachtgever' may take: no step" in refused(rt, OG, JAN,
                                                               "opdrachtgever belt zelf")
    from datetime import timedelta

    step(rt, M, JAN, "afspraak inplannen", start=rt.clock.now() + timedelta(days=3))
    # "kan de opdrachtgever voor en na de afspraak nog een of meerdere keren bellen"
    assert may(rt, OG, JAN) == ["opdrachtgever belt zelf"]
    step(rt, OG, JAN, "opdrachtgever belt zelf")
    step(rt, OG, JAN, "opdrachtgever belt zelf")
    assert may(rt, M, JAN) == []  # the marketeer's part is done
    refused(rt, M, JAN, "terugbellen")
    # project leader: corrects against the direction of the procedure
    step(rt, PL, JAN, "bellen", note="correctie: verkeerd geregistreerd")
    assert len(may(rt, PL, PIET)) == 5
    step(rt, PL, PIET, "informatie opsturen")
    # a user with no role in the project (even the administrator) takes no step
    assert "needs membership of the project" in refused(rt, C, PIET, "bellen")


def test_a_first_step_makes_a_suspect_a_prospect_and_records_the_event(rt, tmp_path):
    from sqlalchemy import select

    from quickcrm import events
    from quickcrm.store.models import Event, Relation

    world(rt, tmp_path)
    with rt.session() as s:
        stages = dict(s.execute(select(Relation.company, Relation.stage)).all())
    assert stages["Garage Pieters"] == "suspect"
    result = step(rt, M, PIET, "bellen")
    assert result["became_prospect"] is True
    with rt.session() as s:
        assert s.execute(select(Relation.stage).where(
            Relation.company == "Garage Pieters")).scalar_one() == "prospect"
        ev = s.execute(select(Event).where(Event.kind == events.PROCEDURE_STEP)).scalar_one()
        user_id = actor(rt, M).id
        added = s.execute(select(Event).where(
            Event.kind == events.PROCEDURE_SUSPECT_ADDED)).scalars().all()
    assert (ev.relation_id, ev.person_id, ev.user_id) == (
        result_relation_id(rt, "Garage Pieters"), result["person_id"], user_id)
    assert json.loads(ev.details) == {"project_id": 1, "contact_id": result["contact_id"],
                                      "step": "bellen", "step_kind": "plain",
                                      "channel": "telefoon",
                                      # the audit trail (issue 29): what the step changed
                                      "changes": {"last_step": [None, "bellen"],
                                                  "stage": ["suspect", "prospect"]}}
    assert len(added) == 3 and all(json.loads(e.details) == {"project_id": 1} for e in added)
    assert step(rt, M, PIET, "terugbellen")["became_prospect"] is False


def test_a_contact_is_named_by_number_person_id_or_email_with_the_same_refusals(rt, tmp_path):
    """CONTACT as a user gives it, through the one-query path of a step and its
    fallback alike: a relation number with two contacts in the project is ambiguous even
    when only one of them is running; digits that are one contact's relation number and
    another's person id mean the relation number; a person id works when no relation
    has that number."""
    from sqlalchemy import select, update

    from quickcrm.procedures.models import ProjectContact
    from quickcrm.store.models import Person, Relation

    world(rt, tmp_path)
    now = rt.clock.now()
    with rt.session() as s:
        jan = s.execute(select(Person).where(Person.email == JAN)).scalar_one()
        piet = s.execute(select(Person).where(Person.email == PIET)).scalar_one()
        jan_number = s.get(Relation, jan.relation_id).number
        colleague = Person(relation_id=jan.relation_id, first_name="Kees", last_name="de Vries",
                           email="kees@bakkerij.example", created_at=now)
        s.add(colleague)
        s.flush()
        s.add(ProjectContact(project_id=1, relation_id=jan.relation_id,
                             person_id=colleague.id, status="closed", created_at=now))
        s.commit()
        piet_id, jan_id, piet_relation = piet.id, jan.id, piet.relation_id
    assert "has 2 contacts in project" in refused(rt, M, jan_number, "bellen")
    assert step(rt, M, str(jan_id), "bellen")["person_id"] == jan_id  # a person id
    with rt.session() as s:  # Piet's relation number is now the digits of Jan's person id
        s.execute(update(Relation).where(Relation.id == piet_relation)
                  .values(number=str(jan_id)))
        s.execute(update(ProjectContact).where(ProjectContact.person_id == piet_id)
                  .values(status="closed"))
        s.commit()
    assert "is closed, not running" in refused(rt, M, str(jan_id), "terugbellen")
    with rt.session() as s:
        s.execute(update(ProjectContact).where(ProjectContact.person_id == piet_id)
                  .values(status="running"))
        s.commit()
    taken = step(rt, M, str(jan_id), "bellen")  # the relation number's contact: Piet
    assert (taken["person_id"], taken["after"]) == (piet_id, None)
    assert "is closed, not running" in refused(rt, M, "KEES@bakkerij.example", "bellen")
    # an e-mail address as typed, in any case (found through the person's search key)
    assert step(rt, M, f" {JAN.upper()} ", "terugbellen")["person_id"] == jan_id


def result_relation_id(rt: Any, company: str) -> int:
    from sqlalchemy import select

    from quickcrm.store.models import Relation

    with rt.session() as s:
        return int(s.execute(select(Relation.id).where(Relation.company == company))
                   .scalar_one())


def test_preparing_contacts_are_invisible_until_released(rt, tmp_path):
    from quickcrm.procedures import projects
    from quickcrm.procedures.working import list_prospects

    world(rt, tmp_path, release=False)

    def listed(who: str, **kw: Any) -> list[str]:
        with rt.session() as s:
            return [r["email"] for r in list_prospects(session=s, actor=actor(rt, who),
                                                       project=PROJECT, **kw)["contacts"]]

    assert listed(M) == [] and listed(PL) == [] and listed(C) == []
    with pytest.raises(NotPermitted, match="manage projects"):
        listed(M, preparing=True)
    assert listed(C, preparing=True) == [JAN, PIET, "anna@cafe.example"]
    assert "is preparing, not running" in refused(rt, M, JAN, "bellen")
    with rt.session() as s, pytest.raises(NotPermitted):
        projects.set_status(session=s, actor=actor(rt, PL), now=rt.clock.now(),
                            project=PROJECT, contact=JAN, status="running")
    with rt.session() as s:
        projects.set_status(session=s, actor=actor(rt, C), now=rt.clock.now(),
                            project=PROJECT, contact=JAN, status="running")
    assert listed(M) == [JAN]
    with rt.session() as s:
        assert projects.release(session=s, actor=actor(rt, C), now=rt.clock.now(),
                                project=PROJECT)["released"] == 2
    assert listed(M, actionable=True) == [JAN, PIET, "anna@cafe.example"]
    step(rt, M, JAN, "bellen")
    step(rt, M, JAN, "informatie opsturen")  # the marketeer may do nothing after this
    assert listed(M, actionable=True) == [PIET, "anna@cafe.example"]


def test_close_with_a_reason_reopen_and_the_funnel(rt, tmp_path):
    from quickcrm.procedures import projects, setup

    world(rt, tmp_path)
    with rt.session() as s:
        setup.add_reason(session=s, actor=actor(rt), name="geen interesse")
    step(rt, M, JAN, "bellen")
    with rt.session() as s:
        done = projects.set_status(session=s, actor=actor(rt, M), now=rt.clock.now(),
                                   project=PROJECT, contact=PIET, status="closed",
                                   reason="Geen interesse")
        assert (done["from"], done["status"], done["reason"]) == (
            "running", "closed", "geen interesse")
        with pytest.raises(InvalidInput, match="unknown close reason 'onbekend'"):
            projects.set_status(session=s, actor=actor(rt, M), now=rt.clock.now(),
                                project=PROJECT, contact=JAN, status="closed",
                                reason="onbekend")
    assert "is closed, not running" in refused(rt, M, PIET, "bellen")
    with rt.session() as s:
        funnel = projects.show_project(session=s, actor=actor(rt), project=PROJECT)["funnel"]
    assert funnel == {"preparing": 0, "suspects": 1, "prospects": 1, "closed": 1,
                      "appointments": 0, "closed_by_reason": {"geen interesse": 1}}
    with rt.session() as s:
        projects.set_status(session=s, actor=actor(rt, M), now=rt.clock.now(),
                            project=PROJECT, contact=PIET, status="running")
    step(rt, M, PIET, "bellen")


def test_a_principal_without_rights_sees_only_their_own_projects(rt, tmp_path):
    from quickcrm.procedures import projects
    from quickcrm.procedures.working import list_prospects

    world(rt, tmp_path)
    with rt.session() as s:
        projects.create_project(session=s, actor=actor(rt), now=rt.clock.now(),
                                name="Ander project", procedure="standaard")
        assert [p["name"] for p in projects.list_projects(session=s, actor=actor(rt, OG))] == [
            PROJECT]
        assert len(projects.list_projects(session=s, actor=actor(rt, C))) == 2
        with pytest.raises(InvalidInput, match="unknown project 'Ander project'"):
            list_prospects(session=s, actor=actor(rt, OG), project="Ander project")
        with pytest.raises(InvalidInput, match="unknown project"):
            projects.show_project(session=s, actor=actor(rt, OG), project="Ander project")
        assert len(list_prospects(session=s, actor=actor(rt, OG), project=PROJECT)[
            "contacts"]) == 3


def test_matrix_file_with_an_unknown_step_or_role_is_refused_whole(rt, tmp_path):
    from quickcrm.procedures import setup

    world(rt, tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text('[matrix.marketeer]\nstart = ["bellen"]\nbellen = ["faxen"]\n\n'
                   '[matrix.stagiair]\nstart = ["bellen"]\n', encoding="utf-8")
    with rt.session() as s:
        before = setup.matrix(session=s, procedure="standaard")["roles"]
        with pytest.raises(FileProblems) as exc:
            setup.load_matrix(session=s, actor=actor(rt), now=rt.clock.now(),
                              procedure="standaard", path=str(bad))
    assert exc.value.problems[0].startswith(f"{bad}:3: unknown step 'faxen'")
    assert exc.value.problems[1].startswith(f"{bad}:5: unknown role 'stagiair'")
    with rt.session() as s:
        assert setup.matrix(session=s, procedure="standaard")["roles"] == before
        saved = setup.save_matrix(session=s, procedure="standaard", role="opdrachtgever")
        setup.set_transition(session=s, actor=actor(rt), now=rt.clock.now(),
                             procedure="standaard", role="opdrachtgever", after="start",
                             next_="bellen", allow=True)
    assert may(rt, OG, JAN) == ["bellen"]
    (tmp_path / "o.toml").write_text(saved, encoding="utf-8")
    with rt.session() as s:
        setup.load_matrix(session=s, actor=actor(rt), now=rt.clock.now(),
                          procedure="standaard", path=str(tmp_path / "o.toml"))
    assert may(rt, OG, JAN) == []


def test_the_start_is_unique_in_the_matrix_on_both_databases(rt, tmp_path):
    from sqlalchemy.exc import IntegrityError

    from quickcrm.procedures.models import ProcedureTransition

    world(rt, tmp_path)
    with rt.session() as s:
        s.add(ProcedureTransition(procedure_id=1, role_id=1, after_step_type_id=None,
                                  next_step_type_id=1))
        with pytest.raises(IntegrityError):
            s.commit()


def test_bad_input_is_one_line(rt, tmp_path):
    from datetime import timedelta

    from quickcrm.procedures import projects, setup

    world(rt, tmp_path)
    admin = actor(rt)
    with rt.session() as s:
        with pytest.raises(InvalidInput, match=r"^unknown project 'Onbekend'"):
            projects.show_project(session=s, actor=admin, project="Onbekend")
        with pytest.raises(InvalidInput, match=r"^unknown role 'stagiair'"):
            projects.add_member(session=s, actor=admin, now=rt.clock.now(), project=PROJECT,
                                email=C, role="stagiair")
        with pytest.raises(InvalidState, match="already has role 'marketeer'"):
            projects.add_member(session=s, actor=admin, now=rt.clock.now(), project=PROJECT,
                                email=M, role="projectleider")
        with pytest.raises(InvalidInput, match="unknown field|is undefined"):
            setup.add_steptype(session=s, actor=admin, name="brief", kind="email",
                               subject="Hallo {{ contact.voornaam }}", body="Tekst")
    with pytest.raises(InvalidInput, match=r"^unknown step of procedure 'standaard' 'faxen'"):
        step(rt, M, JAN, "faxen")
    with pytest.raises(NotFound, match="unknown contact 'nie@mand.example'"):
        step(rt, M, "nie@mand.example", "bellen")
    step(rt, M, JAN, "bellen")
    assert "in the past" in refused(rt, M, JAN, "afspraak inplannen",
                                    start=rt.clock.now() - timedelta(hours=1))
    assert "needs --start" in refused(rt, M, JAN, "afspraak inplannen")
    with rt.session() as s:
        projects.close_project(session=s, actor=admin, now=rt.clock.now(), project=PROJECT)
    assert "is closed: no step" in refused(rt, M, JAN, "terugbellen")


def mail_runtime(db_url: str, clock: Any, smtp_url: str) -> Any:
    from quickcrm.bootstrap import bootstrap

    return bootstrap(database_url=db_url, clock=clock,
                     env={"QUICKCRM_SMTP_URL": smtp_url,
                          "QUICKCRM_MAIL_SENDER": "noreply@platform.example"})


def parts(msg: Message) -> list[Message]:
    return [p for p in msg.walk() if not p.is_multipart()]


def test_an_email_step_is_delivered_with_its_template_and_opt_out_refused(
        db_url, clock, smtp_server, tmp_path):
    rt = mail_runtime(db_url, clock, smtp_server.url)
    try:
        world(rt, tmp_path)
        with rt.session() as s:
            from sqlalchemy import update

            from quickcrm.store.models import Relation

            s.execute(update(Relation).where(Relation.company == "Bakkerij De Vrïes")
                      .values(company="Bakkerij De Vrïes <b>"))
            s.commit()
        step(rt, M, JAN, "bellen")
        result = step(rt, M, JAN, "informatie opsturen")
        assert result["mails"] == 1
        rt.deliver()
        [(mail_from, rcpts, raw)] = smtp_server.messages
        msg = message_from_bytes(raw)
        assert (mail_from, rcpts) == ("noreply@platform.example", [JAN])
        assert "Marja de Vries <m.devries@kantoor.example>" in msg["From"]
        assert "noreply@platform.example" in msg["Sender"]
        assert msg["Subject"] == "Informatie over Acquisitie 2027"
        [plain] = [p for p in parts(msg) if p.get_content_type() == "text/plain"]
        [html] = [p for p in parts(msg) if p.get_content_type() == "text/html"]
        body = plain.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")
        page = html.get_payload(decode=True).decode("utf-8")
        assert "Bakkerij De Vrïes &lt;b&gt;" in page and "<b>" not in page
        assert "Beste Jan de Vries," in body
        assert "informatie voor Bakkerij De Vrïes <b>." in body
        assert "Marja de Vries\n030 123 45 67" in body
        step(rt, M, "anna@cafe.example", "bellen")
        text = refused(rt, M, "anna@cafe.example", "informatie opsturen")
        assert "opted out" in text and "direct marketing" in text
    finally:
        rt.close()


def ics_of(raw: bytes) -> tuple[bytes, Message]:
    msg = message_from_bytes(raw)
    cal = [p for p in parts(msg) if p.get_content_type() == "text/calendar"
           and p.get_filename() is None]
    files = [p for p in parts(msg) if p.get_filename() == "uitnodiging.ics"]
    assert len(cal) == 1 and len(files) == 1
    assert cal[0].get_param("method") in ("REQUEST", "CANCEL")
    data = cal[0].get_payload(decode=True)
    assert files[0].get_payload(decode=True) == data
    return data, cal[0]


def test_an_appointment_invites_both_and_move_and_cancel_reuse_the_uid(
        db_url, clock, smtp_server, tmp_path):
    from datetime import timedelta

    from icalendar import Calendar

    from quickcrm.procedures import agenda

    rt = mail_runtime(db_url, clock, smtp_server.url)
    try:
        world(rt, tmp_path)
        step(rt, M, JAN, "bellen")
        start = rt.clock.now() + timedelta(days=7)
        result = step(rt, M, JAN, "afspraak inplannen", start=start, place="Kerkstraat 1, "
                      "Utrecht, in de vergaderzaal op de tweede verdieping achter de balie")
        assert result["mails"] == 2
        rt.deliver()
        assert sorted(r[0] for _f, r, _raw in smtp_server.messages) == [JAN, M]
        uids = set()
        for _f, _r, raw in smtp_server.messages:
            data, part = ics_of(raw)
            assert part.get_param("method") == "REQUEST"
            lines = data.split(b"\r\n")
            assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
            assert max(len(line) for line in lines) <= 75
            assert any(line.startswith(b" ") for line in lines)  # folded
            cal = Calendar.from_ical(data)
            assert str(cal["METHOD"]) == "REQUEST"
            [ev] = cal.walk("VEVENT")
            assert str(ev["ORGANIZER"]) == f"mailto:{M}"
            attendee = ev["ATTENDEE"]
            assert str(attendee) == f"mailto:{JAN}" and attendee.params["RSVP"] == "TRUE"
            assert int(ev["SEQUENCE"]) == 0 and "DTSTAMP" in ev
            assert ev["DTSTART"].dt == start and str(ev["DTSTART"].params["TZID"]) == \
                "Europe/Amsterdam"
            assert cal.walk("VTIMEZONE")
            uids.add(str(ev["UID"]))
        assert len(uids) == 1
        appointment = result["appointment_id"]
        smtp_server.messages.clear()
        with rt.session() as s:
            agenda.move(session=s, actor=actor(rt, M), now=rt.clock.now(), settings=rt.settings,
                        appointment_id=appointment, start=start + timedelta(days=1),
                        minutes=90)
        rt.deliver()
        assert len(smtp_server.messages) == 2
        for _f, _r, raw in smtp_server.messages:
            cal = Calendar.from_ical(ics_of(raw)[0])
            [ev] = cal.walk("VEVENT")
            assert (str(cal["METHOD"]), str(ev["UID"]), int(ev["SEQUENCE"])) == (
                "REQUEST", uids.pop() if uids else str(ev["UID"]), 1)
            uids.add(str(ev["UID"]))
            assert ev["DTEND"].dt - ev["DTSTART"].dt == timedelta(minutes=90)
        smtp_server.messages.clear()
        with rt.session() as s:
            with pytest.raises(NotFound):  # not theirs, and they hold no firm-wide right
                agenda.cancel(session=s, actor=actor(rt, OG), now=rt.clock.now(),
                              settings=rt.settings, appointment_id=appointment)
            agenda.cancel(session=s, actor=actor(rt, M), now=rt.clock.now(),
                          settings=rt.settings, appointment_id=appointment, reason="ziek")
        rt.deliver()
        for _f, _r, raw in smtp_server.messages:
            data, part = ics_of(raw)
            assert part.get_param("method") == "CANCEL"
            cal = Calendar.from_ical(data)
            [ev] = cal.walk("VEVENT")
            assert (str(cal["METHOD"]), str(ev["UID"]), int(ev["SEQUENCE"])) == (
                "CANCEL", next(iter(uids)), 2)
            from email.header import decode_header, make_header

            subject = str(make_header(decode_header(message_from_bytes(raw)["Subject"])))
            assert subject == "Geannuleerd: Afspraak Bakkerij De Vrïes met Marja de Vries"
        with rt.session() as s:
            listed = agenda.list_appointments(session=s, actor=actor(rt, M), cancelled=True)
            assert [(a["status"], a["sequence"]) for a in listed] == [("cancelled", 2)]
            assert agenda.list_appointments(session=s, actor=actor(rt, OG)) == []
    finally:
        rt.close()


def test_import_suspects_cp1252_links_known_relations_and_reports_errors(cli, sqlite_url,
                                                                       tmp_path):
    assert cli("procedure", "matrix", "standaard", "--load",
               "procedure_standaard.toml").exit_code == 0
    assert cli("project", "create", PROJECT, "--procedure", "standaard").exit_code == 0
    clients = tmp_path / "klanten.csv"
    clients.write_text("Relatienummer klant;Bedrijf klant;Voornaam klant;Achternaam klant;"
                       "E-mail klant\n000123;Klant BV;Karel;Klant;karel@klant.example\n",
                       encoding="utf-8")
    assert cli("import", "clients", str(clients)).exit_code == 0
    bad = write_csv(tmp_path / "bad.csv", "Relatienummer klant;" + HEADER
                    + ";Bakkerij;Jan;Smit;geen-adres;Utrecht;nee\n"
                    + ";;Piet;Pieters;piet@garage.example;Zwolle;nee\n"
                    + "000123;;Karel;Klant;karel@klant.example;;nee\n")
    r = cli("import", "suspects", str(bad), "--project", PROJECT)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"{bad}:2:E-mail klant: not a valid e-mail address: 'geen-adres'",
        f"{bad}:3:Bedrijf klant: a new suspect needs a company name"]
    r = cli("project", "show", PROJECT, "--json")
    assert json.loads(r.stdout)["funnel"]["preparing"] == 0
    r = cli("import", "suspects", str(bad), "--project", PROJECT, "--skip-invalid", "--json")
    assert r.exit_code == 0, r.output
    assert {k: json.loads(r.stdout)[k] for k in ("created", "linked", "rejected")} == {
        "created": 0, "linked": 1, "rejected": 2}
    good = write_csv(tmp_path / "suspects.csv", HEADER + ROWS)
    r = cli("import", "suspects", str(good), "--project", PROJECT, "--dry-run", "--json")
    assert json.loads(r.stdout)["created"] == 3
    r = cli("import", "suspects", str(good), "--project", PROJECT, "--json")
    assert json.loads(r.stdout)["created"] == 3
    r = cli("import", "suspects", str(good), "--project", PROJECT, "--json")
    data = json.loads(r.stdout)
    assert (data["created"], data["linked"], data["already_in_project"]) == (0, 3, 3)
    r = cli("project", "prospects", PROJECT, "--preparing", "--json")
    rows = json.loads(r.stdout)["contacts"]
    assert [(c["relation"], c["company"]) for c in rows] == [
        ("000123", "Klant BV"), ("SU000001", "Bakkerij De Vrïes"),
        ("SU000002", "Garage Pieters"), ("SU000003", "Café Hoek")]
    import sqlite3

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        stages = dict(db.execute("SELECT number, stage FROM relation"))
    assert stages == {"000123": "customer", "SU000001": "suspect", "SU000002": "suspect",
                      "SU000003": "suspect"}  # a customer linked keeps its stage
    r = cli("person", "search", "hoek", "--json")  # imported contacts are findable
    assert r.exit_code == 0, r.output
    assert "anna@cafe.example" in r.stdout


def impersonations(sqlite_url: str) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
        return db.execute("SELECT user_id, details FROM event WHERE kind = "
                          "'user.impersonated'").fetchall()


def test_cli_working_a_contact_end_to_end(cli, tmp_path, sqlite_url):
    assert cli("procedure", "matrix", "standaard", "--load",
               "procedure_standaard.toml").exit_code == 0
    for email, name in ((M, "Marja de Vries"), (OG, "Olga Bakker")):
        assert cli("user", "add", email, "--name", name).exit_code == 0
    assert cli("project", "create", PROJECT, "--procedure", "standaard").exit_code == 0
    assert cli("project", "member", "add", PROJECT, M, "--role", "marketeer").exit_code == 0
    r = cli("project", "member", "add", PROJECT, M, "--role", "opdrachtgever")
    assert r.exit_code == 1 and "one role per project" in r.stderr
    good = write_csv(tmp_path / "suspects.csv", HEADER + ROWS)
    assert cli("import", "suspects", str(good), "--project", PROJECT).exit_code == 0
    r = cli("project", "prospects", PROJECT, "--as", M)
    assert r.exit_code == 0 and "jan@bakkerij.example" not in r.stdout
    assert cli("project", "release", PROJECT, "--all").exit_code == 0
    r = cli("procedure", "next", PROJECT, "SU000001", "--as", M, "--json")
    assert json.loads(r.stdout)["may"] == ["bellen"]
    # from here the administrator is the running account's user, acting as M
    from quickcrm.bootstrap import running_account

    admin = "admin@quickcrm.example"
    assert cli("user", "edit", admin, "--os-user", running_account()).exit_code == 0
    r = cli("procedure", "step", PROJECT, "SU000001", "terugbellen", "--as", M)
    assert r.exit_code == 1 and r.stderr.startswith("not permitted: taking step 'terugbellen'")
    assert impersonations(sqlite_url) == []  # a refused step records nothing
    r = cli("procedure", "step", PROJECT, "SU000001", "bellen", "--as", M,
            "--note", "terugbellen")
    assert r.exit_code == 0 and "is a prospect now" in r.stdout
    # the administrator took it as M: recorded once, with the step
    [(by, details)] = impersonations(sqlite_url)
    assert json.loads(details)["email"] == M and by is not None
    r = cli("procedure", "step", PROJECT, JAN, "afspraak inplannen", "--start",
            "2030-01-07 10:00", "--place", "Kantoor", "--as", M, "--json")
    assert r.exit_code == 0, r.output
    appt = json.loads(r.stdout)["appointment_id"]
    r = cli("agenda", "list", "--as", M, "--json")
    assert [a["start"] for a in json.loads(r.stdout)] == ["2030-01-07T10:00:00+01:00"]
    assert cli("agenda", "list", "--as", OG, "--json").stdout.strip() == "[]"
    r = cli("agenda", "show", str(appt), "--ics", str(tmp_path / "a.ics"))
    assert r.exit_code == 0 and (tmp_path / "a.ics").read_bytes().startswith(
        b"BEGIN:VCALENDAR\r\n")
    r = cli("agenda", "move", str(appt), "--start", "2030-01-08 11:00", "--as", M, "--json")
    assert json.loads(r.stdout)["sequence"] == 1
    r = cli("agenda", "cancel", str(appt), "--reason", "ziek", "--as", OG)
    assert r.exit_code == 1 and "unknown appointment" in r.stderr
    r = cli("agenda", "cancel", str(appt), "--reason", "ziek", "--as", M, "--json")
    assert (json.loads(r.stdout)["status"], json.loads(r.stdout)["sequence"]) == ("cancelled", 2)
    assert cli("procedure", "reason", "add", "geen interesse").exit_code == 0
    r = cli("procedure", "status", PROJECT, "SU000002", "closed", "--reason", "geen interesse",
            "--as", M)
    assert r.exit_code == 0 and "running -> closed (geen interesse)" in r.stdout
    r = cli("procedure", "status", PROJECT, "SU000002", "preparing", "--as", M)
    assert r.exit_code == 1 and "manage projects" in r.stderr
    r = cli("project", "show", PROJECT, "--json")
    assert json.loads(r.stdout)["funnel"]["closed_by_reason"] == {"geen interesse": 1}
    r = cli("procedure", "list", "--json")
    listed = json.loads(r.stdout)
    assert [p["name"] for p in listed["procedures"]] == ["standaard"]
    assert listed["reasons"] == ["geen interesse"]
    (tmp_path / "t.j2").write_text("Tekst", encoding="utf-8")
    r = cli("procedure", "steptype", "add", "bezoek", "--kind", "appointment", "--body",
            str(tmp_path / "t.j2"))
    assert r.exit_code == 1 and "leave out --body" in r.stderr
    r = cli("procedure", "matrix", "standaard", "--role", "marketeer")
    assert r.exit_code == 0 and "✓" in r.stdout and "terugbellen" in r.stdout
    r = cli("procedure", "step", "Geen project", JAN, "bellen", "--as", M)
    assert r.exit_code == 1 and r.stderr.strip().startswith("unknown project 'Geen project'")
    r = cli("procedure", "steptype", "add", "brief", "--kind", "email", "--subject", "x",
            "--body", str(tmp_path / "geen.j2"))
    assert r.exit_code == 1 and "cannot read the template" in r.stderr
    (tmp_path / "b.j2").write_text("Beste {{ contact.voornaam }}", encoding="utf-8")
    r = cli("procedure", "steptype", "add", "brief", "--kind", "email", "--subject", "x",
            "--body", str(tmp_path / "b.j2"))
    assert r.exit_code == 1 and "b.j2" in r.stderr and "voornaam" in r.stderr
