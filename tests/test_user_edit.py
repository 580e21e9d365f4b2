"""`user edit` (issue 23 item 11): a relationship manager that a client import created
gets a corrected name, a function, a phone number, a signature and a photo; invitations
are signed with them (seed 000: "met als ondertekening de relatiemanager")."""

from __future__ import annotations

import io
import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from _clientfiles import client, write_csv
from sqlmodel import select

from quickcrm.errors import InvalidInput, InvalidState, NotPermitted

RM = "r.meer@kantoor.example"


def import_file(rt: Any, path: Path) -> None:
    from quickcrm.crm.importer import import_clients

    with rt.session() as s:
        import_clients(session=s, actor=rt.actor, now=rt.clock.now(), path=path)


def edit(rt: Any, email: str = RM, actor: Any = None, **changes: Any) -> Any:
    from quickcrm.crm.users import UserEdit, edit_user

    with rt.session() as s:
        return edit_user(session=s, actor=actor or rt.actor, now=rt.clock.now(), email=email,
                         edit=UserEdit(**changes))


def invitations(sink: Any) -> list[Any]:
    msgs = [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in sink.messages]
    return [m for m in msgs if not m["Subject"].startswith("[Kopie]")]


def test_an_imported_rm_is_corrected_and_signs_invitations_with_function_and_phone(
        db_url, clock, smtp_server, tmp_path):
    from test_send import runtime

    from quickcrm.campaigns.campaign import create_campaign, finalize_campaign
    from quickcrm.campaigns.criteria import Refinements
    from quickcrm.campaigns.faces import write_faces
    from quickcrm.campaigns.selection import select_clients
    from quickcrm.campaigns.sending import send
    from quickcrm.crm.users import add_user
    from quickcrm.quickscans.definitions import get_quickscan
    from quickcrm.store.models import Event, Relation

    rt = runtime(db_url, clock, smtp_server.url)
    import_file(rt, write_csv(tmp_path / "klanten.csv", [
        client("000001", rm_first_name="Rita", rm_last_name="Mer", rm_email=RM)]))
    with rt.session() as s:  # the import made the RM; adding them again is refused
        with pytest.raises(InvalidState, match="already exists"):
            add_user(session=s, actor=rt.actor, now=rt.clock.now(), email=RM)
    out = edit(rt, first_name="Rita", last_name="van der Meer", function="Relatiemanager MKB",
               phone="030 123 45 67")
    assert (out.name, out.initials, out.function, out.phone) == (
        "Rita van der Meer", "R.V.", "Relatiemanager MKB", "030 123 45 67")
    with rt.session() as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=rt.clock.now())
        rel = s.exec(select(Relation)).one()
        write_faces(s, relation_id=rel.id, quickscan_id=qs.id, now=rt.clock.now(),
                    faces={"profile": "1", "update": "1", "rm": "1"})
        s.commit()
        create_campaign(session=s, actor=rt.actor, now=rt.clock.now(), name="Voorjaar",
                        quickscan="bedrijfsopvolging", coordinator="admin@quickcrm.example")
        select_clients(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar",
                       criteria=Refinements())
        finalize_campaign(session=s, actor=rt.actor, now=rt.clock.now(), campaign="Voorjaar")
    send(rt=rt, campaign="Voorjaar")
    [invite] = invitations(smtp_server)
    assert invite["From"].addresses[0].display_name == "Rita van der Meer"
    text = invite.get_body(("plain",)).get_content()
    greeting = text.split("Met vriendelijke groet,")[1].strip().splitlines()
    assert greeting[:3] == ["Rita van der Meer", "Relatiemanager MKB", "T 030 123 45 67"]
    # a signature the RM writes replaces the composed lines in the next mail
    edit(rt, signature="Rita van der Meer\nUw vaste adviseur")
    with rt.session(read_only=True) as s:
        kinds = [json.loads(e.details) for e in s.exec(select(Event).where(
            Event.kind == "user.updated").order_by(Event.id))]
    assert kinds[0]["email"] == RM
    assert kinds[0]["changes"]["last_name"] == ["Mer", "van der Meer"]
    assert kinds[0]["changes"]["initials"] == ["R.M.", "R.V."]
    assert kinds[1]["changes"] == {"signature": ["", "Rita van der Meer\nUw vaste adviseur"]}
    from quickcrm.campaigns.mails import manager_of
    from quickcrm.crm.users import get_user

    with rt.session(read_only=True) as s:
        assert manager_of(get_user(session=s, email=RM)).signoff == \
            "Rita van der Meer\nUw vaste adviseur"
    rt.close()


