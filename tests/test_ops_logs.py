"""The log (issue 30 item 6): `log.format = json` lines from a real daemon run and a real
`serve` parse, carry time, level, job and Message-ID, and hold no e-mail address or
token; the access log writes /q/… and /p/… with the token replaced."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from test_daemon import queue

from quickcrm.ops.logs import redact

RECIPIENTS = [f"klant{i}@example.nl" for i in range(5)]


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env.update({"QUICKCRM_DATABASE_URL": db_url, **extra})
    return env


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_daemon_json_log_lines_parse_and_hold_no_address_or_name(db_url, smtp_server, tmp_path):
    queue(db_url, 5)
    smtp_server.reject.add("klant3@example.nl")
    log = tmp_path / "quickcrm.log"
    r = subprocess.run([sys.executable, "-m", "quickcrm", "daemon", "--once"], cwd=tmp_path,
                       env=env_for(db_url, QUICKCRM_SMTP_URL=smtp_server.url,
                                   QUICKCRM_LOG_FORMAT="json", QUICKCRM_LOG_FILE=str(log)),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # everything went to log.file
    lines = lines_of(log)
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    deliver = [x for x in lines if x.get("job") == "deliver"]
    assert any("delivered=4" in str(x["message"]) and "rejected=1" in str(x["message"])
               for x in deliver)
    (rejected,) = [x for x in lines if "rejected:" in str(x["message"])]
    assert rejected["level"] == "warning" and rejected["job"] == "deliver"
    assert str(rejected["message_id"]).startswith("<") and rejected["ref"] == "test:3"
    assert "<e-mail>" in str(rejected["message"])  # the server quoted the address
    text = log.read_text(encoding="utf-8")
    for address in [*RECIPIENTS, "jan@kantoor.example", "noreply@kantoor.example"]:
        assert address not in text
    assert "Jan de Vries" not in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_access_log_replaces_the_tokens(sqlite_url, tmp_path):
    import httpx

    from quickcrm.store.db import make_engine

    make_engine(sqlite_url).dispose()
    port, log = free_port(), tmp_path / "web.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "quickcrm", "serve", "--port", str(port), "--access-log"],
        cwd=tmp_path, env=env_for(sqlite_url, QUICKCRM_LOG_FORMAT="json",
                                  QUICKCRM_LOG_FILE=str(log)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    token, preview, visitor = "Ab3dEf6hIj9kLmN0pQrStUvWxYz12345", "PrEvIeWtOkEn0987", "ViSiToR42"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("serve did not start") from None
                time.sleep(0.1)
        for path in (f"/q/{token}", f"/q/{token}/stap/2", f"/p/{preview}",
                     f"/l/opvolging/{visitor}/overzicht", f"/l/opvolging/bevestig/{visitor}",
                     f"/q/{token}?mail=klant@example.nl"):
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    finally:
        server.terminate()
        server.wait(30)
    lines = lines_of(log)
    paths = [x["path"] for x in lines if x.get("logger") == "uvicorn.access"]
    assert [p for p in paths if p != "/robots.txt"] == ["/q/…", "/q/…/stap/2", "/p/…", "/l/opvolging/…/overzicht",
                         "/l/opvolging/bevestig/…", "/q/…?…"]
    assert all(x["status"] for x in lines if x.get("logger") == "uvicorn.access")
    text = log.read_text(encoding="utf-8")
    for secret in (token, preview, visitor, "klant@example.nl"):
        assert secret not in text


def test_redact_and_the_plain_format():
    assert redact("550 5.1.1 <klant@example.nl>: user unknown") == \
        "550 5.1.1 <<e-mail>>: user unknown"
    assert redact('"GET /q/abc_DEF-123/stap/1 HTTP/1.1" 200') == '"GET /q/…/stap/1 HTTP/1.1" 200'
    assert redact("/l/opvolging") == "/l/opvolging"  # a landing page itself is public
    from quickcrm.ops.logs import PlainFormatter, Redact

    record = logging.LogRecord("quickcrm.mail", logging.WARNING, __file__, 1,
                               "rejected: %s", ("550 <a.b@c.nl>",), None)
    record.message_id = "<x1@quickcrm>"
    Redact().filter(record)
    line = PlainFormatter().format(record)
    assert line.endswith("quickcrm.mail WARNING rejected: 550 <<e-mail>> "
                         "[message_id=<x1@quickcrm>]")
