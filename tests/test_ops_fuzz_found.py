"""Crashes benchmarks/fuzz_inputs.py found (issue 30 item 10), each a regular test."""

from __future__ import annotations

from quickcrm.mail.bounces import NONE, parse_bounce


def test_an_empty_message_or_one_without_a_from_address_is_no_bounce_not_a_crash():
    # flufl.bounce's Yale detector indexed the parsed From: addresses of an empty message
    for raw in (b"", b"Subject: x\r\n\r\nbody", b"From: \r\n\r\n"):
        info = parse_bounce(raw)
        assert info.kind == NONE and info.addresses == ()


def test_a_csrf_field_with_non_ascii_characters_is_refused_not_a_500(rt):
    # hmac.compare_digest raises TypeError for str with non-ASCII characters
    from starlette.testclient import TestClient
    from web_support import seed_invitation

    from quickcrm.web.app import create_app

    seeded = seed_invitation(rt)
    client = TestClient(create_app(rt), base_url="http://localhost:8000")
    for path, data in ((f"/q/{seeded.token}/keuze", {"keuze": "ja", "csrf": "é" * 64}),
                       (f"/q/{seeded.token}/antwoord", {"vraag": "toelichting",
                                                        "waarde": "x", "csrf": "\u0660"})):
        response = client.post(path, data=data)
        assert response.status_code == 403, (path, response.status_code)


def test_a_landing_form_token_with_non_ascii_digits_is_refused(cli, sqlite_url, clock):
    from quickcrm.bootstrap import bootstrap
    from quickcrm.landing import visitors as lv

    assert cli("landing", "create", "bedrijfsopvolging", "--slug", "opvolging").exit_code == 0
    rt = bootstrap(database_url=sqlite_url, env={}, clock=clock)
    try:
        with rt.session(read_only=True) as s:
            page = lv.find_page(s, "opvolging")
        issued = int(clock.now().timestamp())
        arabic = "".join(chr(0x0660 + int(d)) for d in str(issued))  # isdigit() is True
        assert not lv.form_csrf_ok(page.page, f"{arabic}.é", clock.now())
        assert lv.form_csrf_ok(page.page, lv.form_csrf(page.page, issued), clock.now())
    finally:
        rt.close()


def test_a_utf8_bom_file_with_bytes_that_are_not_utf8_is_one_line_naming_the_line(cli, tmp_path):
    # detect_encoding trusted the byte order mark; the reader then raised UnicodeDecodeError
    from _clientfiles import HEADERS

    path = tmp_path / "klanten.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ";".join(HEADERS).encode() + b"\r\n"
                     + b"Jan;de Vries;000123;Utrecht;Caf\xc2(;;;;;;;;;;;;;;;;\r\n")
    result = cli("import", "clients", str(path))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "line 2" in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_a_mail_template_nested_thousands_deep_is_refused_naming_its_place(cli, tmp_path):
    # jinja's parser is recursive: a subject of thousands of "{" raised RecursionError out
    # of the definition loader; the same text as a step type's subject
    from quickcrm.quickscans.definitions import shipped_dir

    shipped = sorted(shipped_dir().glob("*.toml"))[0].read_text(encoding="utf-8")
    deep = "{{ " + "{" * 3000 + " }}"
    start = shipped.index('subject = "', shipped.index("[mails.invitation]"))
    end = shipped.index("\n", start)
    path = tmp_path / "diep.toml"
    path.write_text(shipped[:start] + f'subject = "{deep}"' + shipped[end:], encoding="utf-8")
    result = cli("quickscan", "load", str(path))
    assert result.exit_code == 1, result.output
    assert "mails.invitation.subject" in result.stderr
    assert "nested too deeply" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    step = cli("procedure", "steptype", "add", "informatie", "--kind", "email",
               "--subject", deep, "--body", str(tmp_path / "missing.j2"))
    assert step.exit_code == 1 and "Traceback" not in step.output + step.stderr
    body = tmp_path / "tekst.j2"
    body.write_text("Beste {{ contact.first_name }},", encoding="utf-8")
    step = cli("procedure", "steptype", "add", "informatie", "--kind", "email",
               "--subject", deep, "--body", str(body))
    assert step.exit_code == 1 and "nested too deeply" in step.stderr, step.stderr
