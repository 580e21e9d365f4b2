"""The firm's branding settings, checked once in quickcrm.branding (issue 25 item 4)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from quickcrm import branding
from quickcrm.errors import ConfigError
from quickcrm.settings import load_settings


def _png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (31, 78, 121)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def test_defaults_give_the_firm_name_colours_and_own_privacy_page() -> None:
    b = branding.from_settings(load_settings(env={}))
    assert b.name == "Voorbeeld Accountants"
    assert b.logo_path is None and b.logo_bytes is None and b.logo_mime is None
    assert (b.color_primary, b.color_accent) == ("#1f4e79", "#b34700")
    assert b.privacy_url == "http://localhost:8000/privacy"
    assert b.on_primary == "#ffffff"
    assert b.contact_lines == ()


def test_logo_relative_to_the_config_file_and_read_lazily(tmp_path: Path) -> None:
    (tmp_path / "huisstijl").mkdir()
    _png(tmp_path / "huisstijl" / "logo.png")
    toml = tmp_path / "conf" / "quickcrm.toml"
    toml.parent.mkdir()
    toml.write_text('[firm]\nlogo_file = "../huisstijl/logo.png"\ncolor_primary = "#FFCC00"\n'
                    'phone = "020 123 45 67"\nprivacy_url = "https://firma.nl/privacy"\n')
    b = branding.from_settings(load_settings(config=toml, env={}))
    assert b.logo_path == (tmp_path / "huisstijl" / "logo.png").resolve()
    assert b.logo_mime == "image/png" and b.logo_suffix == ".png"
    assert b.logo_bytes is not None and b.logo_bytes.startswith(branding.PNG_MAGIC)
    assert b.color_primary == "#ffcc00" and b.on_primary == "#000000"  # yellow: black text
    assert b.privacy_url == "https://firma.nl/privacy"
    assert b.contact_lines == ("020 123 45 67",)


@pytest.mark.parametrize("env, message", [
    ({"QUICKCRM_FIRM_COLOR": "blue"}, "firm.color_primary (QUICKCRM_FIRM_COLOR): must be a colour"),
    ({"QUICKCRM_FIRM_ACCENT": "#12345"}, "firm.color_accent (QUICKCRM_FIRM_ACCENT): must be"),
    ({"QUICKCRM_FIRM_LOGO": "missing.png"}, "logo file 'missing.png' not found"),
    ({"QUICKCRM_FIRM_LOGO": "notes.txt"}, "is not a PNG or JPEG image"),
    ({"QUICKCRM_FIRM_LOGO": "."}, "is a folder"),
    ({"QUICKCRM_FIRM_WEBSITE": "www.firma.nl"}, "firm.website (QUICKCRM_FIRM_WEBSITE): must be"),
])
def test_bad_settings_are_refused_naming_the_setting(env: dict[str, str], message: str,
                                                      tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("GIF89a nope")
    with pytest.raises(ConfigError) as err:
        branding.from_settings(load_settings(env=env))
    assert message in str(err.value)


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert branding.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert branding.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_report_mail_carries_the_firm_logo_colours_contact_and_privacy(sqlite_url, clock,
                                                                       smtp_server, tmp_path):
    """The e-mails a client gets are the firm's too: logo, colour, contact details and
    the privacy statement (issue 25 item 4)."""
    import re
    from email import message_from_bytes

    import httpx
    from web_support import running_app, seed_invitation, wait_for

    from quickcrm.bootstrap import bootstrap

    _png(tmp_path / "logo.png")
    rt = bootstrap(database_url=sqlite_url, clock=clock, env={
        "QUICKCRM_SMTP_URL": smtp_server.url, "QUICKCRM_FIRM_LOGO": str(tmp_path / "logo.png"),
        "QUICKCRM_FIRM_COLOR": "#7a1f5c", "QUICKCRM_FIRM_PHONE": "030 123 45 67",
        "QUICKCRM_FIRM_PRIVACY_URL": "https://www.firma.nl/privacy",
        "QUICKCRM_BASE_URL": "https://scan.firma.nl"})
    sd = seed_invitation(rt)
    with running_app(rt) as base, httpx.Client(base_url=base) as client:
        page = client.get(f"/q/{sd.token}").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        client.post(f"/q/{sd.token}/keuze", data={"csrf": csrf, "keuze": "ja"})
        client.post(f"/q/{sd.token}/rapportage", data={"csrf": csrf})
        wait_for(lambda: len(smtp_server.messages) >= 2)
        assert client.get("/huisstijl/logo").content.startswith(branding.PNG_MAGIC)
        assert "--primary: #7a1f5c" in client.get("/huisstijl.css").text
    rt.close()
    msg = message_from_bytes(smtp_server.messages[0][2])
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert '<img src="https://scan.firma.nl/huisstijl/logo" alt="Voorbeeld Accountants"' in body
    assert "border-bottom:3px solid #7a1f5c" in body
    assert "030 123 45 67" in body and 'href="https://www.firma.nl/privacy"' in body


def test_serve_and_landing_create_stop_on_a_bad_branding_setting(cli) -> None:
    served = cli("serve", "--port", "1", env={"QUICKCRM_FIRM_COLOR": "blue"})
    assert served.exit_code == 1
    assert "firm.color_primary (QUICKCRM_FIRM_COLOR): must be a colour" in served.stderr
    made = cli("landing", "create", "bedrijfsopvolging", "--slug", "x",
               env={"QUICKCRM_FIRM_LOGO": "weg.png"})
    assert made.exit_code == 1 and "logo file 'weg.png' not found" in made.stderr
