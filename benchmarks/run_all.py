"""Run every ``benchmarks/bench_*.py`` at a small size and print one table (issue 30):
bench, figure, value, target, ratio to its peer or floor, pass/fail. Exit 1 when a target
is missed or a bench fails.

    python benchmarks/run_all.py [--db postgresql+psycopg://...] [--only bench_x ...]
        [--timeout 300]

``ARGS`` holds the small-size arguments of the benches that have landed; a bench not in
it runs with ``--quick``. Each bench's last line is one JSON document ``{"bench": ...,
"results": [{"figure", "value", "target", "ratio", "pass"}]}``; for a bench that does not
print one yet, its ratio lines (``... 1.25x (target <= 1.3x)``) are read instead. The
sizes are chosen for the whole run to stay under 10 minutes on the 2-core machine; the
figures are not the documented full-size ones (each bench's docstring has those).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOGS = Path(os.environ.get("TMPDIR", "/tmp")) / "quickcrm-run-all"  # each bench's output
PG = os.environ.get("QUICKCRM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

ARGS: dict[str, list[str]] = {
    "bench_actor_check.py": ["--users", "200", "--runs", "5"],
    "bench_audit.py": ["--events", "50000", "--runs", "5"],
    "bench_attention.py": ["--relations", "2000", "--events", "50000", "--rows", "5000",
                           "--repeat", "1"],
    "bench_daemons.py": ["--clients", "100000", "--invitations", "300", "--db", "{pg}"],
    "bench_delivery.py": ["--n", "500", "--no-dkim"],
    "bench_excel.py": ["--clients", "2000", "--questions", "20"],
    "bench_faces.py": ["--clients", "100000"],
    "bench_help.py": ["--runs", "20"],  # --quick's 5 runs swing across the 2x line
    # 100,000 rows, as the targets are set (issues 14, 30): at 20,000 a PostgreSQL first
    # import's fixed costs (locks, keys re-added, ANALYZE) weigh against SQLite's 0.8 s
    "bench_import.py": ["--rows", "100000", "--repeat", "2", "--db", "{pg}"],
    "bench_persons.py": ["--persons", "100000", "--import-rows", "3000", "--dup-persons", "10000"],
    "bench_privacy.py": ["--quick", "--repeat", "1"],
    "bench_procedures.py": ["--rows", "20000", "--steps", "1000", "--repeat", "2"],
    "bench_remind.py": ["--n", "2000"],
    "bench_report_pdf.py": ["-n", "20"],
    "bench_secure_delete.py": ["--rows", "5000", "--repeat", "1"],
    "bench_select.py": ["--clients", "100000"],
    "bench_web.py": ["--duration", "10", "--step-duration", "5", "--max-steps", "2"],
}
_RATIO = re.compile(r"(?P<figure>[^:()]*?)[:\s]+(?:wall\s+)?(?P<ratio>\d+(?:\.\d+)?)x"
                    r".*?target\s*(?P<op><=|>=|≤|≥)\s*(?P<target>\d+(?:\.\d+)?)")


def _fig(figure: str, value: float | None, unit: str, target: float | None,
         ratio: float | None, ok: bool, better: str = "lower") -> dict[str, Any]:
    return {"figure": figure, "value": value, "unit": unit, "target": target, "ratio": ratio,
            "pass": ok, "better": better}


def _num(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def _actor_check(out: str) -> list[dict[str, Any]]:
    r = _num(r"\(b\) / \(c\)\s+([\d.]+)x", out)
    ms = _num(r"\(a\) check alone\s+([\d.]+) ms", out)
    return [] if r is None else [_fig("acting-user check: checked / unchecked command", ms,
                                      "ms", None, round(r, 2), True)]


def _delivery(out: str) -> list[dict[str, Any]]:
    found = []
    for label, pat in (("delivery vs email+smtplib floor", r"^ratio: ([\d.]+)x the floor"),
                       ("DKIM-signed delivery vs floor", r"ratio with DKIM: ([\d.]+)x")):
        r = _num(pat, out) if "^" not in pat else _num("(?m)" + pat, out)
        if r is not None:
            found.append(_fig(label, _num(r"queue \+ deliver:\s+([\d.]+) s", out), "s", 2.0,
                              r, r <= 2.0))
    return found


def _excel(out: str) -> list[dict[str, Any]]:
    wall, rss = _num(r"wall time ([\d.]+) s", out), _num(r"peak RSS ([\d.]+) MB", out)
    if wall is None:
        return []
    found = [_fig("Excel download, wall time", wall, "s", 10.0, round(wall / 10, 2),
                  wall <= 10.0)]
    if rss is not None:
        found.append(_fig("Excel download, peak RSS", rss, "MB", 300.0, round(rss / 300, 2),
                          rss <= 300.0))
    return found


def _faces(out: str) -> list[dict[str, Any]]:
    cold = _num(r"cold: [\d,]+ faces written in ([\d.]+) s", out)
    floor = _num(r"hand-written INSERT .. SELECT \(cold\): ([\d.]+) s", out)
    if cold is None or not floor:
        return []
    return [_fig("profile faces (cold) vs INSERT .. SELECT", cold, "s", None,
                 round(cold / floor, 2), True)]


def _remind(out: str) -> list[dict[str, Any]]:
    rows = re.findall(r"^(.{10,44}?)\s+([\d.]+)s\s+([\d.]+)s$", out, re.MULTILINE)
    found = []
    for label, svc, cmd in rows:
        found.append(_fig(f"remind, {label.strip()}: service", float(svc), "s", 0.5,
                          round(float(svc) / 0.5, 2), float(svc) <= 0.5))
        found.append(_fig(f"remind, {label.strip()}: command", float(cmd), "s", 1.5,
                          round(float(cmd) / 1.5, 2), float(cmd) <= 1.5))
    return found


def _report_pdf(out: str) -> list[dict[str, Any]]:
    m = re.search(r"Targets .*: (met|MISSED)", out)
    dutch = re.search(r"^Dutch \S+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+([\d.]+)x",
                      out, re.MULTILINE)
    if m is None:
        return []
    return [_fig("report PDF per CPU second (Dutch), vs the answer list",
                 float(dutch.group(1)) if dutch else None, "/cpu-s", 20.0,
                 float(dutch.group(2)) if dutch else None, m.group(1) == "met", "higher")]


def _select(out: str) -> list[dict[str, Any]]:
    m = re.search(r"select_clients \(in-process\):\s+([\d.]+) s.*?([\d.]+)x", out)
    if m is None:
        return []
    r = float(m.group(2))
    return [_fig("select_clients vs hand-written SQL", float(m.group(1)), "s", 3.0, r,
                 r <= 3.0)]


def _web(out: str) -> list[dict[str, Any]]:
    m = re.search(r"phase 1 .*?p95\s+([\d.]+) ms.*\[(PASS|FAIL): p95 <= 50 ms\]", out)
    if m is None:
        return []
    p95 = float(m.group(1))
    return [_fig("web app autosave p95, phase 1", p95, "ms", 50.0, round(p95 / 50, 2),
                 m.group(2) == "PASS")]


_SECTION = re.compile(r"^\((\w)\)(?:/\(\w\))? (.+)$")
_WALL_CPU = re.compile(r"^\s+(?P<label>.+?): wall (?P<wall>[\d.]+)x, cpu (?P<cpu>[\d.]+)x "
                       r"\((?P<note>[^)]*)\)$")
_TARGET = re.compile(r"target (?P<op><=|>=) (?P<value>[\d.]+)")


def _section_of(line: str, section: str) -> str:
    m = _SECTION.match(line)
    return f"({m.group(1)}) {m.group(2).strip()}" if m else section


def _wall_cpu(out: str) -> list[dict[str, Any]]:
    """Lines ``  label: wall 1.28x, cpu 1.30x (target <= 2x)`` (bench_import's ``ratio``,
    which attention, procedures and secure_delete share): the CPU ratio, the steadier on
    a shared machine; a line without a target is reported, not judged."""
    found, section = [], ""
    for line in out.splitlines():
        section = _section_of(line, section)
        m = _WALL_CPU.match(line)
        if m is None:
            continue
        cpu, t = float(m["cpu"]), _TARGET.search(m["note"])
        target = float(t["value"]) if t else None
        higher = t is not None and t["op"] == ">="
        ok = True if target is None else (cpu >= target if higher else cpu <= target)
        label = f"{section.split(' ', 1)[0]} {m['label']}, CPU".strip()
        found.append(_fig(label, None, "", target, cpu, ok, "higher" if higher else "lower"))
    return found


def _persons(out: str) -> list[dict[str, Any]]:
    found, section = [], ""
    for line in out.splitlines():
        section = _section_of(line, section)
        m = re.match(r"^\s+ratio ([\d.]+)x \(target <= ([\d.]+)\)$", line)
        if m:
            r, t = float(m.group(1)), float(m.group(2))
            found.append(_fig(section, None, "", t, r, r <= t))
        m = re.match(r"^\s+recall ([\d.]+)% \(target >= ([\d.]+)%\), precision ([\d.]+)% "
                     r"\(target >= ([\d.]+)%\)", line)
        if m:
            for what, v, t in (("recall", m.group(1), m.group(2)),
                               ("precision", m.group(3), m.group(4))):
                found.append(_fig(f"{section}: {what}", float(v), "%", float(t),
                                  round(float(v) / float(t), 2), float(v) >= float(t), "higher"))
    return found


# How to read the benches that print no JSON line of their own (yet).
PARSERS = {"bench_actor_check.py": _actor_check, "bench_attention.py": _wall_cpu,
           "bench_delivery.py": _delivery, "bench_excel.py": _excel, "bench_faces.py": _faces,
           "bench_persons.py": _persons, "bench_procedures.py": _wall_cpu,
           "bench_remind.py": _remind, "bench_report_pdf.py": _report_pdf,
           "bench_secure_delete.py": _wall_cpu, "bench_select.py": _select,
           "bench_web.py": _web}


def results_of(bench: str, stdout: str) -> list[dict[str, Any]]:
    """The bench's figures: its last-line JSON, else what its parser reads (``PARSERS``),
    else its ratio lines."""
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if lines:
        try:
            data = json.loads(lines[-1])
            if isinstance(data, dict) and isinstance(data.get("results"), list):
                return list(data["results"])
        except ValueError:
            pass
    if bench in PARSERS:
        parsed = PARSERS[bench](stdout)
        if parsed:
            return parsed
    found = []
    for line in lines:
        m = _RATIO.search(line)
        if m is None:
            continue
        ratio, target = float(m["ratio"]), float(m["target"])
        higher = m["op"] in (">=", "≥")
        found.append({"figure": m["figure"].strip() or line.strip()[:40], "value": None,
                      "target": target, "ratio": ratio,
                      "pass": ratio >= target if higher else ratio <= target,
                      "better": "higher" if higher else "lower"})
    return found


def run(bench: Path, args: list[str], timeout: float) -> tuple[list[dict[str, Any]], str, float]:
    """Run one bench in a session of its own: on a timeout its whole process group is
    killed (the daemons, servers and sinks it started hold its output pipes open, so
    killing the bench alone would leave this waiting for them)."""
    started = time.monotonic()
    # this interpreter's scripts (sqlite-utils, quickcrm) first on PATH, as in its venv
    env = {**os.environ, "PATH": os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    proc = subprocess.Popen([sys.executable, str(bench), *args], cwd=HERE, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return [], f"timed out after {timeout:.0f} s", time.monotonic() - started
    took = time.monotonic() - started
    (LOGS / f"{bench.stem}.out").write_text(stdout + "\n--- stderr ---\n" + stderr)
    figures = results_of(bench.name, stdout)
    if proc.returncode != 0 and not figures:
        tail = (stderr or stdout).strip().splitlines()
        return [], f"exit {proc.returncode}: {tail[-1] if tail else ''}"[:120], took
    if not figures:
        return [], "printed no figures", took
    return figures, "", took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=PG, help="PostgreSQL server for the benches using one")
    parser.add_argument("--only", nargs="*", default=None, help="bench file names")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per bench")
    opts = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    benches = sorted(HERE.glob("bench_*.py"))
    if opts.only:
        wanted = {n if n.endswith(".py") else f"{n}.py" for n in opts.only}
        benches = [b for b in benches if b.name in wanted]
    rows: list[tuple[str, str, str, str, str, str]] = []
    failed = False
    started = time.monotonic()
    for bench in benches:
        args = [a.replace("{pg}", opts.db) for a in ARGS.get(bench.name, ["--quick"])]
        print(f"running {bench.name} {' '.join(args)}", file=sys.stderr, flush=True)
        figures, problem, took = run(bench, args, opts.timeout)
        name = f"{bench.stem} ({took:.0f} s)"
        if problem:
            rows.append((name, problem, "", "", "", "FAIL"))
            failed = True
            continue
        for f in figures:
            ok = bool(f.get("pass"))
            failed |= not ok
            target = f.get("target")
            better = ">=" if f.get("better") == "higher" else "<="
            value = f.get("value")
            rows.append((name, str(f.get("figure", "")),
                         "" if value is None else f"{value} {f.get('unit', '')}".strip(),
                         "" if target is None else f"{better} {target}",
                         "" if f.get("ratio") is None else f"{f['ratio']}x",
                         "pass" if ok else "FAIL"))
            name = ""
    headers = ("bench", "figure", "value", "target", "ratio", "result")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"{len(benches)} benches in {time.monotonic() - started:.0f} s "
          "(a shared 2-core machine: the ratios were measured side by side, within each bench)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
