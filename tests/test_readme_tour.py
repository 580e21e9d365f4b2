"""The README's "A short tour", run as a new user would (issue 23 item 16): every line
of its code block, in order, in an empty directory, on the fresh database it creates,
with a real send into the maildir. Each line must exit 0 and show the figures a user
would expect to be non-zero (the lines are read from README.md, so the tour and this test
cannot drift apart). `serve` runs as a real server, and the link in a client's invitation
from the maildir opens their QuickScan."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from conftest import ROOT


def tour_lines() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## A short tour", 1)[1].split("```", 2)[1]
    lines = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [args for args in lines if args]


def number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return int(found.group(1))


# What a user looks at in each line's output: the figure that must not be zero (the
# first entry whose words the line holds applies, so the narrower ones come first).
CHECKS: list[tuple[tuple[str, ...], Callable[[str], bool]]] = [
    (("sample", "generate"), lambda out: number(r"wrote (\d+) clients", out) > 0),
    (("import", "clients"), lambda out: number(r"(\d+) created", out) == 600),
    (("clients", "list"), lambda out: "000313" in out and "Handel" in out),
    (("export", "clients"), lambda out: number(r"exported (\d+) clients", out) == 600),
    (("user", "add"), lambda out: "added j.devries@kantoor.example (coordinator)" in out),
    (("user", "edit"), lambda out: "Relatiemanager MKB" in out and "030 123 45 67" in out),
    (("quickscan", "list"), lambda out: "bedrijfsopvolging" in out),
    (("faces", "compute"), lambda out: number(r"(\d+) profile faces written", out) > 0),
    (("faces", "show"), lambda out: "● " in out),  # a face that is set, in its colour
    (("campaign", "create"), lambda out: "created campaign 'Voorjaar 2027'" in out),
    (("select",), lambda out: number(r"selected\W+(\d+)", out) > 0),
    (("exclude",), lambda out: "excluded: 000315" in out),
    (("campaign", "finalize"), lambda out: number(r"(\d+) clients selected", out) > 0),
    (("send", "--dry-run"), lambda out: number(r"would queue (\d+) invitations", out) > 0
     and "Met vriendelijke groet," in out),
    (("send",), lambda out: number(r"queued (\d+) invitations", out) > 0
     and number(r"delivered (\d+)", out) > 0),
    (("remind",), lambda out: number(r"first reminders sent: (\d+)", out) > 0),
    (("report", "--excel"), lambda out: number(r"(\d+) clients", out) > 0
     and "wrote respons.png" in out),
    (("report", "--client"), lambda out: bool(re.search(r"wrote .*\.pdf", out))),
    (("report",), lambda out: number(r"Invitations sent\W+(\d+)", out) > 0
     and number(r"First reminders sent\W+(\d+)", out) > 0),
    (("daemon",), lambda out: number(r"second_reminders=(\d+)", out) > 0),
    (("config", "show"), lambda out: "database.url" in out),
    (("db", "upgrade"), lambda out: "database at revision" in out),
]


def check_for(args: list[str]) -> Callable[[str], bool]:
    for words, check in CHECKS:
        if args[1] == words[0] and all(w in args for w in words[1:]):
            return check
    raise AssertionError(f"the tour line {shlex.join(args)!r} has no check in this test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_links(outbox: Path) -> list[str]:
    links = []
    for path in sorted((outbox / "new").iterdir()):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(msg["Subject"]).startswith("Personal QuickScan"):
            links += re.findall(r"http://localhost:8000/q/[A-Za-z0-9_-]+",
                                msg.get_body(("plain",)).get_content())
    return links


def serve_and_open_a_link(args: list[str], cwd: Path) -> None:
    """`quickcrm serve` as a real server (on a free port instead of 8000); a client's
    link from their invitation in the maildir opens their QuickScan."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "quickcrm", *args[1:], "--port", str(port)],
                              cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        link = client_links(cwd / "outbox")[0].replace("localhost:8000", f"127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(link, timeout=5) as page:
                    body = page.read().decode("utf-8")
                    assert page.status == 200
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "quickcrm serve did not answer"
                time.sleep(0.3)
        assert "Bedrijfsopvolging" in body
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_every_line_of_the_readme_tour_works_in_order(tmp_path):
    from typer.testing import CliRunner

    from quickcrm.cli.main import app

    lines = tour_lines()
    assert len(lines) >= 20 and all(args[0] == "quickcrm" for args in lines)
    runner = CliRunner()
    sent = 0
    for args in lines:
        if args[1] == "serve":
            serve_and_open_a_link(args, tmp_path)
            continue
        if args[1] == "daemon":  # its figures are log lines: a real process, as cron runs it
            done = subprocess.run([sys.executable, "-m", "quickcrm", *args[1:]], cwd=tmp_path,
                                  capture_output=True, text=True, timeout=120)
            exit_code, output = done.returncode, done.stdout + done.stderr
        else:
            result = runner.invoke(app, args[1:], env={})
            exit_code, output = result.exit_code, result.stdout + result.stderr
        assert exit_code == 0, f"{shlex.join(args)}\n{output}"
        assert check_for(args)(output), f"{shlex.join(args)}\n{output}"
        if args[1] == "send" and "--dry-run" not in args:
            sent = number(r"queued (\d+) invitations", output)
    assert (tmp_path / "quickcrm.db").is_file()
    assert len(client_links(tmp_path / "outbox")) == sent  # one invitation per client
