"""The respondent web app under load (issue 17): ``quickcrm serve`` with its defaults on
SQLite, driven from this machine over 127.0.0.1 only.

50 simulated clients each open their page (GET /q/TOKEN) and then save one answer a
second (POST /q/TOKEN/antwoord, as the page's script does): about 50 requests/s for
60 s, target p95 <= 50 ms. Then steps of 60 s at +25 requests/s (the same clients
answering faster), reporting p95 per step and the last step whose p95 stays under
200 ms. Requests are due on a fixed schedule and latency is counted from when a request
was due, so a slow server that makes a client's next request late cannot hide its own
delay (no coordinated omission).

    python benchmarks/bench_web.py [--duration 60] [--step-duration 60] [--max-steps 22]

Bounded: at most --max-steps steps and --max-rate requests/s; stops at the first step
whose p95 exceeds --stop-p95 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def seed(db_url: str, clients: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A campaign with ``clients`` invitations; returns their tokens and (question, value)
    pairs every client cycles through (valid answers of the shipped QuickScan)."""
    sys.path.insert(0, str(ROOT))
    from sqlmodel import select

    from quickcrm.bootstrap import bootstrap
    from quickcrm.campaigns.invitation import Invitation
    from quickcrm.campaigns.models import Campaign, CampaignClient
    from quickcrm.quickscans.definitions import definition_of, get_quickscan
    from quickcrm.quickscans.guards import new_token
    from quickcrm.store.models import Person, Relation, User

    rt = bootstrap(database_url=db_url, env={})
    now = rt.clock.now()
    admin = rt.actor
    tokens = []
    with rt.session() as s:
        qs = get_quickscan(session=s, key="bedrijfsopvolging", now=now)
        rm = User(email="rm@bench.example", first_name="Rik", last_name="Bench", created_at=now)
        s.add(rm)
        s.flush()
        camp = Campaign(name="Bench", quickscan_id=qs.id, coordinator_id=admin.id,
                        status="sent", created_at=now, sent_at=now)
        s.add(camp)
        s.flush()
        for i in range(clients):
            rel = Relation(number=f"B{i:05d}", company=f"Bedrijf {i}", rm_id=rm.id,
                           created_at=now, updated_at=now)
            s.add(rel)
            s.flush()
            person = Person(relation_id=rel.id, first_name="Klant", last_name=str(i),
                            email=f"klant{i}@bench.example", campaign_contact=True)
            s.add(person)
            s.flush()
            cc = CampaignClient(campaign_id=camp.id, relation_id=rel.id,
                                relation_number=rel.number, person_id=person.id,
                                first_name="Klant", last_name=str(i), email=person.email,
                                company=rel.company, rm_id=rm.id)
            s.add(cc)
            s.flush()
            token = new_token()
            s.add(Invitation(campaign_id=camp.id, campaign_client_id=cc.id,
                             relation_id=rel.id, token=token, preview_token=new_token(),
                             invited_at=now, logged_in_at=now))  # said Ja already
            tokens.append(token)
        s.commit()
        definition = definition_of(s.exec(select(type(qs)).where(type(qs).id == qs.id)).one())
    rt.close()
    values: list[tuple[str, str]] = []
    for q in definition.questions():
        if q.type == "choice":
            values += [(q.id, key) for key, _ in q.choice_values()]
        elif q.type == "slider":
            values += [(q.id, str(q.min)), (q.id, str(q.max))]
        elif q.type == "rating":
            values += [(q.id, str(int(q.min or 0) + 1))]
        else:
            values += [(q.id, "Een toelichting van de klant, met wat tekst erbij.")]
    return tokens, values


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCRM_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "quickcrm", "serve", "--port", str(port),
                             "--db", db_url], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("quickcrm serve did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to show server cost per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def measured(proc: subprocess.Popen[bytes], phase: Any) -> dict[str, float]:
    """Run a phase and add the server's CPU milliseconds per request to its figures."""
    before = cpu_seconds(proc.pid)
    result = asyncio.run(phase)
    result["server_cpu_ms"] = (cpu_seconds(proc.pid) - before) * 1000 / max(1, result["requests"])
    return result


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def run_phase(base: str, tokens: list[str], values: list[tuple[str, str]], *,
                    rate: float, seconds: float, open_pages: bool) -> dict[str, float]:
    """``rate`` requests/s spread over the clients for ``seconds``; latencies in ms."""
    import httpx

    latencies: list[float] = []
    page_latencies: list[float] = []
    errors = 0
    per_client = rate / len(tokens)
    interval = 1.0 / per_client

    # one connection per simulated client, as browsers would; made before the clock runs
    # (an httpx client builds an SSL context, which costs the load generator real CPU)
    https = [httpx.AsyncClient(base_url=base, timeout=10) for _ in tokens]
    ready = time.perf_counter()

    async def client(i: int, token: str) -> None:
        nonlocal errors
        async with https[i] as http:
            await asyncio.sleep(max(0.0, ready + i * 0.02 - time.perf_counter()))  # arrive over 1 s
            t0 = time.perf_counter()
            page = await http.get(f"/q/{token}")
            if open_pages:
                page_latencies.append((time.perf_counter() - t0) * 1000)
            found = CSRF.search(page.text)
            if page.status_code != 200 or not found:
                errors += 1
                return
            csrf = found.group(1)
            start = time.perf_counter() + (i / len(tokens)) * interval  # spread the clients
            k = 0
            while True:
                due = start + k * interval
                if due - start >= seconds - (i / len(tokens)) * interval:
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                qid, value = values[(i + k) % len(values)]
                t = due  # latency counts from when it was due: a late send is the server's delay
                try:
                    r = await http.post(f"/q/{token}/antwoord",
                                        data={"csrf": csrf, "vraag": qid, "waarde": value},
                                        headers={"accept": "application/json"})
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t) * 1000)
                k += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(i, t) for i, t in enumerate(tokens)))
    elapsed = time.perf_counter() - began
    return {"rate": rate, "requests": len(latencies), "achieved": len(latencies) / elapsed,
            "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
            "max": max(latencies, default=float("nan")), "errors": errors,
            "page_p95": pct(page_latencies, 95) if page_latencies else float("nan"),
            "mean": statistics.fmean(latencies) if latencies else float("nan")}


