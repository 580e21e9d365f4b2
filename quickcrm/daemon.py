"""The long-running ``quickcrm daemon``: APScheduler 3 as an in-memory ticker only.

Why no job store: APScheduler 3 cannot share one between processes (duplicate or missed
runs) and silently drops jobs it cannot unpickle (see ../shared/pitfalls.md). All state
lives in QuickCRM's own tables; each job claims its due work from the database, so several
daemons (and cron runs of ``send``/``remind``) can run side by side: the claims, not the
scheduler, prevent double work.

Jobs are declared by the areas (``Area.jobs`` in each ``area.py``, read through
``quickcrm.areas``): ``Job(name, run="module:function", every=SETTING, order=N)``, where
the function takes the ``JobContext`` and returns a dict of counts that becomes the job's
one log line. The mail area declares ``deliver``; the campaigns area its reminders and
bounce ingestion (``quickcrm/campaigns/jobs.py``)::

    def remind(ctx: JobContext) -> dict[str, Any]:
        return remind_due(rt=ctx.runtime, stop=ctx.stop).as_dict()

    Job("remind", run="quickcrm.campaigns.jobs:remind", every="daemon.remind_every", order=10)

Each job runs once at start, then every ``every`` seconds (coalesce, at most one instance,
a generous misfire grace). A job declared ``once_per="day"`` still ticks at its interval,
but each tick first claims the local day (``job_run``, ``quickcrm.store.claims``): only
the daemon or cron run that gets the claim runs it; a failed or interrupted run gives
the claim back, and a finished one makes the others skip it until the next day. ``--once`` runs each job once in ``order`` (delivery last, so
what the others queued goes out) and exits, for cron. SIGTERM/SIGINT set ``ctx.stop``:
a job finishes the message in flight, gives the rest back, and the daemon exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from quickcrm.area import Job, JobContext
from quickcrm.runtime import Runtime
from quickcrm.store import claims

log = logging.getLogger("quickcrm.daemon")


def load_jobs() -> list[Job]:
    """The declared jobs, in run order."""
    from quickcrm.areas import jobs

    return jobs()


def _line(result: dict[str, Any] | None) -> str:
    return " ".join(f"{k}={v}" for k, v in (result or {}).items())


def run_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run one job and log one line (idle runs only at debug level). An exception is
    logged and returned as ``{"error": ...}``, never fatal to the daemon. A once-per-period
    job runs only when this worker claims the period (else ``{"period", "skipped"}``)."""
    from quickcrm.ops.logs import job as logging_job

    with logging_job(job.name):  # every line the job logs carries its name
        return _run_claimed(job, ctx)


def _run_claimed(job: Job, ctx: JobContext) -> dict[str, Any]:
    if job.once_per is None:
        return _run(job, ctx)
    rt = ctx.runtime
    period = claims.period_key(job.once_per, rt.clock.now(), rt.settings.timezone)
    claim = {"job": job.name, "period": period, "worker": ctx.worker}
    with rt.session() as s:
        mine = claims.claim_period(s, **claim, now=rt.clock.now(),
                                   lease=claims.lease(rt.settings))
        s.commit()
    if not mine:
        log.debug("%s: %s is run or running elsewhere", job.name, period)
        return {"period": period, "skipped": True}
    with _renewing(rt, claim):
        result = _run(job, ctx)
    with rt.session() as s:
        if "error" in result or ctx.stop.is_set():  # retried next tick, by whoever claims it
            claims.release_period(s, **claim)
        else:
            claims.finish_period(s, **claim, now=rt.clock.now())
        s.commit()
    return {"period": period, **result}


def _run(job: Job, ctx: JobContext) -> dict[str, Any]:
    from quickcrm.areas import resolve

    try:
        result = dict(resolve(job.run)(ctx) or {})
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the others
        log.error("%s failed: %s", job.name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return {"error": f"{type(exc).__name__}: {exc}"}
    busy = any(v for k, v in result.items() if k != "queued")
    log.log(logging.INFO if busy else logging.DEBUG, "%s %s", job.name, _line(result) or "done")
    return result


@contextmanager
def _renewing(rt: Runtime, claim: dict[str, str]) -> Iterator[None]:
    """Renew the claim a few times per lease while the job runs, so a long nightly job
    is not taken over by another daemon while its worker is alive."""
    done = threading.Event()
    interval = claims.lease(rt.settings).total_seconds() / 3

    def renew() -> None:
        while not done.wait(interval):
            try:
                with rt.session() as s:
                    claims.renew_period(s, **claim, now=rt.clock.now())
                    s.commit()
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.warning("%s: could not renew its claim", claim["job"], exc_info=True)

    beat = threading.Thread(target=renew, name=f"renew-{claim['job']}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        done.set()
        beat.join()


def run_once(runtime: Runtime, *, stop: threading.Event | None = None,
             jobs: Sequence[Job] | None = None) -> dict[str, dict[str, Any]]:
    """Each job (the declared ones unless ``jobs`` is given) once, in order; returns each
    job's result (``error`` when it failed)."""
    ctx = JobContext(runtime=runtime, stop=stop or threading.Event(),
                     worker=claims.new_worker_id())
    results: dict[str, dict[str, Any]] = {}
    with claims.alive(runtime.engine, ctx.worker):  # its claims are released if it dies
        for job in load_jobs() if jobs is None else jobs:
            if ctx.stop.is_set():
                break
            results[job.name] = run_job(job, ctx)
    return results


def run_forever(runtime: Runtime, *, stop: threading.Event) -> None:
    """Run every job at once and then at its interval until ``stop`` is set."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    jobs = load_jobs()
    runtime.engine  # noqa: B018 - open (and migrate) before the worker threads start
    ctx = JobContext(runtime=runtime, stop=stop, worker=claims.new_worker_id())
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(jobs)))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=UTC,
    )
    now = datetime.now(UTC)
    for job in jobs:
        seconds = max(1, int(runtime.settings[job.every]))
        scheduler.add_job(run_job, "interval", seconds=seconds, args=(job, ctx), id=job.name,
                          name=job.name, next_run_time=now)
    log.info("daemon started: %s", ", ".join(
        f"{j.name} every {int(runtime.settings[j.every])}s" for j in jobs))
    with claims.alive(runtime.engine, ctx.worker):  # its claims are released if it dies
        scheduler.start()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            log.info("stopping: finishing the message in flight")
            scheduler.shutdown(wait=True)
            log.info("daemon stopped")


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT ask the jobs to finish what is in flight and the daemon to exit.
    Returns a function that puts the previous handlers back."""

    def handler(signum: int, _frame: object) -> None:
        log.info("%s received", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


def configure_logging(verbose: bool = False, settings: Any = None) -> None:
    """The log as ``log.format``, ``log.file`` and ``log.level`` say (``quickcrm.ops.logs``);
    ``verbose``: debug lines too."""
    from quickcrm.ops.logs import configure

    configure(settings, verbose=verbose)
