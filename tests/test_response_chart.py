"""Issue 25 item 11: the management chart shows the cumulative response (% completed,
% logged in) per day since sending, with the reminder days marked; the PNG is looked at
by reading its pixels (and kept in the test's tmp folder)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from test_management_report import MONDAY_9, day, story
from test_send import runtime

from quickcrm.clock import FixedClock


@pytest.fixture
def told(db_url, smtp_server):  # type: ignore[no-untyped-def]
    clock = FixedClock(MONDAY_9)
    rt = runtime(db_url, clock, smtp_server.url)
    story(rt, clock)
    yield rt
    rt.close()


def chart(rt: Any, path: Any, when: Any) -> dict[str, Any]:
    from quickcrm.campaigns.chart import write_chart

    with rt.session(read_only=True) as s:
        return write_chart(session=s, campaign="Voorjaar", path=path, tz="Europe/Amsterdam",
                           now=when)


def test_chart_is_cumulative_share_per_day_since_sending(told, tmp_path):
    out = chart(told, tmp_path / "respons.png", day(11))
    days = out["cumulative"]
    assert [d["day"] for d in days] == [date(2026, 11, 23 + n).isoformat() for n in range(8)] \
        + [date(2026, 12, n).isoformat() for n in range(1, 5)]
    assert [d["day_number"] for d in days] == list(range(12))
    first, then = days[0], days[1:]
    # sent Monday: 6 invitations; one bounced on day 1, so 5 arrived
    assert (first["invited"], first["reached"], first["completed_pct"]) == (6, 6, 0.0)
    assert all((d["reached"], d["completed"], d["logged_in"]) == (5, 1, 3) for d in then)
    assert then[-1]["completed_pct"] == 20.0 and then[-1]["logged_in_pct"] == 60.0
    # shares never fall back: the curve is cumulative, not the daily spike
    completed = [d["completed_pct"] for d in days]
    assert completed == sorted(completed)
    assert out["reminder_days"] == {"first_reminder": ["2026-11-26"],
                                    "second_reminder": ["2026-11-30"]}
    from PIL import Image

    image = Image.open(tmp_path / "respons.png").convert("RGB")
    assert image.size == (1000, 520)
    colours = set(image.get_flattened_data())
    for colour in ((0x1A, 0x7A, 0x3E), (0xB3, 0x58, 0x06), (0x5E, 0x3C, 0x99)):
        near = [c for c in colours if max(abs(a - b) for a, b in zip(c, colour, strict=True)) < 24]
        assert near, colour  # completed, logged in, the reminder lines


def test_chart_before_anything_was_sent(rt, tmp_path):
    from test_campaigns import add_clients, new_campaign

    add_clients(rt, {"number": "000001"})
    new_campaign(rt, "Voorjaar")
    out = chart(rt, tmp_path / "leeg.png", MONDAY_9)
    assert out["cumulative"] == [] and (tmp_path / "leeg.png").stat().st_size > 0