async def finish_all(base: str, tokens: list[str]) -> tuple[int, float]:
    """Every client presses Rapportage at once: (reports finished, seconds). Each one is
    a PDF and a PowerPoint rendered and two e-mails queued, then delivered to ./outbox."""
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        pages = await asyncio.gather(*(http.get(f"/q/{t}") for t in tokens))
        forms = [(t, CSRF.search(p.text)) for t, p in zip(tokens, pages, strict=True)]
        began = time.perf_counter()
        done = await asyncio.gather(*(http.post(f"/q/{t}/rapportage", data={"csrf": m.group(1)})
                                      for t, m in forms if m))
        seconds = time.perf_counter() - began
    return sum(1 for r in done if r.status_code == 303), seconds


def line(r: dict[str, float]) -> str:
    return (f"{r['rate']:6.0f} req/s target, {r['achieved']:6.1f} achieved, "
            f"{int(r['requests']):6d} requests: p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
            f"p99 {r['p99']:6.1f} ms  max {r['max']:7.1f} ms  errors {int(r['errors'])}  "
            f"server CPU {r['server_cpu_ms']:.1f} ms/request")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=float, default=50.0, help="first phase, requests/s")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the first phase")
    ap.add_argument("--step", type=float, default=25.0, help="requests/s added per step")
    ap.add_argument("--step-duration", type=float, default=60.0)
    ap.add_argument("--max-steps", type=int, default=22)
    ap.add_argument("--max-rate", type=float, default=600.0)
    ap.add_argument("--stop-p95", type=float, default=200.0, help="ms; stop after a step above")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'quickcrm.db'}"
        tokens, values = seed(db_url, args.clients)
        port = free_port()
        proc = start_server(db_url, port, Path(tmp))
        base = f"http://127.0.0.1:{port}"
        try:
            print(f"quickcrm serve (defaults, SQLite) on {base}; {args.clients} clients; "
                  f"{os.cpu_count()} CPUs shared by server and load")
            first = measured(proc, run_phase(base, tokens, values, rate=args.rate,
                                             seconds=args.duration, open_pages=True))
            verdict = "PASS" if first["p95"] <= 50 and not first["errors"] else "FAIL"
            print(f"page open p95 {first['page_p95']:.1f} ms")
            print(f"phase 1 ({args.duration:.0f} s): {line(first)}  [{verdict}: p95 <= 50 ms]")
            last_ok = first["rate"] if first["p95"] < args.stop_p95 else None
            rate = args.rate
            for n in range(1, args.max_steps + 1):
                rate += args.step
                if rate > args.max_rate:
                    break
                r = measured(proc, run_phase(base, tokens, values, rate=rate,
                                             seconds=args.step_duration, open_pages=False))
                print(f"step {n} ({args.step_duration:.0f} s): {line(r)}")
                if r["p95"] < args.stop_p95 and not r["errors"]:
                    last_ok = rate
                else:
                    break
            print(f"last step with p95 under {args.stop_p95:.0f} ms: "
                  f"{last_ok:.0f} req/s" if last_ok else "no step stayed under the limit")
            count, seconds = asyncio.run(finish_all(base, tokens))
            print(f"Rapportage by all {count} clients at once: {seconds:.2f} s, "
                  f"{count / seconds:.1f} reports/s (PDF + PPTX + 2 e-mails each)")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
