"""Once-per-day daemon jobs (``Job(once_per="day")``) with a job of the test's own: several
workers (daemons, cron runs) on one database run it once per local day; a failed or
interrupted run gives its claim back; a dead worker's claim is taken over after the
lease; a living worker renews its claim while its job runs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from quickcrm.area import Job, JobContext
from quickcrm.bootstrap import bootstrap
from quickcrm.clock import FixedClock
from quickcrm.daemon import run_once
from quickcrm.store.models import JobRun

NIGHTLY = Job("nightly", run=f"{__name__}:nightly", every="daemon.deliver_every",
              once_per="day")
RUNS: list[str] = []  # the worker of each run of ``nightly``
PLAN: dict[str, Any] = {}


def nightly(ctx: JobContext) -> dict[str, int]:
    """The test's job: records who ran it; misbehaves as ``PLAN`` says."""
    RUNS.append(ctx.worker)
    if PLAN.pop("fail", False):
        raise RuntimeError("the nightly job broke")
    if PLAN.get("sleep"):
        time.sleep(PLAN["sleep"])
    if PLAN.get("stop"):
        ctx.stop.set()
    if PLAN.get("advance"):
        PLAN["advance"](ctx)
    return {"done": 1}


@pytest.fixture(autouse=True)
def fresh_plan():  # type: ignore[no-untyped-def]
    RUNS.clear()
    PLAN.clear()
    yield
    PLAN.clear()


def worker(db_url: str, at: datetime, **env: str) -> Any:
    """A daemon or cron run of its own (own runtime, own worker id) at local time ``at``."""
    return bootstrap(database_url=db_url, env=env, clock=FixedClock(at.astimezone(UTC)))


def local(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


def rows(rt: Any) -> list[tuple[str, str, bool]]:
    try:
        with rt.session(read_only=True) as s:
            return [(r.job, r.period, r.finished_at is not None)
                    for r in s.exec(select(JobRun).order_by(JobRun.period)).all()]
    finally:
        rt.close()


def tick(rt: Any) -> dict[str, Any]:
    try:
        return run_once(rt, jobs=[NIGHTLY])["nightly"]
    finally:
        rt.close()


def test_two_runs_in_one_local_day_run_it_once_and_after_midnight_it_is_a_new_day(db_url):
    assert tick(worker(db_url, local("2026-11-23T07:00"))) == {"period": "2026-11-23", "done": 1}
    assert tick(worker(db_url, local("2026-11-23T23:59"))) == {"period": "2026-11-23",
                                                               "skipped": True}
    assert len(RUNS) == 1
    # 00:05 local is still 23:05 UTC on the 23rd, but it is the 24th for the firm
    assert tick(worker(db_url, local("2026-11-24T00:05"))) == {"period": "2026-11-24", "done": 1}
    assert len(RUNS) == 2
    assert rows(worker(db_url, local("2026-11-24T00:05"))) == [
        ("nightly", "2026-11-23", True), ("nightly", "2026-11-24", True)]


def test_two_daemons_at_the_same_moment_run_it_once(db_url):
    rows(worker(db_url, local("2026-11-23T02:00")))  # create and migrate before the race
    PLAN["sleep"] = 0.5
    start = threading.Barrier(2)
    results: list[dict[str, Any]] = []

    def daemon() -> None:
        rt = worker(db_url, local("2026-11-23T02:00"))
        start.wait()
        results.append(tick(rt))

    threads = [threading.Thread(target=daemon) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(RUNS) == 1
    assert sorted(results, key=str) == sorted([{"period": "2026-11-23", "done": 1},
                                               {"period": "2026-11-23", "skipped": True}], key=str)


def test_a_failed_or_interrupted_run_gives_its_claim_back_and_the_next_tick_retries(db_url):
    at = local("2026-11-23T03:00")
    PLAN["fail"] = True
    failed = tick(worker(db_url, at))
    assert failed == {"period": "2026-11-23", "error": "RuntimeError: the nightly job broke"}
    assert rows(worker(db_url, at)) == []
    PLAN["stop"] = True  # SIGTERM while it ran: not done, retried
    assert tick(worker(db_url, at))["done"] == 1
    assert rows(worker(db_url, at)) == []
    PLAN.clear()
    assert tick(worker(db_url, at)) == {"period": "2026-11-23", "done": 1}
    assert tick(worker(db_url, at))["skipped"] is True
    assert len(RUNS) == 3


def claim_of(rt: Any, *, worker_id: str, renewed: datetime) -> None:
    renewed = renewed.astimezone(UTC)  # stored as UTC, as every time
    with rt.session() as s:
        s.add(JobRun(job="nightly", period="2026-11-23", worker=worker_id, started_at=renewed,
                     renewed_at=renewed))
        s.commit()


def test_a_dead_workers_claim_is_taken_over_after_the_lease_a_living_ones_is_not(db_url):
    at = local("2026-11-23T04:00")
    rt = worker(db_url, at, QUICKCRM_MAIL_LEASE_SECONDS="600")
    claim_of(rt, worker_id="otherhost:4242:abcdef", renewed=at - timedelta(minutes=9))
    assert tick(worker(db_url, at, QUICKCRM_MAIL_LEASE_SECONDS="600"))["skipped"] is True
    assert RUNS == []
    later = at + timedelta(minutes=2)  # 11 minutes without renewal: presumed dead
    assert tick(worker(db_url, later, QUICKCRM_MAIL_LEASE_SECONDS="600"))["done"] == 1
    with rt.session(read_only=True) as s:
        row = s.exec(select(JobRun)).one()
    assert row.worker == RUNS[0] != "otherhost:4242:abcdef" and row.finished_at is not None
    rt.close()


def test_a_living_worker_renews_its_claim_while_its_job_runs(db_url):
    at = local("2026-11-23T05:00")
    seen: list[datetime] = []

    def advance(ctx: JobContext) -> None:
        """An hour of work (the clock moved on): the renewals keep the claim fresh."""
        ctx.runtime.clock.advance(hours=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with ctx.runtime.session(read_only=True) as s:
                renewed = s.exec(select(JobRun.renewed_at)).one()
            if renewed.replace(tzinfo=renewed.tzinfo or UTC) >= ctx.runtime.clock.now():
                seen.append(renewed)
                # a second worker an hour later (lease 3 s) finds a living claim
                other = worker(db_url, at + timedelta(hours=1), QUICKCRM_MAIL_LEASE_SECONDS="3")
                seen_result.append(tick(other))
                return
            time.sleep(0.1)

    seen_result: list[dict[str, Any]] = []
    PLAN["advance"] = advance
    assert tick(worker(db_url, at, QUICKCRM_MAIL_LEASE_SECONDS="3"))["done"] == 1
    assert seen, "the claim was not renewed while the job ran"
    assert seen_result == [{"period": "2026-11-23", "skipped": True}]
    assert len(RUNS) == 1
