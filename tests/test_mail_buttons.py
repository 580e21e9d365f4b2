"""Issue 24 item 1: every invitation, reminder and relationship manager's copy of every
shipped QuickScan has exactly one button, with the plain link under it; the 10-day
notice to the RM links that client's preview. Real sends to a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from test_campaigns import add_clients, new_campaign, run_select
from test_send import invitation_rows, parsed, runtime

from quickcrm.clock import FixedClock

MONDAY_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
BASE = "https://scan.kantoor.example"


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (href, class, text)
        self._open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            a = dict(attrs)
            self._open = [a.get("href") or "", a.get("class") or "", ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append(tuple(self._open))  # type: ignore[arg-type]
            self._open = None


def anchors(message: Any) -> list[tuple[str, str, str]]:
    parser = Anchors()
    parser.feed(message.get_body(("html",)).get_content())
    return parser.links


def assert_one_button(message: Any, url: str) -> None:
    every = anchors(message)
    # the footer's link to the firm's privacy statement (issue 25 item 4) is no button
    links = [a for a in every if "privacy" not in a[1].split()]
    assert len(every) - len(links) <= 1
    buttons = [a for a in links if "button" in a[1].split()]
    assert len(buttons) == 1, (message["Subject"], links)
    assert buttons[0][0] == url and buttons[0][2].strip()
    # under the button: the plain link, as text a client can copy
    assert [a for a in links if a[0] == url and a[1] == ""] == [(url, "", url)]
    # nothing else leads to a QuickScan page (the footer may link the privacy statement)
    assert [a for a in links if ("/q/" in a[0] or "/p/" in a[0]) and a[0] != url] == []
    assert url in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("quickscan", ["bedrijfsopvolging", "bedrijfsopvolging-update"])
def test_every_campaign_mail_of_every_shipped_quickscan_has_one_button(
        quickscan, sqlite_url, smtp_server):
    from quickcrm.campaigns.campaign import finalize_campaign
    from quickcrm.campaigns.reminders import remind
    from quickcrm.campaigns.sending import send

    clock = FixedClock(MONDAY_9)
    rt = runtime(sqlite_url, clock, smtp_server.url)
    add_clients(rt, {"number": "000001", "rm": "rm.utrecht@kantoor.example"},
                quickscan=quickscan)
    new_campaign(rt, "Voorjaar", quickscan=quickscan)
    run_select(rt, "Voorjaar")
    with rt.session() as s:
        finalize_campaign(session=s, actor=rt.actor, now=clock.now(), campaign="Voorjaar")
    send(rt=rt, campaign="Voorjaar")
    (row,) = invitation_rows(rt)
    client_url, preview_url = f"{BASE}/q/{row.token}", f"{BASE}/p/{row.preview_token}"
    for day in (26, 30, 33):  # first reminder, second reminder, the 10-day notice
        clock.at = datetime(2026, 11, day, 9, tzinfo=UTC) if day <= 30 else \
            datetime(2026, 12, day - 30, 9, tzinfo=UTC)
        remind(rt=rt)
    rt.close()
    by_kind: dict[str, list[Any]] = {}
    for m in parsed(smtp_server):
        subject = str(m["Subject"])
        kind = ("rm_copy" if subject.startswith("[Kopie]") else
                "notice" if subject.startswith("Geen reactie") else
                "reminder2" if subject.startswith("Laatste herinnering") else
                "reminder1" if subject.startswith("Herinnering") else "invitation")
        by_kind.setdefault(kind, []).append(m)
    assert sorted(by_kind) == ["invitation", "notice", "reminder1", "reminder2", "rm_copy"]
    for kind, messages in by_kind.items():
        assert len(messages) == 1, kind
        assert_one_button(messages[0], preview_url if kind in ("rm_copy", "notice")
                          else client_url)