def _jpeg_with_gps(size: tuple[int, int] = (1200, 900)) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825)[2] = (52.0, 5.0, 10.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_checked_re_encoded_and_stored_without_its_metadata(rt, tmp_path):
    from PIL import Image
    from test_campaigns import add_user

    from quickcrm.crm.photos import read_photo
    from quickcrm.crm.users import user_photo

    uid = add_user(rt, RM)
    raw = _jpeg_with_gps()
    assert b"PhoneMaker" in raw
    (tmp_path / "rita.jpg").write_bytes(raw)
    out = edit(rt, photo=read_photo(tmp_path / "rita.jpg"))
    assert out.photo is True
    with rt.session(read_only=True) as s:
        stored = user_photo(session=s, user_id=uid)
        assert stored is not None
        data, kind = bytes(stored.data), stored.content_type
    assert kind == "image/jpeg" and (stored.width, stored.height) == (600, 450)
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG" and picture.size == (600, 450)
    assert b"PhoneMaker" not in data and not picture.getexif()
    # a transparent PNG stays a PNG
    logo = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(logo, "PNG")
    (tmp_path / "logo.png").write_bytes(logo.getvalue())
    assert read_photo(tmp_path / "logo.png").content_type == "image/png"
    # removing it
    assert edit(rt, remove_photo=True).photo is False


@pytest.mark.parametrize("name, content, message", [
    ("notes.jpg", b"just some text, named like a photo", "not a photo QuickCRM accepts"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
     "not a photo QuickCRM accepts"),
    ("cut.jpg", None, "damaged"),
    ("huge.png", None, "at most 40 million"),
    ("video.jpg", None, "at most 5 MB"),
])
def test_a_photo_that_is_not_a_safe_picture_is_refused_in_one_line(tmp_path, name, content,
                                                                    message):
    from PIL import Image

    from quickcrm.crm.photos import read_photo

    path = tmp_path / name
    if name == "cut.jpg":
        content = _jpeg_with_gps()[:2000]
    elif name == "huge.png":
        out = io.BytesIO()
        Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 million pixels, a few kB
        content = out.getvalue()
    elif name == "video.jpg":
        content = _jpeg_with_gps() + b"\0" * (5 * 1024 * 1024)
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as refused:
        read_photo(path)
    assert str(refused.value).startswith(str(path)) and "\n" not in str(refused.value)


def test_who_may_edit_whom_and_bad_values_change_nothing(rt):
    from test_campaigns import add_user

    from quickcrm.bootstrap import bootstrap
    from quickcrm.crm.users import get_user, to_public

    add_user(rt, RM)
    add_user(rt, "k.berg@kantoor.example")
    rita = bootstrap(database_url=rt.settings.database_url, env={}, clock=rt.clock,
                     acting_as=RM)
    assert edit(rt, actor=rita.actor, phone="+31 6 1234 5678").phone == "+31 6 1234 5678"
    with pytest.raises(NotPermitted, match="^not permitted: changing another user needs admin$"):
        edit(rt, "k.berg@kantoor.example", actor=rita.actor, phone="030 1")
    with pytest.raises(NotPermitted, match="needs admin"):
        edit(rt, actor=rita.actor, team="Zwolle")  # whose clients they are: the admin's call
    for changes, message in (({"phone": "bel me"}, "not a phone number"),
                             ({"function": "x" * 101}, "at most 100 characters"),
                             ({"function": "Relatie\x00manager"}, "control characters")):
        with pytest.raises(InvalidInput, match=message):
            edit(rt, **changes)
    with rt.session(read_only=True) as s:
        user = to_public(s, get_user(session=s, email=RM))
    assert (user.phone, user.function, user.team) == ("+31 6 1234 5678", "", None)
    assert edit(rt, team="Zwolle").team == "Zwolle"
    assert edit(rt, team="").team is None
    rita.close()


def test_user_edit_on_the_command_line(cli, tmp_path):
    assert cli("user", "add", RM, "--name", "Rita Mer", "-r", "rm").exit_code == 0
    (tmp_path / "rita.jpg").write_bytes(_jpeg_with_gps((300, 400)))
    done = cli("user", "edit", RM, "--name", "Rita van der Meer", "--function",
               "Relatiemanager MKB", "--phone", "030 123 45 67", "--signature",
               "Rita\\nAdviseur", "--photo", tmp_path / "rita.jpg", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert {k: shown[k] for k in ("name", "initials", "function", "phone", "signature",
                                  "photo")} == {
        "name": "Rita van der Meer", "initials": "R.V.", "function": "Relatiemanager MKB",
        "phone": "030 123 45 67", "signature": "Rita\nAdviseur", "photo": True}
    human = cli("user", "show", RM)
    assert "Relatiemanager MKB" in human.stdout and "030 123 45 67" in human.stdout
    bad = cli("user", "edit", RM, "--photo", tmp_path / "nope.png")
    assert bad.exit_code == 1 and bad.stderr.strip() == f"{tmp_path / 'nope.png'}: no such file"
    both = cli("user", "edit", RM, "--photo", tmp_path / "rita.jpg", "--no-photo")
    assert both.exit_code == 1 and "not both" in both.stderr
    unknown = cli("user", "edit", "nobody@kantoor.example", "--phone", "030 1234567")
    assert unknown.exit_code == 1 and unknown.stderr.strip() == \
        "unknown user 'nobody@kantoor.example'"
